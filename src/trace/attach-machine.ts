/**
 * Tracepoints on the machine itself (emulator thread), attached once the board exists:
 *
 * - vcpu_run_begin / vcpu_run_end around each hart's run slice (accel/tcg's round-robin loop has
 *   no tracepoint; the wrapper is the hart's own `run`, replaced on the object, so cpus.ts needs no
 *   change). It also tells the MMIO tracepoints which cpu_index made the access.
 * - memory_region_ops_read / memory_region_ops_write for every MMIO access, through the address
 *   space's observer, with the register's name from the device's register table (DESIGN.md §4:
 *   devices declare registers as tables) where the device has one, else the region's name.
 *
 * - riscv_trap at every trap entry, exception or interrupt, through cpu-hooks.ts (the call site is
 *   riscv_cpu_do_interrupt in src/target/riscv/trap.ts); installed only while riscv_trap is on
 *   (installCpuHooks, re-run on every trace state change), so off it costs the site's null check.
 *
 * The first two test their tracepoint on every call, so `-trace` changes at run time take effect;
 * with the tracepoints off a slice costs two field loads.
 */
import * as t from './generated/tracepoints';
import { ptr } from './ptr';
import { cpuTraceHooks, trapName } from './cpu-hooks';
import type { MemoryRegion, MmioAccess } from '../system/memory';

interface HartLike {
  readonly hartId: number;
  readonly instret: number;
  run(budget: number): { kind: string };
  getPc(): bigint;
}

interface MachineLike {
  readonly harts: readonly HartLike[];
  readonly as: { mmioObserver: ((a: MmioAccess) => void) | null };
}

type NameAt = (offset: number) => string | undefined;

/** Register-name lookups of the devices reachable from the machine object (one level, plus arrays). */
export function registerNameTables(machine: object): Map<MemoryRegion, NameAt> {
  const out = new Map<MemoryRegion, NameAt>();
  const visit = (o: unknown, depth: number): void => {
    if (typeof o !== 'object' || o === null) return;
    if (Array.isArray(o)) {
      for (const x of o) visit(x, depth);
      return;
    }
    const d = o as { region?: MemoryRegion; table?: { nameAt?: NameAt }; nameAt?: NameAt };
    if (d.region !== undefined && typeof d.region === 'object') {
      const fn = typeof d.nameAt === 'function' ? d.nameAt.bind(o) : typeof d.table?.nameAt === 'function' ? d.table.nameAt.bind(d.table) : undefined;
      if (fn !== undefined && !out.has(d.region)) out.set(d.region, fn);
    }
    if (depth > 0) for (const v of Object.values(o)) if (typeof v === 'object') visit(v, depth - 1);
  };
  visit(machine, 2);
  return out;
}

let currentCpu = 0;

const TWO32 = 4294967296;

/** Install (or remove) the trap hook as riscv_trap is on (or off). Per thread: the emulator thread's. */
export function installCpuHooks(): void {
  cpuTraceHooks.riscv_trap = t.riscv_trap.on
    ? (cpu, cause, async, tvalLo, tvalHi) => {
        const hi = tvalHi >>> 0;
        const tval = hi < 0x200000 ? hi * TWO32 + (tvalLo >>> 0) : (BigInt(hi) << 32n) | BigInt(tvalLo >>> 0);
        t.riscv_trap.emit(cpu.hartId, async, cause, cpu.getPc(), tval, trapName(cause, async));
      }
    : null;
}

/** Wrap the harts' run and observe MMIO. Call once per machine (emulator thread). */
export function attachMachineTracing(machine: MachineLike): void {
  for (const hart of machine.harts) {
    const run = hart.run.bind(hart);
    const id = hart.hartId;
    (hart as { run: HartLike['run'] }).run = (budget: number) => {
      currentCpu = id;
      if (!t.vcpu_run_begin.on && !t.vcpu_run_end.on) return run(budget);
      const before = hart.instret;
      if (t.vcpu_run_begin.on) t.vcpu_run_begin.emit(id, hart.getPc());
      const r = run(budget);
      if (t.vcpu_run_end.on) t.vcpu_run_end.emit(id, hart.instret - before, r.kind);
      return r;
    };
  }
  const names = registerNameTables(machine);
  const previous = machine.as.mmioObserver;
  machine.as.mmioObserver = (a: MmioAccess) => {
    if (previous !== null) previous(a);
    const tp = a.isWrite ? t.memory_region_ops_write : t.memory_region_ops_read;
    if (!tp.on) return;
    const name = names.get(a.region)?.(a.offset) ?? a.region.name;
    tp.emit(currentCpu, ptr('opaque', a.region), a.addr, a.value, a.size, name);
  };
}
