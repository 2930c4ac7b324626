/**
 * The debug console's interpreter on the emulator thread: gdb's commands over emulator state,
 * reached through the debug channel by every front end (`vtrace debug`, the TUI's `:` line, gdb's
 * `monitor` through the guest stub):
 *
 *   'console.exec'     {line} → output text. Inspection and breakpoints only: a run-control command
 *                      (run, continue, stepi, next-event) is refused, so `monitor continue` cannot
 *                      resume the machine behind gdb's back.
 *   'console.run'      {line} → output text; also runs the machine (the console front ends use it).
 *   'console.drain'    → the reports of stops and `commands` output queued since the last drain.
 *   'console.complete' {line} → completions of the line's last word (commands, info topics, paths).
 *   'console.detach'   the front end leaves: every point is deleted and nothing stops any more.
 *
 * Stops: a watchpoint, catchpoint or tracepoint breakpoint calls `stop()` (Stopper) from wherever it
 * fired; the report is queued, the point's `commands` run, and the thread blocks in the channel's
 * stopHere until a front end continues. Hart stops (Ctrl-C, stepi, the gdb stub's breakpoints)
 * are reported from the channel's onStop. While a console stop lasts, pool workers block before
 * their next syscall (catch-syscall.ts); `system_reset` lifts that while it drains the drives.
 *
 * Contract: emulator thread. Command errors throw ConsoleError (one line, gdb's wording where gdb has
 * one); the channel turns them into error replies. Nothing here throws for bad user input otherwise.
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { VirtMachine } from '../machine/virt/virt';
import { DebugRequestError, type DebugServer, type StopEvent } from '../system/debug-channel';
import type { ConsoleCommands } from '../system/debug-commands';
import { gettid, threadName } from '../host/thread-id';
import { BlockAccounting } from './acct';
import { CatchManager } from './catch-syscall';
import { COMMAND_NAMES, parseCommand, type ParsedCommand } from './command-names';
import { ExprError, evalExpr, parseExpr, type Value } from './expr';
import { captureAnchor, formatFrame, stitchStop, type Anchor, type Backtrace } from './frames';
import { ConsoleError } from './info';
import { objectAt } from './pointers';
import { Points } from './points';
import type { StopRequest, Stopper, ThreadRef } from './stop';
import { TraceBreakpoint, TraceBreaks } from './trace-break';
import { completeLine } from './completion';
import { StateTree } from './tree';
import { Watchpoint } from './watch';
import { onNodeOpen, wantNodeOpenEvents } from './lifecycle';
import { quietly } from './taps';
import { RemoteWatchpoint, remoteResolve, syncRemoteBreaks, syncRemoteWatches } from './remote-state';
import { onAgentAttached, pauseIOThreads, resumeIOThreads, setAgentHitHandler } from './iothread-agents';
import type { AgentBreakSpec, AgentHit } from './agent-shared';
import { dataCommands } from './cmd-data';
import { pointCommands } from './cmd-points';
import { frameCommands } from './cmd-frames';
import { installFramePrinter } from './frame-printer';
import { liveFrameZero, type LiveFrame } from './frame-args';
import type {} from './requests';
import { armBacktraces, attachBacktraceMachine, backtracesArmed } from '../trace/backtrace';

export { ConsoleError };

export type Phase = 'not-started' | 'running' | 'exited';

export type CommandFn = (c: DebugConsole, cmd: ParsedCommand) => string;

/** The stop being reported (valid while the thread is blocked in it). */
export interface CurrentStop {
  req: StopRequest;
  thread: ThreadRef;
  anchor: Anchor | null;
  bt: Backtrace | null;
  /** The stopped thread's live frames with their arguments, when a front end read them ('console.live'). */
  live: LiveFrame[] | null;
}

export interface ConsoleOptions {
  /** `vtrace debug`: nothing runs until `run`; block accounting from the start. */
  debugMode: boolean;
}

export class DebugConsole implements Stopper {
  readonly tree: StateTree;
  readonly points = new Points();
  readonly catches: CatchManager;
  readonly breaks: TraceBreaks;
  readonly acct: BlockAccounting;
  phase: Phase;
  current: CurrentStop | null = null;
  /** A hart stop (Ctrl-C, stepi) in progress, from the channel. */
  hartStop: StopEvent | null = null;
  /** The frame `frame`/`up`/`down` selected in the current stop's backtrace. */
  frameSel = 0;
  /** print's value history ($1, $2, ...). */
  readonly history: unknown[] = [];
  /** Output for the front ends; a stop's report waits for its live frame arguments (drain). */
  private readonly queue: Array<string | StopReport> = [];
  private readonly handlers = new Map<string, CommandFn>();
  private readonly help = new Map<string, string>();
  private lastThread: number;
  private running = false;
  private detached = false;

