/**
 * The debug channel's request kinds the console adds (declaration merging into DebugRequests,
 * src/system/debug-channel.ts). Types only: front ends import it with `import type`.
 *
 *   'console.exec'      (declared by the channel) inspection and breakpoints; no run control
 *   'console.run'       any console line, including run, continue, stepi, next-event
 *   'console.drain'     the stop reports and `commands` output queued since the last drain
 *   'console.complete'  completions of a line's last word
 *   'console.detach'    the front end is leaving: every point goes, nothing stops any more
 */
export {};

declare module '../system/debug-channel' {
  interface DebugRequests {
    'console.run': { payload: { line: string }; result: string };
    'console.drain': { payload: void; result: string };
    'console.complete': { payload: { line: string }; result: string[] };
    'console.detach': { payload: void; result: void };
  }
}
