/**
 * The guest console on the terminal, as QEMU's `-nographic` (chardev/char-mux.c): the UART's
 * output goes to stdout; stdin goes to the UART, except the escape sequences that start with
 * Ctrl-A. When stdin is a TTY it is put in raw mode (and restored on every exit path).
 *
 *   Ctrl-A h  print the help      Ctrl-A x  exit vtrace
 *   Ctrl-A a  send Ctrl-A         Ctrl-A c  (the QEMU monitor: not available, says so)
 */
const CTRL_A = 0x01;

export interface ConsoleSink {
  /** Bytes the user typed for the guest. */
  input(bytes: Uint8Array): void;
  /** The user asked to quit (Ctrl-A x). */
  quit(): void;
}

export const ESCAPE_HELP =
  'C-a h    print this help\r\n' +
  'C-a x    exit emulator\r\n' +
  'C-a c    switch between console and monitor (no monitor in vtrace yet)\r\n' +
  'C-a C-a  sends C-a\r\n';

/** The Ctrl-A state machine, separate from the terminal so it can be tested. */
export class EscapeDecoder {
  private escaped = false;
  constructor(private readonly sink: ConsoleSink, private readonly print: (text: string) => void) {}

  feed(data: Uint8Array): void {
    const out: number[] = [];
    for (const b of data) {
      if (this.escaped) {
        this.escaped = false;
        const c = String.fromCharCode(b).toLowerCase();
        if (b === CTRL_A || c === 'a') out.push(CTRL_A);
        else if (c === 'x') {
          this.flush(out);
          this.print('QEMU: Terminated\r\n');
          this.sink.quit();
          return;
        } else if (c === 'h' || c === '?') this.print(ESCAPE_HELP);
        else if (c === 'c') this.print('vtrace: there is no QEMU monitor; the debug console comes with `vtrace debug`\r\n');
        // Any other key after Ctrl-A is dropped, as QEMU's mux does.
      } else if (b === CTRL_A) this.escaped = true;
      else out.push(b);
    }
    this.flush(out);
  }

  private flush(out: number[]): void {
    if (out.length > 0) this.sink.input(Uint8Array.from(out));
    out.length = 0;
  }
}

/** Attach the terminal: raw mode if a TTY, stdin → decoder. Returns a detach function (idempotent). */
export function attachStdio(sink: ConsoleSink): () => void {
  const stdin = process.stdin;
  const decoder = new EscapeDecoder(sink, (t) => process.stdout.write(t));
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onData = (chunk: Buffer) => decoder.feed(chunk);
  stdin.on('data', onData);
  stdin.resume();
  let detached = false;
  const detach = () => {
    if (detached) return;
    detached = true;
    stdin.off('data', onData);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
  };
  process.once('exit', detach);
  return detach;
}
