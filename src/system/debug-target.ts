/**
 * The machine's side of the debug channel: the request handlers (./debug-channel.ts
 * DebugRequests) over the CPU debug API (src/target/riscv/cpu-api.ts) and the board. Every front
 * end (gdb stub, console, TUI) reaches harts, memory, breakpoints and watchpoints through these.
 *
 * Contract: installed once on the emulator thread, after the machine exists. Handlers validate
 * their payloads and throw DebugRequestError for bad ones (the server turns that into an error
 * reply). Breakpoints are reference-counted per address, so two front ends may set and remove
 * the same one independently; watchpoint ids are allocated here. Both apply to every hart.
 * Memory: 'virt' translates as the hart's current privilege and satp would for a load (no A/D
 * updates, no faults raised), falling back to a fetch translation; 'phys' is guest-physical (as
 * QEMU's `Qqemu.PhyMemMode:1`). RAM and ROM are readable, RAM writable; MMIO is never touched
 * (a debugger read must not have device side effects).
 */
import type { AddressSpace } from './memory';
import type { RiscvHart } from '../target/riscv/cpu-api';
import { DebugRequestError, type DebugServer, type RegRef } from './debug-channel';

export interface DebugTargetMachine {
  readonly harts: readonly RiscvHart[];
  readonly as: AddressSpace;
  /** qemu_system_reset. */
  reset(): void;
}

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;
/** Largest single memory transfer a request may ask for. */
export const MAX_MEM_REQUEST = 1 << 20;

export function installDebugTarget(server: DebugServer, m: DebugTargetMachine): void {
  const harts = m.harts;
  const hart = (i: unknown): RiscvHart => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= harts.length) throw new DebugRequestError(`no hart ${String(i)}`);
    return harts[i];
  };
  const csrs: number[] = [];
  for (let n = 0; n < 4096; n++) if (harts[0].getCsr(n) !== undefined) csrs.push(n);

  server.register('machine.info', () => ({ harts: harts.length, csrs, ramBase: m.as.ram.base, ramSize: m.as.ram.size }));
  server.register('harts.list', () => harts.map((h) => ({ id: h.hartId, pc: h.getPc(), priv: h.priv as number, halted: h.halted })));
  server.register('regs.get', (p) => {
    const h = hart(p.hart);
    return p.regs.map((r) => readReg(h, r));
  });
  server.register('regs.set', (p) => {
    const h = hart(p.hart);
    return p.writes.map((w) => writeReg(h, w.reg, w.value));
  });
  server.register('mem.read', (p) => {
    const h = hart(p.hart);
    checkRange(p.addr, p.len);
    return readMem(h, m.as, p.addr, p.len, p.space === 'phys');
  });
  server.register('mem.write', (p) => {
    const h = hart(p.hart);
    if (!(p.data instanceof Uint8Array)) throw new DebugRequestError('mem.write: data must be bytes');
    checkRange(p.addr, p.data.length);
    return writeMem(h, m.as, p.addr, p.data, p.space === 'phys');
  });

  const bpRefs = new Map<bigint, number>();
  server.register('bp.insert', (p) => {
    const addr = checkAddr(p.addr);
    const n = bpRefs.get(addr) ?? 0;
    bpRefs.set(addr, n + 1);
    if (n === 0) for (const h of harts) h.addBreakpoint(addr);
  });
  server.register('bp.remove', (p) => {
    const addr = checkAddr(p.addr);
    const n = bpRefs.get(addr);
    if (n === undefined) return false;
    if (n > 1) bpRefs.set(addr, n - 1);
    else {
      bpRefs.delete(addr);
      for (const h of harts) h.removeBreakpoint(addr);
    }
    return true;
  });

  let nextWp = 1;
  const wps = new Set<number>();
  server.register('wp.insert', (p) => {
    const addr = checkAddr(p.addr);
    if (!Number.isInteger(p.len) || p.len < 1 || p.len > 1 << 16) throw new DebugRequestError(`bad watchpoint length ${p.len}`);
    if (p.type !== 'write' && p.type !== 'read' && p.type !== 'access') throw new DebugRequestError(`bad watchpoint type ${String(p.type)}`);
    const id = nextWp++;
    wps.add(id);
    for (const h of harts) h.addWatchpoint({ id, addr, len: p.len, type: p.type });
    return id;
  });
  server.register('wp.remove', (p) => {
    if (!wps.delete(p.id)) return false;
    for (const h of harts) h.removeWatchpoint(p.id);
    return true;
  });
  server.register('system.reset', () => m.reset());
  // The channel's own 'step', with the hart checked against this machine.
  server.register('step', (p) => {
    hart(p?.hart);
    server.resume({ kind: 'step', hart: p.hart });
  });
}

