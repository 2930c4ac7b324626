/**
 * The arguments of the frames of a stopped thread, read the way gdb reads them: from the live
 * stack. JS code cannot see its callers' arguments, but V8's debugger can: at a console stop the
 * main thread pauses the stopped worker through the inspector (inspector-route.ts), walks its
 * call frames, evaluates each frame's parameters in that frame (`Debugger.evaluateOnCallFrame`),
 * and resumes it, all before the console prints `bt`, `frame N` or `info args`. The worker was
 * blocked in its stop anyway; the pause only lets V8 look at it.
 *
 * Parameter names come from the function's own source (the frame's `functionLocation` points at
 * its parameter list in dist/*.js, which keeps the TypeScript names); values are formatted by the
 * thread itself, with the console's printer where the thread has one (frame-args.ts: objects as
 * the pointer-shaped ids tracepoints print, `0x21000002 <hd0>`), plainly otherwise (pool workers).
 *
 * Contract: main thread. `readLiveFrames` resolves to null when the thread cannot be read (no such
 * worker, inspector unavailable, the worker does not pause within PAUSE_MS): the console then
 * shows the frames without live arguments, as before. It never leaves a worker paused.
 */
import { fileURLToPath } from 'node:url';
import type { DebugClient } from '../system/debug-channel';
import { parseCommand } from './command-names';
import type {} from './requests';
import { sourcePosition } from '../trace/backtrace/source-map';
import { InspectorRoute, type WorkerTarget } from './inspector-route';
import { parameterNames } from './param-names';
import { TID_GLOBAL } from '../host/thread-id';
import { FRAME_ARGS_GLOBAL, type LiveFrame } from './frame-args';

export type { LiveFrame };

/** How long a worker may take to pause (a blocked one pauses at once). */
const PAUSE_MS = 3000;
/** Frames read per stop: deeper than any vCPU → MMIO → virtio → block layer → pool stack. */
const MAX_FRAMES = 96;

/** The stopped thread, as the console names it ('console.where'). */
export interface StoppedThread {
  name: string;
  tid: number;
}

let route: InspectorRoute | null = null;
const sources = new Map<string, string>();

/** Reads in progress, one at a time (two front ends pausing one worker would resume it under each other). */
let queue: Promise<unknown> = Promise.resolve();

/** Read the live frames of the stopped thread; null if it cannot be read. */
export function readLiveFrames(thread: StoppedThread): Promise<LiveFrame[] | null> {
  const next = queue.then(() => readOnce(thread));
  queue = next;
  return next;
}

async function readOnce(thread: StoppedThread): Promise<LiveFrame[] | null> {
  try {
    if (route === null) route = new InspectorRoute();
    await route.connect();
    for (const w of candidates(route.workers, thread.name)) {
      const frames = await readWorker(route, w, thread.tid);
      if (frames !== null) return frames;
    }
  } catch {
    // inspector unavailable or the worker went away: no live arguments
  }
  return null;
}

/** Workers that may be the thread: the likely names first (Node's names differ from vtrace's for iothreads). */
function candidates(workers: readonly WorkerTarget[], name: string): WorkerTarget[] {
  const likely = (w: WorkerTarget) => w.name === name || (name.startsWith('iothread-') && w.name === `IO ${name.slice(9)}`);
  return [...workers.filter(likely), ...workers.filter((w) => !likely(w))];
}

interface CallFrame {
  callFrameId: string;
  functionName: string;
  functionLocation?: { scriptId: string; lineNumber: number; columnNumber: number };
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

/** Pause one worker; if it is the thread (its tid), read its frames. Always resumes it. */
async function readWorker(r: InspectorRoute, w: WorkerTarget, tid: number): Promise<LiveFrame[] | null> {
  let onPaused!: (frames: CallFrame[]) => void;
  const paused = new Promise<CallFrame[]>((resolve) => (onPaused = resolve));
  // Call frames name their script by id only (CallFrame.url is deprecated and empty): the script
  // URLs come with the Debugger.scriptParsed events that Debugger.enable sends for every script.
  const urls = new Map<string, string>();
  const off = r.on(w, (method, params) => {
    if (method === 'Debugger.scriptParsed') urls.set(params.scriptId as string, params.url as string);
    else if (method === 'Debugger.paused') onPaused((params as { callFrames: CallFrame[] }).callFrames);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await r.send(w, 'Debugger.enable', {});
    await r.send(w, 'Debugger.pause');
    const frames = await Promise.race([paused, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), PAUSE_MS)))]);
    if (frames === null || frames.length === 0) return null;
    const own = await r.send(w, 'Debugger.evaluateOnCallFrame', { callFrameId: frames[0].callFrameId, expression: `globalThis.${TID_GLOBAL}`, returnByValue: true, silent: true });
    if ((own.result as { value?: unknown } | undefined)?.value !== tid) return null;
    const out: LiveFrame[] = [];
    for (const f of frames.slice(0, MAX_FRAMES)) {
      const live = await readFrame(r, w, f, urls.get(f.location.scriptId) ?? '');
      if (live !== null) out.push(live);
    }
    return out;
  } finally {
    clearTimeout(timer);
    off();
    // Disabling also drops a pause that has not happened yet (a worker that never reached JS).
    await r.send(w, 'Debugger.resume').catch(() => undefined);
    await r.send(w, 'Debugger.disable').catch(() => undefined);
  }
}

