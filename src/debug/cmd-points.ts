/**
 * Console commands that set and manage stops: watch/rwatch/awatch, catch syscall, break/tbreak
 * (tracepoints), delete, disable, enable, ignore, condition, commands. gdb's wording for every
 * confirmation and error.
 */
import { qemu_get_aio_context } from '../util/main-loop';
import type { SyscallName } from '../host/record';
import type { ParsedCommand } from './command-names';
import type { CommandFn, DebugConsole } from './console';
import { ConsoleError } from './info';
import { SyscallCatchpoint } from './catch-syscall';
import type { Point } from './points';
import { syscallByNameOrNumber } from './syscall-info';
import { TraceBreakpoint, findTracepoint } from './trace-break';
import { Watchpoint, WatchError, type WatchMode } from './watch';
import { ExprError } from './expr';
import { RemoteWatchpoint, remoteOwner } from './remote-state';
import { remoteHandle } from './iothread-agent-proxy';
import { tokenize } from './path-syntax';

/** `EXPR if COND` → [EXPR, COND] (the last ` if ` outside a string). */
export function splitCondition(args: string): [string, string | null] {
  const m = /^(.*?)\s+if\s+(.*)$/s.exec(args);
  if (m === null) return [args.trim(), null];
  return [m[1].trim(), m[2].trim()];
}

function setCond(c: DebugConsole, p: Point, cond: string | null): void {
  try {
    c.points.setCondition(p, cond);
  } catch (e) {
    throw new ConsoleError(e instanceof Error ? e.message : String(e));
  }
}

function watch(mode: WatchMode): CommandFn {
  return (c, cmd) => {
    const [expr, cond] = splitCondition(cmd.args);
    if (expr === '') throw new ConsoleError('Argument required (expression to compute).');
    const remote = remoteWatch(c, mode, expr, cond);
    if (remote !== undefined) return remote;
    try {
      Watchpoint.validate(c.tree, mode, expr);
    } catch (e) {
      if (e instanceof WatchError || e instanceof ExprError) throw new ConsoleError(e.message);
      throw e;
    }
    const w = new Watchpoint(mode, expr, c.tree, c.points, c, (p) => c.lookup(p));
    setCond(c, w, cond);
    c.points.add(w);
    c.pointAdded();
    c.refreshWatches();
    return w.pending !== null ? `${w.title()} (pending: ${w.pending})\n` : `${w.title()}\n`;
  };
}

/** `watch` on state of an iothread (a dataplane drive): the agent there watches (remote-state.ts). */
function remoteWatch(c: DebugConsole, mode: WatchMode, expr: string, cond: string | null): string | undefined {
  let first: string;
  try {
    const t = tokenize(expr)[0];
    if (t === undefined || t.t !== 'name' || t.sep === '/') return undefined;
    first = t.s;
  } catch {
    return undefined;
  }
  // A convenience variable holding an iothread's object (`$vdev` at a stop there): the agent
  // watches the same path from its handle (`$:7.inflight`).
  const held = first.startsWith('$') ? remoteHandle(c.tree.env.vars.get(first)) : undefined;
  const io = held !== undefined ? held.agent.id : remoteOwner(c.options, first);
  if (io === undefined) return undefined;
  const agentExpr = held !== undefined ? `$:${held.handle}${expr.trim().slice(first.length)}` : expr;
  const w = new RemoteWatchpoint(mode, expr, io, () => c.syncRemoteWatches(), `No symbol "${first}" in current context.`, agentExpr);
  c.points.add(w);
  if (cond !== null) setCond(c, w, cond);
  if (w.state.error !== null) {
    const e = w.state.error;
    c.points.delete(w);
    throw new ConsoleError(e);
  }
  c.pointAdded();
  return w.pending !== null ? `${w.title()} (pending: ${w.pending})\n` : `${w.title()}\n`;
}

function catchCmd(c: DebugConsole, cmd: ParsedCommand): string {
  const [body, cond] = splitCondition(cmd.args);
  const [kind, ...words] = body.split(/\s+/).filter((w) => w !== '');
  if (kind === undefined) throw new ConsoleError('Catch requires an event name (catch syscall [NAME...]).');
  if (kind !== 'syscall') throw new ConsoleError(`Undefined catch command: "${kind}".  Try "help catch".`);
  const names: SyscallName[] = [];
  for (const w of words) {
    const n = syscallByNameOrNumber(w);
    if (n === undefined) throw new ConsoleError(/^\d+$/.test(w) ? `Unknown syscall number '${w}'.` : `Unknown syscall name '${w}'.`);
    if (!names.includes(n)) names.push(n);
  }
  const p = new SyscallCatchpoint(names.length === 0 ? null : names, c.catches);
  setCond(c, p, cond);
  c.points.add(p);
  c.pointAdded();
  let out = `${p.title()}\n`;
  const pool = qemu_get_aio_context().thread_pool;
  if (pool !== null && !pool.modules.some((m) => /catch-worker\.js$/.test(m))) {
    out += 'warning: the thread pool started before the console: its workers\' syscalls are not caught (only the emulator thread\'s)\n';
  }
  return out;
}