  constructor(
    readonly server: DebugServer,
    readonly machine: () => VirtMachine | null,
    readonly options: MachineOptions,
    readonly builtin: ConsoleCommands | null,
    opts: ConsoleOptions,
  ) {
    this.phase = opts.debugMode ? 'not-started' : 'running';
    this.lastThread = gettid();
    this.tree = new StateTree(machine, options);
    const lookup = (p: string) => this.lookup(p);
    this.catches = new CatchManager(this.points, this, lookup);
    this.breaks = new TraceBreaks(this.points, this, lookup, (v) => objectAt(this.tree, v));
    this.acct = new BlockAccounting(this.tree, this.breaks);
    if (opts.debugMode) this.acct.start();
    for (const group of [dataCommands, pointCommands, frameCommands]) {
      for (const [name, help, fn] of group) {
        this.handlers.set(name, fn);
        this.help.set(name, help);
      }
    }
    server.register('console.exec', (p) => this.request(p, false));
    server.register('console.run', (p) => this.request(p, true));
    server.register('console.drain', (p) => this.drain(p?.final === true));
    server.register('console.complete', (p) => completeLine(this, typeof p?.line === 'string' ? p.line : ''));
    server.register('console.detach', () => this.detach());
    // Live frame arguments (src/debug/live-frames.ts): which thread to read, then what was read.
    server.register('console.where', () => (this.current !== null ? { name: this.current.thread.name, tid: this.current.thread.tid } : null));
    server.register('console.live', (p) => {
      if (this.current !== null && Array.isArray(p?.frames)) this.current.live = p.frames;
    });
    installFramePrinter();
    server.onStop.push((s) => this.serverStopped(s));
    server.onResume.push(() => this.serverResumed());
    onNodeOpen(() => this.refreshWatches());
    // Drives in iothreads (dataplane): their state through the iothreads' agents; the iothreads
    // pause at every stop (docs/stops.md).
    this.tree.remote = (first, path) => remoteResolve(first, path);
    onAgentAttached(() => {
      this.syncRemoteWatches();
      this.syncRemoteBreaks();
    });
    this.breaks.remoteSync = () => this.syncRemoteBreaks();
    setAgentHitHandler((a, hit) => this.agentHit(hit));
    server.onStop.push(() => {
      pauseIOThreads();
    });
    server.onResume.push(() => resumeIOThreads());
  }

  /** Push the remote watchpoints (state in iothreads) to the agents. */
  syncRemoteWatches(): void {
    syncRemoteWatches(this.points.all(), (w) => `No symbol "${w.expr.split(/[.\-/[]/)[0]}" in current context.`);
  }

  /** Push the tracepoint breakpoints to the iothreads' agents (their events fire there). */
  syncRemoteBreaks(): void {
    const specs = this.points
      .all()
      .filter((p): p is TraceBreakpoint => p instanceof TraceBreakpoint && p.enabled)
      .map((p): AgentBreakSpec => ({ num: p.num, tracepoint: p.tracepoint, cond: p.cond?.text ?? null, temporary: p.temporary }));
    const step = this.breaks.steppingTo;
    if (step !== null) specs.push({ num: 0, tracepoint: step, cond: null, temporary: true, step: true });
    for (const [num, e] of syncRemoteBreaks(specs)) this.print(num === 0 ? `warning: next-event: ${e}` : `warning: breakpoint ${num}: ${e}`);
  }

  /** An iothread's agent reported a watchpoint or tracepoint breakpoint hit; it waits until this returns. */
  private agentHit(hit: AgentHit): void {
    if (hit.num === 0) {
      // next-event fired in an iothread: disarm it everywhere, stop there.
      if (this.breaks.steppingTo === null) return;
      this.breaks.cancelStep();
      const vars = hit.vars === undefined ? undefined : new Map<string, unknown>(hit.vars);
      this.stop({ header: hit.header, frames: hit.frames, vars, thread: { name: hit.thread, tid: hit.tid }, remote: true });
      return;
    }
    const p = this.points.get(hit.num);
    if (!(p instanceof RemoteWatchpoint) && !(p instanceof TraceBreakpoint)) return;
    const c = this.points.check(p, () => undefined, { condDone: true });
    if (!c.stop) return;
    const vars = hit.vars === undefined ? undefined : new Map<string, unknown>(hit.vars);
    const header = p instanceof RemoteWatchpoint ? p.header(hit.header) : hit.header;
    this.stop({ header, frames: hit.frames, point: p, vars, thread: { name: hit.thread, tid: hit.tid }, remote: true });
  }

