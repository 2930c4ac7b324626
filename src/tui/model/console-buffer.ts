/**
 * The guest console as the TUI shows it: the UART's output bytes turned into lines of text,
 * bounded (the oldest lines go). A terminal emulator in miniature: `\n` ends a line, `\r` returns
 * to its start (the next characters overwrite), backspace steps back, tabs go to the next multiple
 * of 8, ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \`, two-byte `ESC x`)
 * are dropped, other control bytes are ignored. Bytes are Latin-1/ASCII (the UART is 8-bit);
 * UTF-8 sequences are decoded when whole.
 *
 * Contract: write() never throws, whatever the bytes; memory is bounded by `maxLines` lines of at
 * most `maxColumns` characters.
 */
const enum Esc {
  None,
  Start, // after ESC
  Csi, // ESC [
  Osc, // ESC ]
  OscEsc, // ESC inside OSC (expecting '\')
}

export class ConsoleBuffer {
  private readonly lines: string[] = [''];
  private col = 0;
  private esc = Esc.None;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  /** Bumped on every change (the UI re-renders only when it moved). */
  version = 0;
  /** Bytes written in total. */
  bytes = 0;

  constructor(
    readonly maxLines = 2000,
    readonly maxColumns = 400,
  ) {}

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.bytes += data.length;
    this.version++;
    const text = this.decoder.decode(data, { stream: true });
    for (const ch of text) this.put(ch);
  }

  private put(ch: string): void {
    const c = ch.charCodeAt(0);
    switch (this.esc) {
      case Esc.Start:
        this.esc = ch === '[' ? Esc.Csi : ch === ']' ? Esc.Osc : Esc.None;
        return;
      case Esc.Csi:
        if (c >= 0x40 && c <= 0x7e) this.esc = Esc.None;
        return;
      case Esc.Osc:
        if (c === 0x07) this.esc = Esc.None;
        else if (c === 0x1b) this.esc = Esc.OscEsc;
        return;
      case Esc.OscEsc:
        this.esc = Esc.None;
        return;
      default:
        break;
    }
    if (c === 0x1b) this.esc = Esc.Start;
    else if (c === 0x0a) this.newline();
    else if (c === 0x0d) this.col = 0;
    else if (c === 0x08) this.col = Math.max(0, this.col - 1);
    else if (c === 0x09) {
      const to = Math.min(this.maxColumns, (Math.floor(this.col / 8) + 1) * 8);
      while (this.col < to) this.putChar(' ');
    } else if (c >= 0x20 && c !== 0x7f) this.putChar(ch);
  }

  private putChar(ch: string): void {
    if (this.col >= this.maxColumns) return;
    const i = this.lines.length - 1;
    const line = this.lines[i];
    this.lines[i] = line.length <= this.col ? line.padEnd(this.col) + ch : line.slice(0, this.col) + ch + line.slice(this.col + 1);
    this.col++;
  }

  private newline(): void {
    this.lines.push('');
    this.col = 0;
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  /** The last `n` lines (the partial line being written included), oldest first. */
  tail(n: number): string[] {
    if (n <= 0) return [];
    let end = this.lines.length;
    // A trailing empty line right after a newline is where the cursor is: keep it only if asked for room.
    if (end > 1 && this.lines[end - 1] === '' && this.col === 0) end--;
    return this.lines.slice(Math.max(0, end - n), end);
  }

  /** All text (tests, the scrollback). */
  text(): string {
    return this.lines.join('\n');
  }
}
