/**
 * Tracepoints of plugins' own (api.addTracepoint): named `PLUGIN:NAME`, seen by plugins that
 * subscribe with api.on (a name or a glob such as `biolatency:*`), in the order emitted,
 * synchronously on the emulator thread. They live beside the catalog (traces/*.trace-events), not
 * in it: recordings, -trace logs and the console do not see them.
 *
 * Subscriptions by glob also catch tracepoints declared later (plugins load in command-line order).
 *
 * Contract: emulator thread; subscriber callbacks come wrapped by the host (they do not throw).
 */
import { globMatch } from '../trace/control';
import { gettid, threadName } from '../host/thread-id';
import type { PluginEvent, PluginTracepoint, TraceValue } from './api';
import { PluginEventImpl, type EventInfo } from './event';

type Cb = (ev: PluginEvent) => void;

class OwnTracepoint implements PluginTracepoint {
  readonly subs: Cb[] = [];
  emitted = 0;
  constructor(readonly info: EventInfo) {}
  get name(): string {
    return this.info.name;
  }
  get on(): boolean {
    return this.subs.length > 0;
  }
  emit(...args: TraceValue[]): void {
    this.emitted++;
    if (this.subs.length === 0) return;
    const ev = new PluginEventImpl(this.info, Number(process.hrtime.bigint()), threadName(), gettid(), args, {});
    for (const s of [...this.subs]) s(ev);
  }
}

export class OwnTracepoints {
  private readonly tps = new Map<string, OwnTracepoint>();
  private readonly patterns: Array<{ patterns: readonly string[]; cb: Cb }> = [];

  /** Declare `plugin:name`; throws if it exists. */
  declare(plugin: string, name: string, argNames: readonly string[], format?: string): OwnTracepoint {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`addTracepoint: '${name}' is not a valid tracepoint name (letters, digits, _)`);
    const full = `${plugin}:${name}`;
    if (this.tps.has(full)) throw new Error(`addTracepoint: ${full} is already declared`);
    const fmt = format ?? argNames.map((a) => `${a} %s`).join(' ');
    const tp = new OwnTracepoint({ name: full, argNames: [...argNames], format: fmt });
    this.tps.set(full, tp);
    for (const p of this.patterns) if (p.patterns.some((g) => globMatch(g, full))) tp.subs.push(p.cb);
    return tp;
  }

  /** Subscribe `cb` to every own tracepoint matching, now and later; returns the remover. */
  subscribe(patterns: readonly string[], cb: Cb): () => void {
    const entry = { patterns, cb };
    this.patterns.push(entry);
    for (const tp of this.tps.values()) if (patterns.some((g) => globMatch(g, tp.name))) tp.subs.push(cb);
    return () => {
      const i = this.patterns.indexOf(entry);
      if (i >= 0) this.patterns.splice(i, 1);
      for (const tp of this.tps.values()) {
        const j = tp.subs.indexOf(cb);
        if (j >= 0) tp.subs.splice(j, 1);
      }
    };
  }

  /** Every own tracepoint with its counts (`info plugins`). */
  list(): Array<{ name: string; emitted: number; subscribers: number }> {
    return [...this.tps.values()].map((t) => ({ name: t.name, emitted: t.emitted, subscribers: t.subs.length }));
  }
}
