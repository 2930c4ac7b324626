/**
 * Where plugins' text goes (api.print, reports, unload messages). QEMU's plugins write with
 * qemu_plugin_outs to the log (stderr without -D); vtrace's do the same: stderr, through the
 * front end (`send`: the emulator thread's 'warning' message, which the TUI holds back while it
 * owns the terminal), batched — one message per flush, flushed by the host once per run-loop round
 * and at exit. A plugin given `outfile=FILE` writes FILE instead (truncated at start), buffered.
 *
 * Contract: emulator thread. Writes never throw into the caller: a file that cannot be written is
 * reported once on stderr and the text goes there instead.
 */
import * as fs from 'node:fs';

const FLUSH_BYTES = 256 * 1024;

export interface TextSink {
  write(text: string): void;
  flush(): void;
  close(): void;
}

/** stderr via the front end, batched. */
export class FrontEndSink implements TextSink {
  private parts: string[] = [];
  private bytes = 0;

  constructor(private readonly send: (text: string) => void) {}

  write(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.bytes += text.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    this.send(text);
  }

  close(): void {
    this.flush();
  }
}

/** outfile=FILE. */
export class FileSink implements TextSink {
  private fd: number | null;
  private parts: string[] = [];
  private bytes = 0;

  constructor(
    private readonly file: string,
    private readonly fallback: TextSink,
    private readonly complain: (msg: string) => void,
  ) {
    try {
      this.fd = fs.openSync(file, 'w');
    } catch (e) {
      this.fd = null;
      complain(`cannot create ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; its output goes to stderr`);
    }
  }

  write(text: string): void {
    if (this.fd === null) return this.fallback.write(text);
    this.parts.push(text);
    this.bytes += text.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    try {
      fs.writeSync(this.fd, text);
    } catch (e) {
      this.complain(`writing ${this.file} failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}; its output goes to stderr`);
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already reported */
      }
      this.fd = null;
      this.fallback.write(text);
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
