/**
 * Where the block layer's warnings go (QEMU prints them with fprintf(stderr) / warn_report). The
 * default writes to stderr; blockdevOpen routes them to its caller's logger for the duration of the
 * open. Main loop thread.
 */
export type BlockWarningHandler = (text: string) => void;

let handler: BlockWarningHandler = (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/** Emit a warning (the text as QEMU prints it, possibly several lines). */
export function block_warn(text: string): void {
  handler(text);
}

/** Run f with warnings going to `h`. */
export function withBlockWarningHandler<T>(h: BlockWarningHandler | undefined, f: () => T): T {
  if (h === undefined) return f();
  const saved = handler;
  handler = h;
  try {
    return f();
  } finally {
    handler = saved;
  }
}
