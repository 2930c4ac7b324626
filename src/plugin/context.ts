/**
 * One loaded plugin (PluginRec) and the PluginApi object it gets (makeApi). Every callback a
 * plugin hands over is wrapped with the host's guard: it runs only while the plugin is loaded, and
 * a throw unloads the plugin (PluginHost.fault) instead of reaching the emulator.
 *
 * Contract: emulator thread. Methods that need the machine throw (a plugin bug, so an unload)
 * before PluginHost.attach.
 */
import type { AnyTracepoint } from '../trace/tracepoint';
import { disassemble } from '../target/riscv/disas';
import { tracepointsMatching } from '../trace/control';
import type { PluginApi, PluginCounter, PluginDisk, PluginEvent, PluginTb, PluginVcpu } from './api';
import { PLUGIN_API_VERSION } from './api';
import type { PluginSpec } from './args';
import type { TextSink } from './output';
import { matchTracepoints, observe } from './observe';
import { PluginEventImpl, cleanCorrelation } from './event';
import { machineDisks, readPhys } from './machine-view';
import type { PluginHost } from './host';

/** An error meant for the user (api.error): bad arguments from install, a command's error line. */
export class PluginUserError extends Error {}

class Counter implements PluginCounter {
  value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  add(n = 1): void {
    this.value += n;
  }
  set(v: number): void {
    this.value = v;
  }
}

export interface Pane {
  title: string;
  render: (width: number, height: number) => readonly string[];
}

export class PluginRec {
  alive = true;
  /** Why it was unloaded. */
  why = '';
  readonly removers: Array<() => void> = [];
  readonly startCbs: Array<() => void> = [];
  readonly exitCbs: Array<() => void> = [];
  readonly counters = new Map<string, Counter>();
  readonly panes: Pane[] = [];
  readonly commands: string[] = [];
  readonly ownTracepoints: string[] = [];
  /** Events delivered to its tracepoint callbacks. */
  events = 0;
  constructor(
    readonly spec: PluginSpec,
    /** Unique among the loaded plugins (a second copy of one file gets `#2`). */
    readonly name: string,
    readonly out: TextSink,
  ) {}
}

/** Guarded callback of up to two arguments. */
type Cb2<A, B> = (a: A, b: B) => void;

export function makeApi(host: PluginHost, rec: PluginRec): PluginApi {
  const guard = <A, B>(where: string, fn: Cb2<A, B>): Cb2<A, B> => host.guard(rec, where, fn);
  const needMachine = (what: string) => {
    const m = host.machine;
    if (m === null) throw new Error(`${what}: the machine does not exist yet (call it from api.onStart or a callback)`);
    return m;
  };
  const api: PluginApi = {
    name: rec.name,
    version: PLUGIN_API_VERSION,
    on(patterns: string | readonly string[], cb: (ev: PluginEvent) => void): () => void {
      const pats = typeof patterns === 'string' ? [patterns] : [...patterns];
      if (pats.length === 0) throw new Error('on(): no tracepoint given');
      const own = pats.filter((p) => p.includes(':'));
      const cat = pats.filter((p) => !p.includes(':'));
      for (const p of cat) if (tracepointsMatching(p).length === 0) throw new Error(`on('${p}'): no tracepoint matches (vtrace run -trace help lists them)`);
      const tps = matchTracepoints(cat);
      const call = (ev: PluginEvent, _unused: undefined): void => {
        if (!rec.alive) return;
        rec.events++;
        try {
          cb(ev);
        } catch (e) {
          host.fault(rec, `its ${ev.name} callback`, e);
        }
      };
      const removers: Array<() => void> = [];
      if (tps.length > 0) {
        removers.push(
          observe(tps, (ev, tp, corr) => call(new PluginEventImpl(tp.info, Number(ev.ns), ev.thread, ev.tid, ev.args, cleanCorrelation(corr)), undefined)),
        );
        // The same tracepoints on other threads: pool workers, iothreads (a dataplane device's path).
        removers.push(host.relayTo(rec, tps, (ev) => call(ev, undefined)));
        host.noteMachineTracepoints(tps);
      }
      if (own.length > 0) removers.push(host.own.subscribe(own, (ev) => call(ev, undefined)));
      const remove = () => removers.splice(0).forEach((r) => r());
      rec.removers.push(remove);
      return remove;
    },
    tracepointNames(pattern = '*'): string[] {
      return tracepointsMatching(pattern).map((tp: AnyTracepoint) => tp.name);
    },
    addTracepoint(name, argNames, format) {
      const tp = host.own.declare(rec.name.replace(/#\d+$/, ''), name, argNames, format);
      rec.ownTracepoints.push(tp.name);
      return tp;
    },
    onTbTrans(cb: (tb: PluginTb) => void): () => void {
      const remove = host.tbs.add({
        cb: guard<PluginTb, void>('its tb_trans callback', (tb) => cb(tb)),
        wrap: (where, f) => guard(where, f as unknown as Cb2<unknown, unknown>) as unknown as typeof f,
      });
      rec.removers.push(remove);
      return remove;
    },
    onStart(cb) {
      rec.startCbs.push(cb);
      if (host.machine !== null) guard<void, void>('its onStart callback', () => cb())(undefined, undefined);
    },
    vcpus(): readonly PluginVcpu[] {
      needMachine('vcpus()');
      return host.vcpus;
    },
    readPhys(addr, len) {
      return readPhys(needMachine('readPhys()'), addr, len);
    },
    disks(): readonly PluginDisk[] {
      return machineDisks(needMachine('disks()'));
    },
    disas(opcode, pc) {
      return disassemble(opcode, pc);
    },
    print(text) {
      if (rec.alive) rec.out.write(text);
    },
    onExit(cb) {
      rec.exitCbs.push(cb);
    },
    counter(name, help = '') {
      let c = rec.counters.get(name);
      if (c === undefined) rec.counters.set(name, (c = new Counter(name, help)));
      return c;
    },
    addPane(title, render) {
      if (typeof render !== 'function') throw new Error('addPane: render must be a function (width, height) => lines');
      rec.panes.push({ title, render });
    },
    addCommand(name, usage, help, run) {
      if (typeof run !== 'function') throw new Error('addCommand: run must be a function (args) => text');
      rec.commands.push(name);
      host.addCommand(rec, name, usage, help, run);
    },
    error(message) {
      return new PluginUserError(message);
    },
  };
  return api;
}