  // ---- output -----------------------------------------------------------------------------------

  /** Queue text for the front ends ('console.drain'). */
  print(text: string): void {
    if (text !== '') this.queue.push(text.endsWith('\n') ? text : text + '\n');
  }

  /**
   * The queued output. A report of the stop still in progress whose live frames have not arrived
   * is held (with everything after it) unless `final`: the console client reads the live frames
   * after the 'stopped' event, then drains with `final`, so frame #0 shows its arguments even when
   * one of its periodic drains races the stop.
   */
  drain(final = false): string {
    let out = '';
    while (this.queue.length > 0) {
      const e = this.queue[0];
      if (typeof e === 'string') out += e;
      else {
        if (!final && e.stop === this.current && e.stop.live === null) break;
        out += renderReport(e);
      }
      this.queue.shift();
    }
    return out;
  }

  // ---- names ------------------------------------------------------------------------------------

  /** Resolve a name for expressions: the current stop's variables, then the state tree. */
  lookup(path: string): Value {
    const r = this.tree.resolve(path);
    if (!r.ok) throw new ExprError(r.error);
    return r.value as Value;
  }

  /** Evaluate an expression (quietly: no read watchpoint fires). */
  evaluate(text: string): Value {
    return quietly(() => evalExpr(parseExpr(text), (p) => this.lookup(p)));
  }

  // ---- requests ---------------------------------------------------------------------------------