/** One call frame: its source position and its arguments' values, as the thread prints them. */
async function readFrame(r: InspectorRoute, w: WorkerTarget, f: CallFrame, url: string): Promise<LiveFrame | null> {
  // CommonJS scripts are named by path, ES modules by file: URL; Node's internals (node:...) and
  // eval'd code (the JIT's blocks, no URL) have no frames of ours.
  const file = url.startsWith('file:') ? fileURLToPath(url) : url.startsWith('/') ? url : null;
  if (file === null) return null;
  const pos = sourcePosition({ fn: f.functionName, type: null, file, line: f.location.lineNumber + 1, col: f.location.columnNumber + 1, native: false, eval: false, toplevel: false });
  if (pos === null) return null;
  const frame: LiveFrame = { fn: f.functionName, file: pos.file, line: pos.line, args: null };
  const fl = f.functionLocation;
  if (fl === undefined) return frame;
  const src = await scriptSource(r, w, fl.scriptId);
  const names = parameterNames(src, lineStart(src, fl.lineNumber) + fl.columnNumber);
  if (names === null) return frame;
  // No `this`: the functions are QEMU's C functions; a receiver is how JS called them, not an argument.
  const expr = `(globalThis.${FRAME_ARGS_GLOBAL} ?? ${PLAIN_FORMATTER})([${names.join(', ')}])`;
  try {
    const ev = await r.send(w, 'Debugger.evaluateOnCallFrame', { callFrameId: f.callFrameId, expression: expr, returnByValue: true, silent: true });
    const texts = (ev.result as { value?: unknown } | undefined)?.value;
    if (ev.exceptionDetails === undefined && Array.isArray(texts) && texts.length === names.length) {
      frame.args = names.map((n, i) => [n, String(texts[i])] as [string, string]);
    }
  } catch {
    // a frame whose scope cannot be evaluated keeps its recorded arguments
  }
  return frame;
}

/** A script's source (cached per worker and script). */
async function scriptSource(r: InspectorRoute, w: WorkerTarget, scriptId: string): Promise<string> {
  const k = `${w.path.join('/')}#${scriptId}`;
  let text = sources.get(k);
  if (text === undefined) {
    const res = await r.send(w, 'Debugger.getScriptSource', { scriptId });
    text = typeof res.scriptSource === 'string' ? res.scriptSource : '';
    sources.set(k, text);
  }
  return text;
}

/** Offset of 0-based line `line` in `text` (its length when there are fewer lines). */
function lineStart(text: string, line: number): number {
  let at = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return at;
}

/**
 * Values in a thread without the console's printer (pool workers): numbers and strings as `print`
 * shows them, buffers by size, a plain record by its first fields, other objects by type name.
 */
const PLAIN_FORMATTER = `((vs) => {
  const one = (v, deep) => {
    if (v === null) return '0x0';
    if (typeof v === 'string') return JSON.stringify(v.length > 200 ? v.slice(0, 200) + '...' : v);
    if (typeof v === 'function') return '<function ' + (v.name || '??') + '>';
    if (typeof v !== 'object') return String(v);
    if (ArrayBuffer.isView(v)) return '<' + v.constructor.name + ' of ' + v.byteLength + ' bytes>';
    if (Array.isArray(v)) return '<array of ' + v.length + '>';
    const proto = Object.getPrototypeOf(v);
    if (deep || (proto !== Object.prototype && proto !== null)) return '<' + ((v.constructor && v.constructor.name) || 'Object') + '>';
    const keys = Object.keys(v);
    const shown = keys.slice(0, 6).map((k) => k + ' = ' + one(v[k], true));
    return '{' + shown.join(', ') + (keys.length > 6 ? ', ...' : '') + '}';
  };
  return vs.map((v) => one(v, false));
})`;

/** Does this console line print frames (bt, frame, up, down, info frame, info args, info program)? */
export function showsFrames(line: string): boolean {
  const c = parseCommand(line.split('\n')[0]);
  const name = c.cmd?.name;
  if (name === 'backtrace' || name === 'frame' || name === 'up' || name === 'down') return true;
  if (name !== 'info') return false;
  const topic = c.args.split(/\s+/)[0] ?? '';
  return topic !== '' && ['args', 'frame', 'program'].some((t) => t.startsWith(topic));
}

/**
 * 'console.exec' for a front end (the console client, gdb's monitor): for a line that prints
 * frames at a console stop, first read the stopped thread's live frames and hand them over.
 */
export async function execWithLiveFrames(debug: DebugClient, line: string): Promise<string> {
  if (showsFrames(line)) await sendLiveFrames(debug);
  return debug.request('console.exec', { line });
}

/** At a console stop: read the stopped thread's live frames and hand them to the console. */
export async function sendLiveFrames(debug: DebugClient): Promise<void> {
  const where = await debug.request('console.where');
  if (where === null) return;
  const frames = await readLiveFrames(where);
  if (frames !== null) await debug.request('console.live', { frames });
}
