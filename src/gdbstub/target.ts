/**
 * The gdb stub's target: the machine as gdb sees it (threads = harts, gdb's register numbers,
 * Z-packet breakpoints and watchpoints), over the debug channel's client (DESIGN.md §4: the stub
 * is an adapter; it never touches the CPU).
 *
 * Contract: one GdbTarget per gdb connection, on the main thread. It remembers what this
 * connection inserted, so `removeAll()` (detach, disconnect) takes out exactly its own
 * breakpoints and watchpoints and leaves other front ends' alone. Memory and register accessors
 * return undefined/false where the protocol wants an error reply; they reject only when the
 * machine has exited.
 */
import type { AddressSpaceKind, DebugClient, StopEvent } from '../system/debug-channel';
import { buildTargetDescription, type TargetDescription } from './tdesc';
import { hexToReg, regToHex } from './packets';

export type BreakKind = 'sw' | 'hw';
export type WatchType = 'write' | 'read' | 'access';

export class GdbTarget {
  /** Session breakpoints by address: how many of each kind this connection inserted. */
  private readonly bps = new Map<bigint, { sw: number; hw: number }>();
  /** Session watchpoints: "type:addr:len" → channel ids (a stack: gdb may insert duplicates). */
  private readonly wps = new Map<string, number[]>();
  private readonly wpInfo = new Map<number, { type: WatchType; addr: bigint; len: number }>();

  private constructor(
    readonly client: DebugClient,
    readonly harts: number,
    readonly tdesc: TargetDescription,
  ) {}

  static async open(client: DebugClient): Promise<GdbTarget> {
    const info = await client.request('machine.info');
    return new GdbTarget(client, info.harts, buildTargetDescription(info.csrs));
  }

  /** Read registers by gdb number as protocol hex; null for a number the description lacks. */
  async readRegisters(hart: number, regnos: number[]): Promise<Array<string | null>> {
    const infos = regnos.map((n) => this.tdesc.regs.get(n));
    const known = infos.filter((i) => i !== undefined);
    const values = known.length > 0 ? await this.client.request('regs.get', { hart, regs: known.map((i) => i.ref) }) : [];
    let k = 0;
    return infos.map((info) => {
      if (info === undefined) return null;
      const v = values[k++];
      return v === null ? null : regToHex(v, info.bytes);
    });
  }

  /** Write registers from protocol hex; false for each unknown number, bad image or refused value. */
  async writeRegisters(hart: number, writes: Array<{ regno: number; hex: string }>): Promise<boolean[]> {
    const parsed = writes.map((w) => {
      const info = this.tdesc.regs.get(w.regno);
      const value = info === undefined ? undefined : hexToReg(w.hex, info.bytes);
      return info === undefined || value === undefined ? undefined : { reg: info.ref, value };
    });
    const ok = parsed.filter((p) => p !== undefined);
    const res = ok.length > 0 ? await this.client.request('regs.set', { hart, writes: ok }) : [];
    let k = 0;
    return parsed.map((p) => (p === undefined ? false : res[k++]));
  }

  readMemory(hart: number, addr: bigint, len: number, space: AddressSpaceKind): Promise<Uint8Array> {
    return this.client.request('mem.read', { hart, addr, len, space });
  }

  writeMemory(hart: number, addr: bigint, data: Uint8Array, space: AddressSpaceKind): Promise<number> {
    return this.client.request('mem.write', { hart, addr, data, space });
  }

  async insertBreakpoint(kind: BreakKind, addr: bigint): Promise<void> {
    await this.client.request('bp.insert', { addr });
    const e = this.bps.get(addr) ?? { sw: 0, hw: 0 };
    e[kind]++;
    this.bps.set(addr, e);
  }

  /** False when this connection has no such breakpoint. */
  async removeBreakpoint(kind: BreakKind, addr: bigint): Promise<boolean> {
    const e = this.bps.get(addr);
    if (e === undefined || e[kind] === 0) return false;
    e[kind]--;
    if (e.sw + e.hw === 0) this.bps.delete(addr);
    await this.client.request('bp.remove', { addr });
    return true;
  }

  /** The kind of this connection's breakpoint at `addr` (software first), if any. */
  breakpointKind(addr: bigint): BreakKind | undefined {
    const e = this.bps.get(addr);
    return e === undefined ? undefined : e.sw > 0 ? 'sw' : 'hw';
  }

  async insertWatchpoint(type: WatchType, addr: bigint, len: number): Promise<void> {
    const id = await this.client.request('wp.insert', { addr, len, type });
    const key = `${type}:${addr}:${len}`;
    this.wps.set(key, [...(this.wps.get(key) ?? []), id]);
    this.wpInfo.set(id, { type, addr, len });
  }

  async removeWatchpoint(type: WatchType, addr: bigint, len: number): Promise<boolean> {
    const key = `${type}:${addr}:${len}`;
    const ids = this.wps.get(key);
    const id = ids?.pop();
    if (id === undefined) return false;
    if (ids!.length === 0) this.wps.delete(key);
    this.wpInfo.delete(id);
    await this.client.request('wp.remove', { id });
    return true;
  }

  /** This connection's watchpoint `id` (from a watchpoint StopReason), if it is one of its own. */
  watchpoint(id: number): { type: WatchType; addr: bigint; len: number } | undefined {
    return this.wpInfo.get(id);
  }

  /** Take out everything this connection inserted (detach, disconnect). */
  async removeAll(): Promise<void> {
    for (const [addr, e] of [...this.bps]) {
      for (let i = 0; i < e.sw + e.hw; i++) await this.client.request('bp.remove', { addr });
    }
    this.bps.clear();
    for (const id of [...this.wpInfo.keys()]) await this.client.request('wp.remove', { id });
    this.wps.clear();
    this.wpInfo.clear();
  }

  /** The current stop, or undefined while running or after exit. */
  currentStop(): StopEvent | undefined {
    const s = this.client.state;
    return s.kind === 'stopped' ? s.stop : undefined;
  }

  /** `info threads` text for one hart (qThreadExtraInfo). */
  async threadExtraInfo(hart: number): Promise<string> {
    const list = await this.client.request('harts.list');
    const h = list[hart];
    if (h === undefined) return '';
    const priv = ['U-mode', 'S-mode', '?', 'M-mode'][h.priv] ?? '?';
    return `hart ${h.id} [${h.halted ? 'halted' : priv}]`;
  }
}
