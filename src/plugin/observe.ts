/**
 * Observing catalog tracepoints on this thread (the emulator thread for plugins, a pool worker for
 * the relay): one trace sink (src/trace/tracepoint.ts addTraceSink) dispatching by tracepoint id to
 * the observers, the tracepoints turned on while observed, and the subsystems' hooks installed
 * (the src/trace/attach-* installers, as -trace does), with the debug console's conventions
 * (src/debug/trace-break.ts): a tracepoint this module turned on is turned off again when its last
 * observer goes; one that -trace or the console turned on stays on.
 *
 * Events carry their correlation ids with the thread's ambient ones filled in (ambient.ts), as a
 * recording stores them — computed at emission, since the ambient state moves on.
 *
 * Side effect shared with the console: while a tracepoint is on, every sink of the thread sees it,
 * so a -trace log or --trace-out recording of the same run also shows the tracepoints plugins
 * subscribe to (src/trace has no private enables).
 *
 * Contract: per JS thread; observers must not throw (the plugin host wraps them).
 */
import { allTracepoints } from '../trace/generated/tracepoints';
import { addTraceSink, type AnyTracepoint, type TraceEvent } from '../trace/tracepoint';
import { applyTraceSpecs, globMatch, onTraceStateChange } from '../trace/control';
import { installUtilHooks } from '../trace/attach-util';
import { installVirtioHooks } from '../trace/attach-virtio';
import { installBlockHooks } from '../trace/attach-block';
import { installHostHooks } from '../trace/attach-host';
import { updateBacktraceRecording } from '../trace/backtrace';
import { ambientCorrelation } from '../trace/ambient';
import type { RecordedCorrelation } from '../trace/event-codec';

export type Observer = (ev: TraceEvent, tp: AnyTracepoint, corr: RecordedCorrelation) => void;

const catalog = allTracepoints as readonly AnyTracepoint[];
/** Observers by tracepoint id. */
const byId: Array<Observer[] | undefined> = [];
/** Tracepoints this module turned on. */
const ours = new Set<AnyTracepoint>();
let removeSink: (() => void) | null = null;
let listening = false;
let reasserting = false;

/** Catalog tracepoints matching any of the globs. */
export function matchTracepoints(patterns: readonly string[]): AnyTracepoint[] {
  return catalog.filter((tp) => patterns.some((p) => globMatch(p, tp.name)));
}

function installHooks(): void {
  installUtilHooks();
  installVirtioHooks();
  installBlockHooks();
  installHostHooks();
  updateBacktraceRecording();
}

/** After any change of the enabled set (-trace at run time, the console): observed ones stay on. */
function reassert(): void {
  if (reasserting) return;
  let changed = false;
  for (const tp of catalog) {
    if (byId[tp.id] !== undefined && !tp.on) {
      tp.on = true;
      ours.add(tp);
      changed = true;
    }
  }
  if (changed) {
    reasserting = true;
    try {
      installHooks();
    } finally {
      reasserting = false;
    }
  }
}

function sink(ev: TraceEvent, tp: AnyTracepoint): void {
  const obs = byId[tp.id];
  if (obs === undefined) return;
  const corr = { ...ambientCorrelation(ev.corr, {}) };
  for (let i = 0; i < obs.length; i++) obs[i](ev, tp, corr);
}

/** The trace layer's listeners (setup.ts, the console) reinstall hooks; ours are installed here too. */
function refresh(): void {
  applyTraceSpecs([]);
  installHooks();
}

/** Observe `tps` with `fn`; returns the remover. */
export function observe(tps: readonly AnyTracepoint[], fn: Observer): () => void {
  if (!listening) {
    onTraceStateChange(reassert);
    listening = true;
  }
  // Lists are replaced, never changed in place: a dispatch in progress keeps the list it started with.
  for (const tp of tps) {
    byId[tp.id] = [...(byId[tp.id] ?? []), fn];
    if (!tp.on) {
      tp.on = true;
      ours.add(tp);
    }
  }
  if (removeSink === null) removeSink = addTraceSink(sink);
  refresh();
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const tp of tps) {
      const old = byId[tp.id];
      if (old === undefined) continue;
      const list = old.filter((f) => f !== fn);
      byId[tp.id] = list;
      if (list.length === 0) {
        byId[tp.id] = undefined;
        if (ours.delete(tp)) tp.on = false;
      }
    }
    if (byId.every((l) => l === undefined) && removeSink !== null) {
      removeSink();
      removeSink = null;
    }
    refresh();
  };
}

/** Is any tracepoint observed on this thread? */
export function observing(): boolean {
  return removeSink !== null;
}
