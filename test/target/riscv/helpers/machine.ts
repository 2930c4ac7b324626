/**
 * A qtest-style bench for the hart: an AddressSpace with RAM at 0x80000000 and three tiny
 * devices at the addresses QEMU's virt uses, so the same program runs unchanged on
 * `qemu-system-riscv64 -M virt -bios none` (see qemu.ts):
 *   0x0010_0000  test finisher (sifive_test): writing 0x5555 stops the run
 *   0x0200_0000  CLINT: msip (hart 0) at +0, mtimecmp at +0x4000, mtime at +0xbff8
 *   0x1000_0000  UART THR at +0 (output captured), LSR at +5 reads "transmitter empty"
 *
 * Programs are written against HARNESS: `_start` sets up a stack, a result cursor (s11), an
 * M-mode trap handler, PMP (QEMU 7.2 needs one rule before S/U can run) and FS, then calls
 * `test`. Results are recorded with `RES reg` and printed as hex lines over the UART at the end,
 * so results are compared as text on both emulators.
 *
 * The M-mode trap handler records four values: 0xEEEE, mcause, mtval, mepc. Then, if s10 != 0,
 * it resumes in M-mode at s10 (and clears s10); otherwise it skips the trapping instruction and
 * returns to the trapped mode. The result area must stay identity-mapped when paging is on.
 */

import { AddressSpace, GuestRam, type MemoryRegionOps } from '../../../../src/system/memory';
import { RiscvCpu } from '../../../../src/target/riscv/cpu';
import { Mip, type StopReason } from '../../../../src/target/riscv/cpu-api';
import { assemble, type Assembled } from './asm';

export const RAM_BASE = 0x80000000;

export const HARNESS = String.raw`
.macro RES r
  sd \r, 0(s11)
  addi s11, s11, 8
.endm
.macro RESI v
  li t6, \v
  RES t6
.endm
# GOTO_MODE mpp, label: mret into mode mpp (0 U, 1 S, 3 M) at label
.macro GOTO_MODE mpp, label
  li t6, 0x1800
  csrc mstatus, t6
  li t6, (\mpp << 11)
  csrs mstatus, t6
  la t6, \label
  csrw mepc, t6
  mret
.endm
# BACK_TO_M label: ecall (recorded as a trap) and continue in M-mode at label
.macro BACK_TO_M label
  la s10, \label
  ecall
.endm

.section .text.start
.globl _start
_start:
  la sp, stack_top
  la s11, results
  la t0, m_trap
  csrw mtvec, t0
  la t0, m_scratch
  csrw mscratch, t0
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, 0x2000
  csrs mstatus, t0
  li s10, 0
  call test
.globl finish
finish:
  la s0, results
1:
  bgeu s0, s11, 3f
  ld a0, 0(s0)
  call puthex
  addi s0, s0, 8
  j 1b
3:
  li a0, 0x0
  call puthex
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
4:
  j 4b

puthex:
  li t0, 0x10000000
  li t2, 60
5:
  srl t1, a0, t2
  andi t1, t1, 15
  li t3, 10
  blt t1, t3, 6f
  addi t1, t1, 'a' - 10
  j 7f
6:
  addi t1, t1, '0'
7:
  sb t1, 0(t0)
  addi t2, t2, -4
  bgez t2, 5b
  li t1, '\n'
  sb t1, 0(t0)
  ret

.align 6
.globl m_trap
m_trap:
  csrrw t6, mscratch, t6
  sd t5, 0(t6)
  sd t4, 8(t6)
  sd t3, 16(t6)
  mv t3, t6
  csrr t6, mscratch
  sd t6, 24(t3)
  csrw mscratch, t3
  li t5, 0xEEEE
  sd t5, 0(s11)
  csrr t5, mcause
  sd t5, 8(s11)
  csrr t5, mtval
  sd t5, 16(s11)
  csrr t5, mepc
  sd t5, 24(s11)
  addi s11, s11, 32
  beqz s10, 1f
  csrw mepc, s10
  li s10, 0
  li t5, 0x1800
  csrs mstatus, t5
  j 3f
1:
  csrr t5, mepc
  li t4, (1 << 17) | (1 << 19)
  csrs mstatus, t4
  lhu t3, 0(t5)
  csrc mstatus, t4
  andi t3, t3, 3
  addi t5, t5, 2
  li t4, 3
  bne t3, t4, 2f
  addi t5, t5, 2
2:
  csrw mepc, t5
3:
  csrr t3, mscratch
  ld t5, 0(t3)
  ld t4, 8(t3)
  ld t6, 24(t3)
  ld t3, 16(t3)
  mret

.section .bss
.align 12
.globl results
results: .space 8*1024
m_scratch: .space 64
.align 12
stack_bottom: .space 8192
stack_top:
`;

/** Assemble HARNESS + a test body that defines `test:` (and may add sections). */
export function assembleTest(body: string): Assembled {
  return assemble(HARNESS + '\n.text\n' + body + '\n');
}

export interface Bench {
  cpu: RiscvCpu;
  as: AddressSpace;
  /** UART output so far. */
  out: () => string;
  /** Fake mtime (advances by one tick per 10 retired instructions, plus jumps while idle). */
  mtime: () => number;
  finished: () => boolean;
  /** Run until the finisher is hit or the budget is used. Returns the last stop reason. */
  runToEnd: (maxInstructions?: number) => StopReason;
}

