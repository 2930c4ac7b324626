/**
 * The device under test: our RiscvCpu (src/target/riscv/cpu.ts, contract in cpu-api.ts) on a bare
 * AddressSpace holding only RAM at 0x8000_0000, the same size as QEMU's. Loaded at run time so the
 * suite can still exercise the QEMU side while cpu.ts does not exist or does not compile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RiscvHart } from '../../../../src/target/riscv/cpu-api';
import { AddressSpace, GuestRam } from '../../../../src/system/memory';
import { CSRS, type HartState } from './state';
import { RAM_SIZE } from './qemu';

export const RAM_BASE = 0x8000_0000;

type CpuCtor = new (opts: { hartId: number; as: AddressSpace; getTime: () => number }) => RiscvHart;

const CPU_TS = path.resolve(__dirname, '../../../../src/target/riscv/cpu.ts');

/** Load RiscvCpu, or say why it cannot be used. */
export async function loadCpuCtor(): Promise<{ ctor: CpuCtor } | { reason: string }> {
  if (process.env.VTRACE_DIFF_QEMU_ONLY) return { reason: 'VTRACE_DIFF_QEMU_ONLY is set' };
  if (!fs.existsSync(CPU_TS)) return { reason: 'src/target/riscv/cpu.ts does not exist yet' };
  try {
    const spec = CPU_TS.replace(/\.ts$/, '');
    const mod = (await import(spec)) as { RiscvCpu?: CpuCtor };
    if (typeof mod.RiscvCpu !== 'function') return { reason: 'src/target/riscv/cpu.ts does not export class RiscvCpu' };
    return { ctor: mod.RiscvCpu };
  } catch (e) {
    return { reason: `src/target/riscv/cpu.ts does not load: ${String(e).split('\n')[0]}` };
  }
}

export class Dut {
  readonly as: AddressSpace;
  readonly cpu: RiscvHart;

  constructor(ctor: CpuCtor, image: Uint8Array) {
    this.as = new AddressSpace(new GuestRam(RAM_BASE, RAM_SIZE));
    this.cpu = new ctor({ hartId: 0, as: this.as, getTime: () => 0 });
    if (!this.as.writePhys(RAM_BASE, image)) throw new Error('program does not fit in RAM');
    this.cpu.setPc(BigInt(RAM_BASE));
  }

  snapshot(): HartState {
    const c = this.cpu;
    const x: bigint[] = [];
    const f: bigint[] = [];
    for (let i = 0; i < 32; i++) {
      x.push(c.getGpr(i));
      f.push(c.getFpr(i));
    }
    const csr = new Map<number, bigint | undefined>();
    for (const s of CSRS) csr.set(s.num, c.getCsr(s.num));
    return { pc: c.getPc(), priv: c.priv as number, x, f, csr };
  }

  readPhys(addr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.as.readPhys(Number(addr), out);
    return out;
  }

  /** Fetch the instruction bits at virtual `pc` through our MMU; undefined if not mapped. */
  fetch(pc: bigint): number | undefined {
    const lo = this.cpu.readVirt(pc, 2);
    if (!lo) return undefined;
    const low = lo[0] | (lo[1] << 8);
    if ((low & 3) !== 3) return low;
    const hi = this.cpu.readVirt(pc + 2n, 2);
    if (!hi) return undefined;
    return (low | (hi[0] << 16) | (hi[1] << 24)) >>> 0;
  }

  /** Make our hart's state equal QEMU's (after a reported mismatch, to look for further ones). */
  resync(s: HartState, mem?: { addr: bigint; bytes: Uint8Array }): void {
    const c = this.cpu;
    for (let i = 1; i < 32; i++) c.setGpr(i, s.x[i]);
    for (let i = 0; i < 32; i++) c.setFpr(i, s.f[i]);
    const skip = new Set(['sstatus', 'sie', 'sip', 'misa', 'mhartid']);
    for (const spec of CSRS) {
      const v = s.csr.get(spec.num);
      if (v !== undefined && !skip.has(spec.name)) c.setCsr(spec.num, spec.name === 'mip' ? v & ~0x80n : v);
    }
    c.setPriv(s.priv);
    c.setPc(s.pc);
    if (mem) this.as.writePhys(Number(mem.addr), mem.bytes);
  }
}