function checkAddr(a: unknown): bigint {
  if (typeof a !== 'bigint' || a < 0n || a > U64) throw new DebugRequestError('address must be a 64-bit unsigned value');
  return a;
}

function checkRange(addr: unknown, len: unknown): void {
  checkAddr(addr);
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > MAX_MEM_REQUEST) throw new DebugRequestError(`bad length ${String(len)}`);
}

function readReg(h: RiscvHart, r: RegRef): bigint | null {
  switch (r.kind) {
    case 'gpr':
      return validIndex(r.i) ? h.getGpr(r.i) : null;
    case 'fpr':
      return validIndex(r.i) ? h.getFpr(r.i) : null;
    case 'pc':
      return h.getPc();
    case 'priv':
      return BigInt(h.priv);
    case 'csr':
      return Number.isInteger(r.num) && r.num >= 0 && r.num < 4096 ? (h.getCsr(r.num) ?? null) : null;
    default:
      return null;
  }
}

function writeReg(h: RiscvHart, r: RegRef, value: bigint): boolean {
  if (typeof value !== 'bigint') return false;
  const v = BigInt.asUintN(64, value);
  switch (r.kind) {
    case 'gpr':
      if (!validIndex(r.i)) return false;
      if (r.i !== 0) h.setGpr(r.i, v);
      return true;
    case 'fpr':
      if (!validIndex(r.i)) return false;
      h.setFpr(r.i, v);
      return true;
    case 'pc':
      h.setPc(v);
      return true;
    case 'priv':
      // Privilege levels 0 (U), 1 (S), 3 (M); 2 is reserved (privileged spec §1.2).
      if (v !== 0n && v !== 1n && v !== 3n) return false;
      h.setPriv(Number(v));
      return true;
    case 'csr':
      return Number.isInteger(r.num) && r.num >= 0 && r.num < 4096 && h.setCsr(r.num, v);
    default:
      return false;
  }
}

function validIndex(i: unknown): i is number {
  return typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < 32;
}

/** Guest-physical address of `va` for a debugger access, or undefined when unmapped. */
function debugTranslate(h: RiscvHart, va: bigint, phys: boolean): number | undefined {
  if (phys) return va <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(va) : undefined;
  const pa = h.translate(va, 'load') ?? h.translate(va, 'fetch');
  return pa === undefined ? undefined : Number(pa);
}

/** RAM, or a ROM region (bytes-backed, e.g. the mask ROM); never MMIO. */
function readPhysBytes(as: AddressSpace, pa: number, out: Uint8Array): boolean {
  if (as.readPhys(pa, out)) return true;
  const mp = as.findMapping(pa);
  const bytes = mp === undefined ? undefined : (mp.region as { bytes?: unknown }).bytes;
  if (mp === undefined || !(bytes instanceof Uint8Array)) return false;
  const off = pa - mp.base;
  if (off + out.length > bytes.length) return false;
  out.set(bytes.subarray(off, off + out.length));
  return true;
}

/** Page by page: the readable prefix of [addr, addr+len). */
function readMem(h: RiscvHart, as: AddressSpace, addr: bigint, len: number, phys: boolean): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const va = (addr + BigInt(done)) & U64;
    const n = Math.min(len - done, Number(PAGE - (va % PAGE)));
    const pa = debugTranslate(h, va, phys);
    if (pa === undefined || !readPhysBytes(as, pa, out.subarray(done, done + n))) break;
    done += n;
  }
  return out.subarray(0, done);
}

/** Page by page into RAM; returns the count of bytes written. Decoded code for them is dropped. */
function writeMem(h: RiscvHart, as: AddressSpace, addr: bigint, data: Uint8Array, phys: boolean): number {
  let done = 0;
  while (done < data.length) {
    const va = (addr + BigInt(done)) & U64;
    const n = Math.min(data.length - done, Number(PAGE - (va % PAGE)));
    const pa = debugTranslate(h, va, phys);
    if (pa === undefined || !as.writePhys(pa, data.subarray(done, done + n))) break;
    h.invalidateCode(pa, n);
    done += n;
  }
  return done;
}
