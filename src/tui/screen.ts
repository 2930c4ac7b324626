/**
 * The terminal while the TUI owns it: the alternate screen (the user's scrollback is left as it
 * was), no cursor, raw-mode stdin, and vtrace's own stderr messages held back (they would tear the
 * frame) and printed after the screen is restored.
 *
 * Restoring is idempotent and happens on every way out: `restore()` (q), process 'exit',
 * SIGTERM/SIGHUP/SIGINT (restored, then the default action), an uncaught exception (restored,
 * then reported as usual).
 *
 * Contract: one Screen per process at a time; main thread.
 */
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export class Screen {
  private active = false;
  private wasRaw = false;
  private held = '';
  private origStderrWrite: typeof process.stderr.write | null = null;
  private readonly onExit = () => this.restore();
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.restore();
    process.kill(process.pid, sig);
  };
  private readonly onCrash = (e: unknown) => {
    this.restore();
    process.stderr.write(`vtrace: internal error in the TUI:\n${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(70);
  };

  constructor(
    private readonly stdin: NodeJS.ReadStream = process.stdin,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
  ) {}

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.stdout.write(ENTER);
    if (this.stdin.isTTY) {
      this.wasRaw = this.stdin.isRaw;
      this.stdin.setRawMode(true);
    }
    this.stdin.setEncoding('utf8');
    this.stdin.resume();
    const orig = process.stderr.write.bind(process.stderr);
    this.origStderrWrite = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.held += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stderr.write;
    void orig;
    process.on('exit', this.onExit);
    for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.once(s, this.onSignal);
    process.on('uncaughtException', this.onCrash);
  }

  /** Text written to stderr while the screen was held (shown after restore). */
  get heldStderr(): string {
    return this.held;
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    this.stdout.write(LEAVE);
    if (this.stdin.isTTY) {
      try {
        this.stdin.setRawMode(this.wasRaw);
      } catch {
        // stdin already closed: nothing to restore
      }
    }
    this.stdin.pause();
    if (this.origStderrWrite !== null) process.stderr.write = this.origStderrWrite;
    this.origStderrWrite = null;
    process.off('exit', this.onExit);
    for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(s, this.onSignal);
    process.off('uncaughtException', this.onCrash);
    if (this.held !== '') process.stderr.write(this.held);
    this.held = '';
  }
}
