/**
 * The plugin host on the emulator thread (src/system/emulator-thread.ts drives it):
 *
 *   const plugins = new PluginHost({ send })     send: text for the user's stderr (the front end)
 *   const bad = plugins.load(options.plugins)    before the machine is built; a string is a bad
 *                                                argument: one line, the run must not start
 *   plugins.attach(machine, commands, server)    the machine exists: vCPUs, CPU hooks, commands,
 *                                                panes, onStart callbacks
 *   plugins.poll()                               once per run-loop round: worker events, output
 *   plugins.exit()                               after qemu_cleanup: the exit reports
 *
 * Fault isolation: `guard` wraps every callback a plugin gives; a throw (or a module that fails to
 * load, or an install that throws) unloads that plugin — its subscriptions, CPU callbacks, panes
 * and commands go — with one line naming it, where it threw and the plugin's source line; the
 * machine goes on. Thrown api.error(...) or argument errors in install are the user's mistake
 * instead: `load` returns them and the run does not start.
 *
 * Contract: emulator thread only.
 */
import * as path from 'node:path';
import type { VirtMachine } from '../machine/virt/virt';
import type { ConsoleCommands } from '../system/debug-commands';
import { DebugRequestError, type DebugServer } from '../system/debug-channel';
import type { AnyTracepoint } from '../trace/tracepoint';
import { attachMachineTracing } from '../trace/attach-machine';
import { PluginArgError, PluginArgsImpl, type PluginSpec } from './args';
import { FileSink, FrontEndSink, type TextSink } from './output';
import { PluginRelay, type RelayedEvent } from './relay';
import { TbEngine } from './tb';
import { OwnTracepoints } from './own-tracepoints';
import { VcpuView } from './machine-view';
import { PluginEventImpl, cleanCorrelation } from './event';
import { makeApi, PluginRec, PluginUserError } from './context';
import type { PluginEvent, PluginInstall } from './api';
import { infoPlugins, installPanes, postFinalPanes } from './panes';

export interface PluginHostIo {
  /** Text for the user's stderr (newline-terminated lines). */
  send(text: string): void;
}

/** `Name: message (at plugins/x.js:12:5)` for a plugin's throw: the plugin's own frame, if any. */
export function describeThrow(e: unknown, file: string): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : `a non-Error value: ${String(e)}`;
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const line = stack.split('\n').find((l) => l.includes(file));
  // A frame (`at f (/x/p.js:12:5)`), or a SyntaxError's first stack line (`/x/p.js:2`).
  const m = line === undefined ? null : /(\/[^():]+):(\d+)(?::(\d+))?/.exec(line);
  let where = '';
  if (m !== null) {
    const rel = path.relative(process.cwd(), m[1]);
    where = ` (at ${rel !== '' && !rel.startsWith('..') ? rel : m[1]}:${m[2]}${m[3] !== undefined ? `:${m[3]}` : ''})`;
  }
  return `${text.split('\n')[0]}${where}`;
}

export class PluginHost {
  readonly plugins: PluginRec[] = [];
  readonly relay = new PluginRelay();
  readonly tbs = new TbEngine();
  readonly own = new OwnTracepoints();
  machine: VirtMachine | null = null;
  vcpus: VcpuView[] = [];
  private readonly stderr: FrontEndSink;
  private commands: ConsoleCommands | null = null;
  private readonly pendingCommands: Array<() => void> = [];
  private readonly relaySubs = new Map<number, Array<(ev: PluginEvent) => void>>();
  private machineTraced = true;
  private wantMachineTracing = false;

  constructor(private readonly io: PluginHostIo) {
    this.stderr = new FrontEndSink((t) => io.send(t));
  }

