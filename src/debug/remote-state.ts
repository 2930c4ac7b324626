/**
 * The console's view of state that lives in an iothread (a drive served by a dataplane device:
 * `-device virtio-blk-device,drive=hd0,iothread=io0`), through that iothread's debug agent
 * (iothread-agents.ts):
 *
 *   remoteOwner(options, name)   the iothread a drive id or node name belongs to, by the command line
 *   remoteResolve(first, path)   the state tree's fallback: `print hd0.file.fd` resolved there
 *   remoteInfoBlock(id, path)    `info block` lines of such a drive
 *   startRemoteAccounting()      block accounting in every iothread, now and in those that start
 *                                later; remoteBlockstats(id) a drive's `info blockstats` line
 *   remoteThreads()              the iothreads' pool workers, for `info threads`
 *   RemoteWatchpoint             `watch hd0.file.fd`: the console's point; the watching itself is a
 *                                real Watchpoint in the agent (taps there, pending until the drive
 *                                appears, condition evaluated there); a hit stops the console with
 *                                the iothread's frames
 *   syncRemoteBreaks(points)     `break TRACEPOINT`: the enabled tracepoint breakpoints, pushed to
 *                                every agent (the iothread's own TraceBreaks stops there too)
 *
 * Contract: emulator thread. Never throws for a missing agent: a path of an iothread that has not
 * started yet is pending, as a main-loop drive before `run`.
 */
import type { MachineOptions } from '../cli/qemu-options';
import { agentFor, ioThreadAgents, onAgentAttached, type IOThreadAgent } from './iothread-agents';
import type { AgentBreakSpec, AgentValue, AgentWatchSpec, AgentWatchState } from './agent-shared';
import { remoteValue } from './iothread-agent-proxy';
import { Point, type PointType } from './points';
import type { Resolution } from './tree';
import type { WatchMode } from './watch';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The iothread id that serves drive id / node name `name`, by the command line. */
export function remoteOwner(o: MachineOptions, name: string): string | undefined {
  const d = o.drives.find((x) => x.id === name || (x.nodeName !== undefined && x.nodeName === name));
  if (d === undefined) return undefined;
  return o.devices.find((x) => x.drive === d.id && x.iothread !== undefined)?.iothread;
}

/** An agent's answer as a resolution: an object is a live remote object (iothread-agent-proxy.ts). */
function toResolution(v: AgentValue, a: IOThreadAgent): Resolution {
  if (!v.ok) return { ok: false, error: v.error, pending: v.pending };
  return { ok: true, value: remoteValue(a, v), steps: [], direct: false };
}

/** Resolve `path` (first word `first`) in the iothread that owns it; undefined if none does. */
export function remoteResolve(first: string, path: string): Resolution | undefined {
  const owner = agentFor(first);
  const candidates = owner !== undefined ? [owner] : first.startsWith('#block') ? ioThreadAgents() : [];
  for (const a of candidates) {
    let v: AgentValue;
    try {
      v = a.call<AgentValue>('resolve', { path });
    } catch (e) {
      return { ok: false, error: errorText(e), pending: false };
    }
    if (v.ok || owner !== undefined) return toResolution(v, a);
  }
  return undefined;
}

/** `info block` text of drive `id` living in an iothread, or undefined if no agent has it. */
export function remoteInfoBlock(id: string, attached: string | undefined): string | undefined {
  const a = agentFor(id);
  if (a === undefined) return undefined;
  try {
    const text = a.call<string>('info_block', { id, attached: attached === undefined ? {} : { [id]: attached } });
    return text === '' ? undefined : text;
  } catch (e) {
    return `${id}: <iothread ${a.id}: ${errorText(e)}>\n`;
  }
}

let accounting = false;

/** Block accounting in every iothread: those attached now and those that attach later (once). */
export function startRemoteAccounting(): void {
  if (accounting) return;
  accounting = true;
  onAgentAttached((a) => {
    try {
      a.call('acct_start');
    } catch (e) {
      process.emitWarning(`vtrace debug: iothread ${a.id}: no block accounting: ${errorText(e)}`);
    }
  });
}

/** `info blockstats` line of drive `id` living in an iothread (QEMU's format), or undefined if no agent has it. */
export function remoteBlockstats(id: string): string | undefined {
  const a = agentFor(id);
  if (a === undefined) return undefined;
  try {
    return a.call<string | null>('blockstats', { id }) ?? undefined;
  } catch (e) {
    return `${id}: <iothread ${a.id}: ${errorText(e)}>`;
  }
}