function breakCmd(temporary: boolean): CommandFn {
  return (c, cmd) => {
    const [name, cond] = splitCondition(cmd.args);
    if (name === '') throw new ConsoleError('Argument required (a tracepoint name; see "info trace-events").');
    const tp = findTracepoint(name);
    if (tp === undefined) throw new ConsoleError(`No tracepoint "${name}" (see "info trace-events"; breakpoints stop at tracepoints).`);
    if (/^(syscall_|worker_thread_job_)/.test(name)) throw new ConsoleError(`${name} fires on pool workers: use "catch syscall" to stop there.`);
    const p = new TraceBreakpoint(name, c.breaks);
    p.temporary = temporary;
    setCond(c, p, cond);
    c.points.add(p);
    c.pointAdded();
    return `${p.title()}\n`;
  };
}

/** The points named by "N M-K ..." (all when empty). */
function selected(c: DebugConsole, args: string): Point[] {
  if (args.trim() === '') return [...c.points.all()];
  const out: Point[] = [];
  for (const w of args.split(/\s+/)) {
    const r = /^(\d+)(?:-(\d+))?$/.exec(w);
    if (r === null) throw new ConsoleError(`Convenience variable must have integer value.\nArgs must be numbers or '$' variables.`);
    const lo = Number(r[1]);
    const hi = r[2] === undefined ? lo : Number(r[2]);
    for (let n = lo; n <= hi; n++) {
      const p = c.points.get(n);
      if (p === undefined) throw new ConsoleError(`No breakpoint number ${n}.`);
      out.push(p);
    }
  }
  return out;
}

function pointOf(c: DebugConsole, word: string | undefined): Point {
  if (word === undefined || word === '') throw new ConsoleError('Argument required (breakpoint number).');
  if (!/^\d+$/.test(word)) throw new ConsoleError(`Bad breakpoint argument: '${word}'`);
  const p = c.points.get(Number(word));
  if (p === undefined) throw new ConsoleError(`No breakpoint number ${word}.`);
  return p;
}

function commands(c: DebugConsole, cmd: ParsedCommand): string {
  const [first, ...body] = cmd.args.split('\n');
  const all = c.points.all();
  const p = first.trim() === '' ? all[all.length - 1] : pointOf(c, first.trim());
  if (p === undefined) throw new ConsoleError('No breakpoints specified.');
  const lines = body.map((l) => l.trim()).filter((l) => l !== '');
  if (lines[lines.length - 1] === 'end') lines.pop();
  p.commands = lines;
  return '';
}

export const pointCommands: Array<[string, string, CommandFn]> = [
  ['watch', 'watch PATH [if COND]: stop when a field of emulator state changes (pending until it exists)', watch('watch')],
  ['rwatch', 'rwatch PATH [if COND]: stop when the field is read', watch('rwatch')],
  ['awatch', 'awatch PATH [if COND]: stop when the field is read or written', watch('awatch')],
  ['catch', 'catch syscall [NAME|NUMBER...] [if COND]: stop at the call and the return of host syscalls (any thread)', catchCmd],
  ['break', 'break TRACEPOINT [if COND]: stop when a tracepoint fires (arguments are the condition\'s names)', breakCmd(false)],
  ['tbreak', 'tbreak TRACEPOINT [if COND]: as break, deleted after the first stop', breakCmd(true)],
  [
    'delete',
    'delete [N...]: delete breakpoints, watchpoints, catchpoints (all without N)',
    (c, cmd) => {
      for (const p of selected(c, cmd.args.replace(/^breakpoints\s*/, ''))) c.points.delete(p);
      c.refreshWatches();
      return '';
    },
  ],
  [
    'disable',
    'disable [N...]: disable them (all without N)',
    (c, cmd) => {
      for (const p of selected(c, cmd.args)) c.points.setEnabled(p, false);
      c.refreshWatches();
      return '';
    },
  ],
  [
    'enable',
    'enable [N...]: enable them (all without N)',
    (c, cmd) => {
      for (const p of selected(c, cmd.args)) c.points.setEnabled(p, true);
      c.refreshWatches();
      return '';
    },
  ],
  [
    'ignore',
    'ignore N COUNT: do not stop at breakpoint N the next COUNT times it is reached',
    (c, cmd) => {
      const [n, count] = cmd.args.split(/\s+/);
      const p = pointOf(c, n);
      if (count === undefined || !/^\d+$/.test(count)) throw new ConsoleError('Second argument (specified ignore-count) is missing.');
      p.ignore = Number(count);
      return p.ignore === 0 ? `Will stop next time breakpoint ${p.num} is reached.\n` : p.ignore === 1 ? `Will ignore next crossing of breakpoint ${p.num}.\n` : `Will ignore next ${p.ignore} crossings of breakpoint ${p.num}.\n`;
    },
  ],
  [
    'condition',
    'condition N [COND]: stop at N only when COND is true (no COND: always)',
    (c, cmd) => {
      const m = /^(\S+)\s*(.*)$/s.exec(cmd.args);
      const p = pointOf(c, m?.[1]);
      const cond = m?.[2].trim() ?? '';
      setCond(c, p, cond === '' ? null : cond);
      return cond === '' ? `Breakpoint ${p.num} now unconditional.\n` : '';
    },
  ],
  ['commands', 'commands [N] ... end: commands to run when N stops', commands],
];