  /** Load and install each plugin in order. Returns a bad-argument message, or null. */
  load(specs: readonly PluginSpec[]): string | null {
    for (const spec of specs) {
      const n = this.plugins.filter((p) => p.spec.name === spec.name).length;
      const name = n === 0 ? spec.name : `${spec.name}#${n + 1}`;
      const out: TextSink = spec.outfile === undefined ? this.stderr : new FileSink(spec.outfile, this.stderr, (m) => this.say(`plugin ${name}: ${m}`));
      const rec = new PluginRec(spec, name, out);
      this.plugins.push(rec);
      let install: PluginInstall;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(spec.file) as unknown;
        const fn = typeof mod === 'function' ? mod : (mod as { install?: unknown } | null)?.install;
        if (typeof fn !== 'function') throw new TypeError(`${path.basename(spec.file)} exports no install(api, args) function`);
        install = fn as PluginInstall;
      } catch (e) {
        this.fault(rec, 'loading', e);
        continue;
      }
      try {
        install(makeApi(this, rec), new PluginArgsImpl(name, spec.args));
      } catch (e) {
        if (e instanceof PluginArgError) return e.message;
        if (e instanceof PluginUserError) return `plugin ${name}: ${e.message}`;
        this.fault(rec, 'install', e);
      }
    }
    // Pools and iothreads get the relay as they start, so later subscriptions reach them too.
    if (this.plugins.length > 0) this.relay.prepare();
    return null;
  }

  /** The machine exists: vCPU views, CPU hooks, commands, panes, then the onStart callbacks. */
  attach(machine: VirtMachine, commands: ConsoleCommands, server: DebugServer, opts: { machineTraced: boolean }): void {
    this.machine = machine;
    this.machineTraced = opts.machineTraced;
    this.vcpus = machine.harts.map((h) => new VcpuView(h));
    this.tbs.attach(machine, this.vcpus);
    if (this.wantMachineTracing) this.traceMachine();
    this.commands = commands;
    for (const c of this.pendingCommands.splice(0)) c();
    commands.register('info plugins', '', 'the loaded plugins: arguments, counters, tracepoints, state', () => infoPlugins(this));
    installPanes(this, server);
    for (const rec of this.plugins) {
      for (const cb of rec.startCbs) this.guard(rec, 'its onStart callback', () => cb())(undefined, undefined);
    }
  }

  /** Wrap a plugin's callback: runs only while it is loaded; a throw unloads it. */
  guard<A, B>(rec: PluginRec, where: string, fn: (a: A, b: B) => void): (a: A, b: B) => void {
    return (a: A, b: B) => {
      if (!rec.alive) return;
      try {
        fn(a, b);
      } catch (e) {
        this.fault(rec, where, e);
      }
    };
  }

  /** Unload a plugin that threw. */
  fault(rec: PluginRec, where: string, e: unknown): void {
    if (!rec.alive) return;
    rec.alive = false;
    rec.why = `threw in ${where}: ${describeThrow(e, rec.spec.file)}`;
    for (const r of rec.removers.splice(0)) {
      try {
        r();
      } catch {
        /* a remover of ours; nothing to report */
      }
    }
    rec.out.flush();
    this.say(`plugin ${rec.name} unloaded: it ${rec.why}; the machine goes on without it`);
  }

  /** One line for the user (stderr). */
  say(line: string): void {
    this.stderr.write(`vtrace: ${line}\n`);
    this.stderr.flush();
  }

  /**
   * Deliver `tps`' events of the other threads (pool workers, iothreads) to `cb` (relay.ts). After
   * the start, running iothreads take the subscription at once; running pool workers do not, so a
   * late subscription to their tracepoints (syscall_*, worker_thread_*) gets one warning line.
   */
  relayTo(rec: PluginRec, tps: readonly AnyTracepoint[], cb: (ev: PluginEvent) => void): () => void {
    const late = this.machine === null ? [] : tps.filter((tp) => !PluginRelay.reachesRunningThreads(tp));
    if (late.length > 0) {
      this.say(`plugin ${rec.name}: ${late.map((t) => t.name).join(', ')} subscribed after the start: pool workers' events reach it only from pools created later (subscribe in install)`);
    }
    for (const tp of tps) {
      const list = this.relaySubs.get(tp.id) ?? [];
      list.push(cb);
      this.relaySubs.set(tp.id, list);
    }
    this.relay.start(tps.map((tp) => tp.name));
    return () => {
      for (const tp of tps) {
        const list = this.relaySubs.get(tp.id);
        const i = list?.indexOf(cb) ?? -1;
        if (list !== undefined && i >= 0) list.splice(i, 1);
      }
    };
  }

  /** vcpu_run_* and memory_region_ops_* need the machine wrapped once (-trace does it when tracing). */
  noteMachineTracepoints(tps: readonly AnyTracepoint[]): void {
    if (!tps.some((tp) => /^(vcpu_run_|memory_region_ops_)/.test(tp.name))) return;
    this.wantMachineTracing = true;
    if (this.machine !== null) this.traceMachine();
  }

  private traceMachine(): void {
    if (this.machineTraced || this.machine === null) return;
    this.machineTraced = true;
    attachMachineTracing(this.machine);
  }

  addCommand(rec: PluginRec, name: string, usage: string, help: string, run: (args: string[]) => string): void {
    const register = () =>
      this.commands!.register(name, usage, `${help} [plugin ${rec.name}]`, (args) => {
        if (!rec.alive) throw new DebugRequestError(`plugin ${rec.name} was unloaded (${rec.why})`);
        try {
          const out = run(args);
          if (typeof out !== 'string') throw new TypeError(`command '${name}' returned ${typeof out}, not text`);
          return out.endsWith('\n') || out === '' ? out : out + '\n';
        } catch (e) {
          if (e instanceof PluginUserError) throw new DebugRequestError(e.message);
          this.fault(rec, `command '${name}'`, e);
          throw new DebugRequestError(`plugin ${rec.name} unloaded: it ${rec.why}`);
        }
      });
    if (this.commands !== null) register();
    else this.pendingCommands.push(register);
  }

  /** Once per run-loop round: relayed worker events, then the output. */
  poll(): void {
    if (this.relay.active) this.relay.drain((ev) => this.deliver(ev));
    this.flush();
  }

  private deliver(r: RelayedEvent): void {
    const subs = this.relaySubs.get(r.tp.id);
    if (subs === undefined || subs.length === 0) return;
    const ev = new PluginEventImpl(r.tp.info, r.ns, r.thread, r.tid, r.args, cleanCorrelation(r.corr));
    for (const cb of [...subs]) cb(ev);
  }

  flush(): void {
    for (const p of this.plugins) p.out.flush();
    this.stderr.flush();
  }

  /** The end of the run: last worker events, the exit reports in load order, outputs closed. */
  exit(): void {
    this.poll();
    postFinalPanes(this);
    for (const rec of this.plugins) {
      for (const cb of rec.exitCbs) this.guard(rec, 'its exit report', () => cb())(undefined, undefined);
      rec.out.flush();
    }
    for (const l of this.relay.lost()) this.say(`plugins: ${l.lost} events of ${l.thread} were lost (its relay ring was full)`);
    this.tbs.flush();
    for (const rec of this.plugins) rec.out.close();
    this.stderr.close();
    this.relay.close();
  }
}
