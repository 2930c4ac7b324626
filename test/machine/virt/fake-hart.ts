/**
 * A stand-in hart for board and SBI tests: registers, a few CSRs, mip, and call logs; no
 * instruction execution. Implements what the board and the SBI use of RiscvHart + SbiHart.
 */
import type { AddressSpace } from '../../../src/system/memory';
import { Priv, type EcallHandler, type RiscvHart, type StopReason } from '../../../src/target/riscv/cpu-api';
import type { SbiHart } from '../../../src/machine/virt/sbi/sbi';

export class FakeHart implements SbiHart {
  gpr: bigint[] = new Array(32).fill(0n);
  pc = 0n;
  priv: Priv = Priv.M;
  mip = 0;
  csr = new Map<number, bigint>();
  halted = false;
  ecallHandler: EcallHandler | null = null;
  tlbFlushes = 0;
  icacheFlushes = 0;
  resets = 0;
  readonly instret = 0;

  constructor(
    readonly hartId: number,
    readonly as?: AddressSpace,
    readonly getTime: () => number = () => 0,
  ) {}

  setInterruptPending(mask: number, level: boolean): void {
    if (level) this.mip |= mask;
    else this.mip &= ~mask;
  }
  reset(pc: bigint): void {
    this.resets++;
    this.gpr.fill(0n);
    this.pc = pc;
    this.priv = Priv.M;
    this.csr.clear();
    this.halted = false;
    this.mip &= ~0x222;
  }
  setPriv(p: Priv): void {
    this.priv = p;
  }
  getPc(): bigint {
    return this.pc;
  }
  setPc(pc: bigint): void {
    this.pc = pc;
  }
  getGpr(i: number): bigint {
    return i === 0 ? 0n : this.gpr[i];
  }
  setGpr(i: number, v: bigint): void {
    if (i !== 0) this.gpr[i] = BigInt.asUintN(64, v);
  }
  getFpr(): bigint {
    return 0n;
  }
  setFpr(): void {}
  getCsr(csr: number): bigint | undefined {
    return this.csr.get(csr) ?? 0n;
  }
  setCsr(csr: number, v: bigint): boolean {
    this.csr.set(csr, v);
    return true;
  }
  /** Identity translation over the address space (satp = 0). */
  readVirt(vaddr: bigint, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    return this.as?.readPhys(Number(vaddr), out) ? out : undefined;
  }
  writeVirt(vaddr: bigint, data: Uint8Array): boolean {
    return this.as?.writePhys(Number(vaddr), data) ?? false;
  }
  translate(vaddr: bigint): bigint | undefined {
    return vaddr;
  }
  tlbFlush(): void {
    this.tlbFlushes++;
  }
  flushIcache(): void {
    this.icacheFlushes++;
  }
  /** invalidateCode calls received: [paddr, len]. */
  readonly invalidated: Array<[number, number]> = [];
  invalidateCode(paddr: number, len: number): void {
    this.invalidated.push([paddr, len]);
  }
  run(): StopReason {
    return { kind: 'wfi' };
  }
  step(): StopReason {
    return { kind: 'wfi' };
  }
  requestStop(): void {}
  clearReservation(): void {}
  addBreakpoint(): void {}
  removeBreakpoint(): void {}
  addWatchpoint(): void {}
  removeWatchpoint(): void {}

  /** Perform an ECALL from S-mode the way the hart does: handler, then pc += 4. */
  ecall(eid: number, fid: number, ...args: Array<bigint | number>): { error: bigint; value: bigint } {
    this.gpr[17] = BigInt(eid);
    this.gpr[16] = BigInt(fid);
    args.forEach((a, i) => (this.gpr[10 + i] = BigInt.asUintN(64, BigInt(a))));
    const handled = this.ecallHandler?.(this as RiscvHart) ?? false;
    if (!handled) throw new Error('ECALL not handled');
    this.pc += 4n;
    return { error: BigInt.asIntN(64, this.gpr[10]), value: this.gpr[11] };
  }
}