export interface BenchOptions {
  ramSize?: number;
  /** Called before running, after loading. */
  setup?: (b: Bench) => void;
}

export function makeBench(image: Uint8Array, opts: BenchOptions = {}): Bench {
  const ram = new GuestRam(RAM_BASE, opts.ramSize ?? 16 * 1024 * 1024);
  const as = new AddressSpace(ram);
  let out = '';
  let finished = false;
  let timeOffset = 0;
  let mtimecmp = 2n ** 64n - 1n;
  let cpu!: RiscvCpu;
  const mtime = () => Math.floor(cpu.instret / 10) + timeOffset;
  const updateTimer = () => cpu.setInterruptPending(Mip.MTIP, BigInt(mtime()) >= mtimecmp);

  const finisher: MemoryRegionOps = {
    read: () => 0,
    write: (off, _size, v) => {
      if (off === 0 && (v & 0xffff) === 0x5555) {
        finished = true;
        cpu.requestStop();
      }
    },
  };
  const uart: MemoryRegionOps = {
    read: (off) => (off === 5 ? 0x60 : 0),
    write: (off, _size, v) => {
      if (off === 0) out += String.fromCharCode(v & 0xff);
    },
  };
  let msip = 0;
  const clint: MemoryRegionOps = {
    read: (off) => {
      if (off === 0) return msip;
      if (off === 0x4000) return Number(mtimecmp & 0xffffffffn);
      if (off === 0x4004) return Number(mtimecmp >> 32n);
      if (off === 0xbff8) return mtime() >>> 0;
      if (off === 0xbffc) return Math.floor(mtime() / 2 ** 32);
      return 0;
    },
    write: (off, _size, v) => {
      if (off === 0) {
        msip = v & 1;
        cpu.setInterruptPending(Mip.MSIP, msip !== 0);
      } else if (off === 0x4000) {
        mtimecmp = (mtimecmp & ~0xffffffffn) | BigInt(v >>> 0);
        updateTimer();
      } else if (off === 0x4004) {
        mtimecmp = (mtimecmp & 0xffffffffn) | (BigInt(v >>> 0) << 32n);
        updateTimer();
      }
    },
  };
  as.addRegion(0x100000, { name: 'riscv.sifive.test', size: 0x1000, ops: finisher });
  as.addRegion(0x2000000, { name: 'riscv.aclint', size: 0x10000, ops: clint });
  as.addRegion(0x10000000, { name: 'serial', size: 0x100, ops: uart });
  as.writePhys(RAM_BASE, image);
  cpu = new RiscvCpu({ hartId: 0, as, getTime: () => mtime() });
  cpu.reset(BigInt(RAM_BASE));

  const bench: Bench = {
    cpu,
    as,
    out: () => out,
    mtime,
    finished: () => finished,
    runToEnd(maxInstructions = 2_000_000) {
      let r: StopReason = { kind: 'budget' };
      const start = cpu.instret;
      while (!finished && cpu.instret - start < maxInstructions) {
        r = cpu.run(1000);
        updateTimer();
        if (r.kind === 'wfi') {
          // Idle: jump time forward to the next timer deadline, if any.
          const now = BigInt(mtime());
          if (mtimecmp > now && mtimecmp < 2n ** 62n) timeOffset += Number(mtimecmp - now);
          updateTimer();
          if ((cpu.mip & cpu.mie) === 0) break;
        } else if (r.kind !== 'budget' && r.kind !== 'interrupted') {
          break;
        }
      }
      return r;
    },
  };
  opts.setup?.(bench);
  return bench;
}

export interface TestRun {
  bench: Bench;
  cpu: RiscvCpu;
  /** The RES values, in order. */
  results: bigint[];
  out: string;
  asm: Assembled;
}

/** Assemble, run to the finisher, parse the hex lines. */
export function runTest(body: string, opts: BenchOptions & { maxInstructions?: number } = {}): TestRun {
  const asm = assembleTest(body);
  const bench = makeBench(asm.bin, opts);
  bench.runToEnd(opts.maxInstructions);
  if (!bench.finished()) throw new Error(`program did not finish; pc=0x${bench.cpu.getPc().toString(16)} output so far:\n${bench.out()}`);
  const out = bench.out();
  return { bench, cpu: bench.cpu, results: parseResults(out), out, asm };
}

/**
 * Parse the printed results. The dump ends with one extra all-zero line, dropped here, so that a
 * truncated tail (QEMU may exit before its serial output is flushed) shows up as a mismatch.
 */
export function parseResults(out: string): bigint[] {
  const lines = out.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0 || lines[lines.length - 1] !== '0000000000000000') {
    throw new Error(`truncated result dump:\n${out}`);
  }
  return lines.slice(0, -1).map((l) => BigInt('0x' + l));
}

/** Format results as hex strings (nicer diffs in expectations). */
export function hex(vs: bigint[]): string[] {
  return vs.map((v) => '0x' + v.toString(16));
}

/** A 64-bit value as an unsigned bigint: u(-1) = 2^64-1. */
export function u(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}