  private request(p: { line?: unknown } | undefined, runAllowed: boolean): string {
    if (typeof p?.line !== 'string') throw new DebugRequestError('console: line must be a string');
    try {
      return this.exec(p.line, runAllowed);
    } catch (e) {
      if (e instanceof ConsoleError || e instanceof ExprError || e instanceof DebugRequestError) throw new DebugRequestError(e.message);
      throw new DebugRequestError(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Run one line (or a `commands` block / several lines separated by newlines). */
  exec(line: string, runAllowed = true): string {
    const lines = line.split('\n');
    if (lines.length > 1 && parseCommand(lines[0]).cmd?.name !== 'commands') {
      let out = '';
      for (const l of lines) out += this.exec(l, runAllowed);
      return out;
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return '';
    // A `commands` block: the header's arguments, then the body's lines.
    const head = parseCommand(lines[0]);
    const cmd = lines.length > 1 ? { ...head, args: [head.args, ...lines.slice(1)].join('\n') } : parseCommand(t);
    if (cmd.ambiguous !== undefined) throw new ConsoleError(`Ambiguous command "${cmd.word}": ${cmd.ambiguous.sort().join(', ')}.`);
    if (cmd.cmd === undefined) return this.fallback(t, cmd.word);
    const cls = cmd.cmd.cls;
    if (cls === 'run' || cls === 'continue' || cls === 'step' || cls === 'next-event') {
      if (!runAllowed) throw new ConsoleError(`${cmd.cmd.name}: this console does not run the machine (use the front end's own continue/step)`);
      const out = this.runControl(cmd);
      this.refreshWatches();
      return out;
    }
    if (cls === 'quit' || cls === 'kill') throw new ConsoleError(`${cmd.cmd.name}: handled by the front end (it ends the machine)`);
    const fn = this.handlers.get(cmd.cmd.name);
    if (fn === undefined) return this.fallback(t, cmd.word);
    const out = fn(this, cmd);
    this.refreshWatches();
    return out;
  }

  /** Commands of the machine's own console (info registers, info cpus, system_reset). */
  private fallback(line: string, word: string): string {
    if (this.builtin !== null) {
      try {
        return this.builtin.exec(line);
      } catch (e) {
        if (!(e instanceof DebugRequestError) || !e.message.startsWith('unknown command')) throw e;
      }
    }
    throw new ConsoleError(`Undefined command: "${word}".  Try "help".`);
  }

  /** Run a builtin command of the machine's console, or undefined if it has none of that name. */
  builtinExec(line: string): string | undefined {
    if (this.builtin === null) return undefined;
    try {
      return this.builtin.exec(line);
    } catch (e) {
      if (e instanceof DebugRequestError && e.message.startsWith('unknown command')) return undefined;
      throw e;
    }
  }

  helpText(): string {
    const rows = COMMAND_NAMES.filter((c) => this.help.has(c.name) || c.cls !== undefined).map((c) => {
      const names = [c.name, ...(c.aliases ?? [])].join(', ');
      return `${names.padEnd(26)} -- ${this.help.get(c.name) ?? RUN_HELP[c.name] ?? ''}`;
    });
    return rows.join('\n') + '\n';
  }

  // ---- running ----------------------------------------------------------------------------------

  get stopped(): boolean {
    return this.server.stopped !== null;
  }

  private runControl(cmd: ParsedCommand): string {
    const name = cmd.cmd!.name;
    if (this.phase === 'exited') {
      throw new ConsoleError(name === 'run' ? 'The machine has ended; vtrace cannot run it again (quit, then start vtrace debug again).' : 'The program is not being run.');
    }
    if (name === 'run') {
      if (this.phase !== 'not-started') throw new ConsoleError('The program being debugged has been started already.');
      this.phase = 'running';
      this.server.resume({ kind: 'continue' });
      return '';
    }
    if (name === 'next-event') {
      const pattern = cmd.args === '' ? '*' : cmd.args;
      this.breaks.stepEvent(pattern);
      if (this.phase === 'not-started') this.phase = 'running';
      else if (!this.stopped) throw new ConsoleError('The program is not stopped.');
      this.server.resume({ kind: 'continue' });
      return '';
    }
    if (this.phase === 'not-started') throw new ConsoleError('The program is not being run.');
    if (!this.stopped) throw new ConsoleError('The program is not stopped.');
    if (name === 'continue') {
      let out = '';
      if (cmd.args !== '') {
        const n = Number(this.evaluate(cmd.args));
        const p = this.current?.req.point;
        if (!Number.isInteger(n) || n < 1) throw new ConsoleError(`Argument must be a positive number.`);
        if (p !== undefined) {
          p.ignore = n - 1;
          out += `Will ignore next ${n - 1} crossings of breakpoint ${p.num}.  Continuing.\n`;
        } else out += 'Not stopped at any breakpoint; argument ignored.\n';
      }
      this.server.resume({ kind: 'continue' });
      return out;
    }
    // stepi: one instruction of the stopped hart (after a console stop: of hart 0, once the
    // emulator is back at an instruction boundary).
    const hart = this.hartStop?.hart ?? 0;
    this.server.resume({ kind: 'step', hart });
    return '';
  }

  /** `vtrace debug` before `run`: answer the front ends until `run` (true) or quit (false). */
  waitForRun(): boolean {
    this.server.stopHere({ hart: 0, reason: { kind: 'console', what: 'not-started', num: 0 } });
    return this.phase === 'running';
  }

  /** `vtrace debug` after the guest ended: report it and stay inspectable until quit. */
  exited(text: string): void {
    this.phase = 'exited';
    this.print(text);
    this.breaks.release();
    this.catches.release();
    this.server.stopHere({ hart: 0, reason: { kind: 'console', what: 'exited', num: 0 } });
  }

  /** The front end leaves (quit, kill): delete every point, release blocked workers, stop no more. */
  detach(): void {
    this.detached = true;
    for (const p of [...this.points.all()]) this.points.delete(p);
    this.syncRemoteWatches();
    this.breaks.release();
    this.catches.release();
    wantNodeOpenEvents(false);
  }

  // ---- stops ------------------------------------------------------------------------------------

  stop(req: StopRequest): void {
    if (this.server.stopped !== null || this.running || this.detached) return; // inside a stop or a `commands` list
    const thread = req.thread ?? emulatorThread();
    let anchor: Anchor | null = req.anchor ?? null;
    if (anchor === null && req.remote !== true) {
      try {
        anchor = captureAnchor();
      } catch {
        anchor = null;
      }
    }
    const cur: CurrentStop = { req, thread, anchor, bt: null, live: null };
    this.current = cur;
    this.frameSel = 0;
    for (const [k, v] of req.vars ?? []) this.tree.env.vars.set(k, v);
    let text = '';
    if (thread.tid !== this.lastThread) {
      text += `\n[Switching to Thread ${thread.tid} (LWP ${thread.tid}) "${thread.name}"]`;
      this.lastThread = thread.tid;
    }
    text += req.header;
    const p = req.point;
    let silent = false;
    let cont = false;
    let out = '';
    if (p !== undefined && p.commands.length > 0) {
      this.running = true;
      try {
        for (const [i, c] of p.commands.entries()) {
          const w = parseCommand(c);
          if (i === 0 && c.trim() === 'silent') {
            silent = true;
            continue;
          }
          if (w.cmd?.cls === 'continue') {
            cont = true;
            break;
          }
          try {
            out += this.exec(c, false);
          } catch (e) {
            out += `${e instanceof Error ? e.message : String(e)}\n`;
            break;
          }
        }
      } finally {
        this.running = false;
      }
    }
    if (!silent) this.queue.push({ stop: cur, text });
    this.print(out);
    if (p !== undefined && p.temporary) this.points.delete(p);
    if (!cont) {
      const what = p === undefined ? 'event' : p.type === 'catchpoint' ? 'catchpoint' : p.type === 'breakpoint' ? 'breakpoint' : 'watchpoint';
      // All-stop: pool workers block before their next syscall until the stop ends.
      this.catches.setStopped(true);
      try {
        this.server.stopHere({ hart: this.hartStop?.hart ?? 0, reason: { kind: 'console', what, num: p?.num ?? 0 } });
      } finally {
        this.catches.setStopped(false);
      }
    }
    this.current = null;
  }

  private serverStopped(s: StopEvent): void {
    if (s.reason.kind === 'console') return;
    this.hartStop = s;
    this.current = null;
    this.frameSel = 0;
    const m = this.machine();
    const pc = m?.harts[s.hart]?.getPc() ?? 0n;
    const at = `0x${pc.toString(16).padStart(16, '0')} in ?? ()`;
    if (gettid() !== this.lastThread) this.lastThread = gettid();
    switch (s.reason.kind) {
      case 'interrupted':
        this.print(`\nProgram received signal SIGINT, Interrupt.\n${at}\n`);
        break;
      case 'stepped':
        this.print(`${at}\n`);
        break;
      case 'breakpoint':
        this.print(`\nStopped at a guest breakpoint (hart ${s.hart}), ${at}\n`);
        break;
      case 'watchpoint':
        this.print(`\nStopped by a guest ${s.reason.type} watchpoint at 0x${s.reason.addr.toString(16)} (hart ${s.hart}), ${at}\n`);
        break;
      case 'start':
        this.print(`\nStopped before the first instruction (hart ${s.hart}), ${at}\n`);
        break;
      default:
        this.print(`\nStopped (${s.reason.kind}), ${at}\n`);
    }
  }

  private serverResumed(): void {
    this.hartStop = null;
    this.refreshWatches();
  }

  /** The stitched backtrace of the current stop (computed once per stop). */
  backtrace(): Backtrace | null {
    const c = this.current;
    if (c === null || c.anchor === null) return null;
    if (c.bt === null) c.bt = stitchStop(c.anchor);
    return c.bt;
  }

  /**
   * Links for stitched backtraces, armed once the console has a point (under `vtrace debug` the
   * host arms them at startup, before pool workers exist, so workers carry their job links too).
   * Armed, every I/O boundary captures a stack (a few µs): not before the console is used.
   */
  pointAdded(): void {
    if (backtracesArmed()) return;
    armBacktraces(true);
    const m = this.machine();
    if (m !== null) attachBacktraceMachine(m);
  }

  // ---- pending watchpoints ----------------------------------------------------------------------

  /** Re-try pending watchpoints; follow node opens while any is pending. */
  refreshWatches(): void {
    let pending = false;
    for (const p of this.points.all()) {
      if (!(p instanceof Watchpoint) || !p.enabled) continue;
      if (p.pending !== null) p.refresh();
      if (p.pending !== null) pending = true;
    }
    wantNodeOpenEvents(pending);
    if (this.points.all().some((p) => p instanceof RemoteWatchpoint && p.enabled && p.pending !== null)) this.syncRemoteWatches();
  }
}

/** A stop's report: the header, then frame #0 with its live arguments once they are known. */
interface StopReport {
  stop: CurrentStop;
  /** The lines before the frame line. */
  text: string;
}

function renderReport(r: StopReport): string {
  const req = r.stop.req;
  const f0 = req.frameInHeader ? undefined : liveFrameZero(req.frames, r.stop.live);
  return f0 === undefined ? `${r.text}\n` : `${r.text}\n${formatFrame(0, f0)}\n`;
}

const RUN_HELP: Record<string, string> = {
  run: 'start the machine (vtrace debug: the drives are opened and the harts start now)',
  continue: 'continue after a stop (continue N: ignore this breakpoint N-1 more times)',
  stepi: 'execute one guest instruction on the stopped hart',
  'next-event': 'continue until the next tracepoint fires (next-event [PATTERN])',
  kill: 'end the machine',
  quit: 'end the machine and the console',
  commands: 'commands [N] ... end: console commands to run when breakpoint N stops (silent, continue)',
};

/** This (the emulator) thread, as reports name it. */
export function emulatorThread(): ThreadRef {
  const n = threadName();
  return { name: n.startsWith('worker-') ? 'emulator' : n, tid: gettid() };
}