/** Node names of every iothread's block nodes (tab completion); none from an iothread that does not answer. */
export function remoteNodeNames(): string[] {
  return ioThreadAgents().flatMap((a) => {
    try {
      return a.call<string[]>('nodes');
    } catch {
      return [];
    }
  });
}

/** The pool workers of every iothread (info threads). */
export function remoteThreads(): Array<{ iothread: string; name: string; tid: number; status: string; current: number | null }> {
  const out: Array<{ iothread: string; name: string; tid: number; status: string; current: number | null }> = [];
  for (const a of ioThreadAgents()) {
    try {
      for (const w of a.call<Array<{ name: string; tid: number; status: string; current: number | null }>>('threads')) out.push({ iothread: a.id, ...w });
    } catch {
      /* an iothread that does not answer shows no workers */
    }
  }
  return out;
}

const TITLES: Record<WatchMode, string> = {
  watch: 'Hardware watchpoint',
  rwatch: 'Hardware read watchpoint',
  awatch: 'Hardware access (read/write) watchpoint',
};
const TYPES: Record<WatchMode, PointType> = { watch: 'hw watchpoint', rwatch: 'read watchpoint', awatch: 'acc watchpoint' };

/** A watchpoint on state of iothread `iothread` (see the header). */
export class RemoteWatchpoint extends Point {
  readonly type: PointType;
  state: AgentWatchState;
  constructor(
    readonly mode: WatchMode,
    readonly expr: string,
    readonly iothread: string,
    private readonly sync: () => void,
    notYet: string,
    /** The path the agent watches, when not `expr` (`$:7.inflight` for `$vdev.inflight`). */
    private readonly agentExpr = expr,
  ) {
    super();
    this.type = TYPES[mode];
    this.state = { num: 0, pending: notYet, error: null };
  }

  title(): string {
    return `${TITLES[this.mode]} ${this.num}: ${this.expr}`;
  }
  what(): string {
    return this.expr;
  }
  override address(): string {
    return this.state.pending !== null ? '<PENDING>' : '';
  }
  get pending(): string | null {
    return this.state.pending;
  }
  override details(): string[] {
    return [`in iothread ${this.iothread}`];
  }
  arm(): void {
    this.sync();
  }
  disarm(): void {
    this.sync();
  }
  override changed(): void {
    if (this.enabled) this.sync();
  }

  /** The agent's report of a hit, naming the watchpoint as the user wrote it. */
  header(agentHeader: string): string {
    return this.agentExpr === this.expr ? agentHeader : agentHeader.replace(this.agentExpr, this.expr);
  }

  spec(): AgentWatchSpec {
    return { num: this.num, mode: this.mode, expr: this.agentExpr, cond: this.cond?.text ?? null };
  }
}

/** Push the enabled remote watchpoints of `points` to every attached agent; update their states. */
export function syncRemoteWatches(points: readonly Point[], notYet: (w: RemoteWatchpoint) => string): void {
  const all = points.filter((p): p is RemoteWatchpoint => p instanceof RemoteWatchpoint);
  const agents = new Map(ioThreadAgents().map((a) => [a.id, a]));
  for (const w of all) if (!agents.has(w.iothread)) w.state = { num: w.num, pending: notYet(w), error: null };
  for (const a of agents.values()) {
    const mine = all.filter((w) => w.iothread === a.id);
    const specs = mine.filter((w) => w.enabled).map((w) => w.spec());
    let states: AgentWatchState[];
    try {
      states = a.call<AgentWatchState[]>('watch', { specs });
    } catch (e) {
      for (const w of mine) w.state = { num: w.num, pending: null, error: errorText(e) };
      continue;
    }
    for (const w of mine) w.state = states.find((s) => s.num === w.num) ?? { num: w.num, pending: null, error: null };
  }
}

/** Push the enabled tracepoint breakpoints (`specs`) to every attached agent. Returns errors by number. */
export function syncRemoteBreaks(specs: readonly AgentBreakSpec[]): Map<number, string> {
  const errors = new Map<number, string>();
  for (const a of ioThreadAgents()) {
    try {
      for (const r of a.call<Array<{ num: number; error: string | null }>>('breaks', { specs })) if (r.error !== null) errors.set(r.num, `iothread ${a.id}: ${r.error}`);
    } catch (e) {
      for (const s of specs) errors.set(s.num, errorText(e));
    }
  }
  return errors;
}
