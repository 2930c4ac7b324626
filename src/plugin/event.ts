/**
 * PluginEvent objects: what a tracepoint callback receives, built from an event observed on the
 * emulator thread (observe.ts), one relayed from a pool worker (relay.ts), or one a plugin's own
 * tracepoint emitted (tracepoints.ts).
 *
 * Contract: immutable once built; `arg()` looks names up in the catalog's argument list.
 */
import { cFormat, unescapeC } from '../trace/format';
import type { EventCorrelation, PluginEvent, TraceValue } from './api';

/** What an event needs of its tracepoint's declaration. */
export interface EventInfo {
  readonly name: string;
  readonly argNames: readonly string[];
  readonly format: string;
}

export class PluginEventImpl implements PluginEvent {
  constructor(
    private readonly info: EventInfo,
    readonly ns: number,
    readonly thread: string,
    readonly tid: number,
    readonly args: readonly TraceValue[],
    readonly corr: Readonly<EventCorrelation>,
  ) {}

  get name(): string {
    return this.info.name;
  }

  get argNames(): readonly string[] {
    return this.info.argNames;
  }

  arg(name: string): TraceValue {
    const i = this.info.argNames.indexOf(name);
    return i < 0 ? undefined : this.args[i];
  }

  text(): string {
    return `${this.info.name} ${cFormat(unescapeC(this.info.format), this.args)}`;
  }
}

/** Correlation ids without the undefined members (what plugins print or compare). */
export function cleanCorrelation(c: Readonly<EventCorrelation> | null): EventCorrelation {
  const out: EventCorrelation = {};
  if (c === null) return out;
  if (c.req !== undefined) out.req = c.req;
  if (c.co !== undefined) out.co = c.co;
  if (c.job !== undefined) out.job = c.job;
  if (c.head !== undefined) out.head = c.head;
  if (c.fd !== undefined) out.fd = c.fd;
  return out;
}
