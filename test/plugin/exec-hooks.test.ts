/**
 * The CPU side of plugins (src/target/riscv/cpu-api.ts ExecHooks, exec-hooks.ts, the mem hook in
 * ldst.ts), on the hart test bench (test/target/riscv/helpers: real programs assembled with GNU
 * as, run on a RiscvCpu): the hooks change nothing the program computes; the insn hook fires once
 * per instruction that executes — not for one an interrupt pre-empted, not at a breakpoint that
 * stops — with its physical address; the mem hook reports loads, stores, AMOs, LR/SC and a
 * page-crossing load exactly; step() goes through the hooks too; removing them restores the
 * normal path.
 */
import { describe, expect, test } from 'vitest';
import type { ExecHooks } from '../../src/target/riscv/cpu-api';
import { haveBinutils } from '../target/riscv/helpers/asm';
import { assembleTest, makeBench } from '../target/riscv/helpers/machine';

const PROGRAM = String.raw`
test:
  addi sp, sp, -16
  sd ra, 0(sp)
  la t0, m_irq
  csrw mtvec, t0
  li s9, 0
  li t0, 0x200bff8
  ld t1, 0(t0)
  addi t1, t1, 30
  li t0, 0x2004000
  sd t1, 0(t0)
  li t0, 0x80
  csrw mie, t0
  csrsi mstatus, 8
  li a2, 20000
loop:
  addi a2, a2, -1
  bnez a2, loop
  csrci mstatus, 8
  csrw mie, zero
  la a1, data
.globl mem_ld
mem_ld: ld a0, 0(a1)
.globl mem_sd
mem_sd: sd a0, 8(a1)
.globl mem_amo
mem_amo: amoadd.d a3, a0, (a1)
.globl mem_lr
mem_lr: lr.d a4, (a1)
.globl mem_sc
mem_sc: sc.d a5, a0, (a1)
  la a1, cross
.globl mem_cross
mem_cross: ld a6, 0(a1)
  RES a0
  RES a3
  ld t0, 0(a1)
  RES t0
  RES a6
  RES s9
  la t0, m_trap
  csrw mtvec, t0
  ld ra, 0(sp)
  addi sp, sp, 16
  ret

.align 6
m_irq:
  addi s9, s9, 1
  li t4, 0x200bff8
  ld t5, 0(t4)
  addi t5, t5, 30
  li t3, 5
  blt s9, t3, 1f
  li t5, -1
1:
  li t4, 0x2004000
  sd t5, 0(t4)
  mret

.section .data
.align 12
.globl data
data: .dword 0x1122334455667788, 0
.align 12
.space 4092
.globl cross
cross: .dword 0x0102030405060708
`;

interface Trace {
  insns: Array<{ pc: number; paddr: number }>;
  mems: Array<{ at: number; vaddr: number; paddr: number; size: number; kind: number }>;
}

function tracing(): { hooks: ExecHooks; trace: Trace } {
  const trace: Trace = { insns: [], mems: [] };
  const hooks: ExecHooks = {
    insn: (_h, pc, paddr) => trace.insns.push({ pc, paddr }),
    mem: (_h, vaddr, paddr, size, kind) => trace.mems.push({ at: trace.insns[trace.insns.length - 1]?.pc ?? -1, vaddr, paddr, size, kind }),
  };
  return { hooks, trace };
}

describe.skipIf(!haveBinutils())('ExecHooks on the hart', () => {
  const prog = haveBinutils() ? assembleTest(PROGRAM) : null;
  const sym = (n: string) => Number(prog!.symbols.get(n)!);

  test('same results; one insn call per executed instruction, none for a pre-empted one; exact accesses', () => {
    const plain = makeBench(prog!.bin);
    plain.runToEnd();
    expect(plain.finished()).toBe(true);

    const b = makeBench(prog!.bin);
    const { hooks, trace } = tracing();
    b.cpu.setExecHooks(hooks);
    b.runToEnd();
    expect(b.finished()).toBe(true);
    expect(b.out()).toBe(plain.out());
    const res = b.out().trim().split('\n');
    expect(res.slice(0, 5).map((l) => BigInt(`0x${l}`))).toEqual([0x1122334455667788n, 0x1122334455667788n, 0x0102030405060708n, 0x0102030405060708n, 5n]);

    // 5 timer interrupts were taken (s9), none of them counted as an instruction.
    expect(trace.insns.length).toBe(b.cpu.instret);
    expect(trace.insns.length).toBe(plain.cpu.instret);
    expect(trace.insns.every((i) => i.paddr === i.pc)).toBe(true); // M-mode, bare
    expect(trace.insns.filter((i) => i.pc === sym('m_irq'))).toHaveLength(5);

    const at = (label: string) => trace.mems.filter((m) => m.at === sym(label)).map((m) => [m.vaddr - sym('data'), m.size, m.kind]);
    expect(at('mem_ld')).toEqual([[0, 8, 1]]);
    expect(at('mem_sd')).toEqual([[8, 8, 2]]);
    expect(at('mem_amo')).toEqual([[0, 8, 3]]);
    expect(at('mem_lr')).toEqual([[0, 8, 1]]);
    expect(at('mem_sc')).toEqual([[0, 8, 2]]);
    const cross = sym('cross');
    expect(trace.mems.filter((m) => m.at === sym('mem_cross')).map((m) => [m.vaddr - cross, m.paddr - cross, m.size, m.kind])).toEqual([
      [0, 0, 4, 1],
      [4, 4, 4, 1],
    ]);
  });

  test('a breakpoint stops before the hook; resuming calls it once; step() and removal', () => {
    const b = makeBench(prog!.bin);
    const { hooks, trace } = tracing();
    b.cpu.setExecHooks(hooks);
    b.cpu.addBreakpoint(BigInt(sym('mem_ld')));
    expect(b.runToEnd()).toEqual({ kind: 'breakpoint', pc: BigInt(sym('mem_ld')) });
    expect(trace.insns.some((i) => i.pc === sym('mem_ld'))).toBe(false);
    b.cpu.removeBreakpoint(BigInt(sym('mem_ld')));
    expect(b.cpu.step()).toEqual({ kind: 'stepped' });
    expect(trace.insns.filter((i) => i.pc === sym('mem_ld'))).toHaveLength(1);
    expect(trace.mems.at(-1)).toMatchObject({ at: sym('mem_ld'), vaddr: sym('data'), size: 8, kind: 1 });
    // Hooks off: nothing more is reported, and the program still finishes with the same output.
    b.cpu.setExecHooks(null);
    const n = trace.insns.length;
    const m = trace.mems.length;
    b.runToEnd();
    expect(b.finished()).toBe(true);
    expect([trace.insns.length, trace.mems.length]).toEqual([n, m]);
    const plain = makeBench(prog!.bin);
    plain.runToEnd();
    expect(b.out()).toBe(plain.out());
  });
});
