/**
 * The debug channel's request kinds the console adds (declaration merging into DebugRequests,
 * src/system/debug-channel.ts). Types only: front ends import it with `import type`.
 *
 *   'console.exec'      (declared by the channel) inspection and breakpoints; no run control
 *   'console.run'       any console line, including run, continue, stepi, next-event
 *   'console.drain'     the stop reports and `commands` output queued since the last drain
 *                       ({final}: also the current stop's report before its live frames came)
 *   'console.complete'  completions of a line's last word
 *   'console.detach'    the front end is leaving: every point goes, nothing stops any more
 *   'console.where'     the thread of the current console stop (name, tid), null if none
 *   'console.live'      that thread's live frames with their arguments, read by the front end
 *                       through the inspector (live-frames.ts), for bt/frame/info args
 */
import type { LiveFrame } from './frame-args';

export {};

declare module '../system/debug-channel' {
  interface DebugRequests {
    'console.run': { payload: { line: string }; result: string };
    'console.drain': { payload: { final?: boolean } | void; result: string };
    'console.complete': { payload: { line: string }; result: string[] };
    'console.detach': { payload: void; result: void };
    'console.where': { payload: void; result: { name: string; tid: number } | null };
    'console.live': { payload: { frames: LiveFrame[] }; result: void };
  }
}
