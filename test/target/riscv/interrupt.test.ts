/**
 * Interrupts (privileged spec 1.12 §3.1.6.1, §3.1.9, §3.3.3): taken at the next instruction
 * boundary (also when raised by an MMIO store), priority MEI > MSI > MTI > SEI > SSI > STI,
 * global enables per mode, delegation, vectored mtvec, WFI waking with interrupts globally off,
 * and the SEIP software/hardware OR.
 */
import { describe, expect, test } from 'vitest';
import { defineCases } from './helpers/cases';
import { haveBinutils } from './helpers/asm';
import { makeBench, assembleTest } from './helpers/machine';
import { Mip } from '../../../src/target/riscv/cpu-api';

/** M handler: records mcause and mepc, clears the interrupt's source, returns; exceptions go to m_trap. */
const M_IRQ = `
.align 6
m_irq:
  csrr t5, mcause
  bltz t5, 9f
  j m_trap
9:
  addi s9, s9, 1
  csrr t5, mcause
  RES t5
  csrr t5, mepc
  RES t5
  csrr t5, mcause
  andi t5, t5, 0xff
  li t4, 3
  bne t5, t4, 1f
  li t4, 0x2000000
  sw zero, 0(t4)
  mret
1:
  li t4, 7
  bne t5, t4, 2f
  li t4, 0x2004000
  li t3, -1
  sw t3, 0(t4)
  sw t3, 4(t4)
  mret
2:
  li t4, 1
  sll t4, t4, t5
  csrc mip, t4
  mret
`;

const S_IRQ = `
.align 6
s_irq:
  csrr t5, scause
  RES t5
  csrr t5, sepc
  RES t5
  csrr t5, scause
  andi t5, t5, 0xff
  li t4, 1
  sll t4, t4, t5
  csrc sip, t4
  sret
`;

const IRQ = (n: number) => (1n << 63n) | BigInt(n);

defineCases([
  {
    name: 'MSI raised by an MMIO store is taken before the next instruction',
    body: `
.option norvc
test:
  la t0, m_irq
  csrw mtvec, t0
  li t0, 8
  csrw mie, t0
  csrsi mstatus, 8
  li t0, 0x2000000
  li t1, 1
  sw t1, 0(t0)
next:
  RESI 0x1
  csrci mstatus, 8
  csrw mie, zero
  la t0, m_trap
  csrw mtvec, t0
  ret
${M_IRQ}
`,
    expect: (s) => [IRQ(3), s('next'), 1],
    qemu: 'skip', // QEMU's TCG notices the interrupt at the end of the translation block
  },
  {
    name: 'priority among pending M-level interrupts: MSI, then SSI, then STI',
    body: `
.option norvc
test:
  la t0, m_irq
  csrw mtvec, t0
  li t0, 0x2000000
  li t1, 1
  sw t1, 0(t0)
  li t0, 0x22
  csrs mip, t0
  li t0, 0x2a
  csrw mie, t0
  li s9, 0
  csrsi mstatus, 8
here:
  li t0, 3
  bne s9, t0, here
  csrci mstatus, 8
  csrw mie, zero
  la t0, m_trap
  csrw mtvec, t0
  ret
${M_IRQ}
`,
    expect: (s) => [IRQ(3), s('here'), IRQ(1), s('here'), IRQ(5), s('here')],
    // QEMU 7.2 without AIA takes the lowest-numbered pending interrupt (ctz), not the
    // privileged spec's MEI, MSI, MTI, SEI, SSI, STI order.
    qemu: (s) => [IRQ(1), s('here'), IRQ(3), s('here'), IRQ(5), s('here')],
  },
  {
    name: 'MTI wakes WFI and traps to the instruction after it',
    body: `
.option norvc
test:
  la t0, m_irq
  csrw mtvec, t0
  li t0, 0x200bff8
  ld t1, 0(t0)
  addi t1, t1, 100
  li t0, 0x2004000
  sd t1, 0(t0)
  li t0, 0x80
  csrw mie, t0
  csrsi mstatus, 8
  wfi
after:
  RESI 0x2
  csrci mstatus, 8
  csrw mie, zero
  la t0, m_trap
  csrw mtvec, t0
  ret
${M_IRQ}
`,
    expect: (s) => [IRQ(7), s('after'), 2],
    // On the QEMU oracle this case sometimes never leaves WFI when the machine is loaded (twice
    // in full-suite CI runs: QEMU killed after 20 s; it passes alone). Our harts are still checked
    // above; the QEMU side needs investigating (mtimecmp written 100 ticks ahead races QEMU's
    // virtual clock?) before it is an oracle again.
    qemu: 'skip',
  },
  {
    name: 'WFI wakes on a pending enabled interrupt even with MIE = 0, no trap',
    body: `
.option norvc
test:
  li t0, 0x200bff8
  ld t1, 0(t0)
  addi t1, t1, 100
  li t0, 0x2004000
  sd t1, 0(t0)
  li t2, 0x80
  csrw mie, t2
  wfi
  csrr a0, mip
  andi a0, a0, 0x80
  RES a0
  li t1, -1
  sd t1, 0(t0)
  csrw mie, zero
  ret
`,
    expect: [0x80],
  },
  {
    name: 'delegated SSI waits in M, is taken in S; M-level MSI preempts S with SIE = 0',
    body: `
.option norvc
test:
  mv s0, ra
  la t0, m_irq
  csrw mtvec, t0
  la t0, s_irq
  csrw stvec, t0
  li t0, 2
  csrw mideleg, t0
  li t0, 0xa
  csrw mie, t0
  csrsi mstatus, 8
  csrsi mip, 2
  nop
  RESI 0x10
  csrsi mstatus, 2
  GOTO_MODE 1, in_s
in_s:
  nop
  RESI 0x11
  csrci sstatus, 2
  li s9, 0
  li t0, 0x2000000
  li t1, 1
  sw t1, 0(t0)
after_msi:
  beqz s9, after_msi
  RESI 0x12
  BACK_TO_M m1
m1:
  la t0, m_trap
  csrw mtvec, t0
  csrw mideleg, zero
  csrw mie, zero
  csrw stvec, zero
  mv ra, s0
  ret
${M_IRQ}
${S_IRQ}
`,
    expect: (s) => [0x10, IRQ(1), s('in_s'), 0x11, IRQ(3), s('after_msi'), 0x12, 0xeeee, 9, 0, s('m1') - 4n],
  },
  {
    name: 'U-mode takes delegated interrupts whatever sstatus.SIE says',
    body: `
.option norvc
test:
  mv s0, ra
  la t0, s_irq
  csrw stvec, t0
  li t0, 2
  csrw mideleg, t0
  csrw mie, t0
  csrci mstatus, 2
  GOTO_MODE 0, in_u
in_u:
  nop
  RESI 0x21
  BACK_TO_M m1
m1:
  csrsi mip, 2
  GOTO_MODE 0, in_u2
in_u2:
  nop
  RESI 0x22
  BACK_TO_M m2
m2:
  csrw mideleg, zero
  csrw mie, zero
  csrw stvec, zero
  mv ra, s0
  ret
${S_IRQ}
`,
    expect: (s) => [0x21, 0xeeee, 8, 0, s('m1') - 4n, IRQ(1), s('in_u2'), 0x22, 0xeeee, 8, 0, s('m2') - 4n],
  },
  {
    name: 'vectored mtvec: interrupts jump to BASE + 4 * cause',
    body: `
.option norvc
test:
  la t0, vectors
  ori t0, t0, 1
  csrw mtvec, t0
  li t0, 8
  csrw mie, t0
  li s9, 0
  csrsi mstatus, 8
  li t0, 0x2000000
  li t1, 1
  sw t1, 0(t0)
1:
  beqz s9, 1b
  RESI 0x3
  csrci mstatus, 8
  csrw mie, zero
  la t0, m_trap
  csrw mtvec, t0
  ret
.align 6
vectors:
  j v0
  j v0
  j v0
  j v3
  j v0
v0:
  RESI 0xbad
  j v0
v3:
  li s9, 1
  RESI 0x33
  li t4, 0x2000000
  sw zero, 0(t4)
  mret
`,
    expect: [0x33, 0x3],
  },
]);

describe.skipIf(!haveBinutils())('SEIP is the OR of the PLIC line and the software bit', () => {
  test('setInterruptPending(SEIP) and csrs/csrc mip', () => {
    const b = makeBench(assembleTest('test:\n  ret\n').bin);
    const cpu = b.cpu;
    const mip = () => Number(cpu.getCsr(0x344));
    cpu.setInterruptPending(Mip.SEIP, true);
    expect(mip() & Mip.SEIP).toBe(Mip.SEIP);
    cpu.setCsr(0x344, 0n); // software clears its bit: the line keeps SEIP up
    expect(mip() & Mip.SEIP).toBe(Mip.SEIP);
    cpu.setInterruptPending(Mip.SEIP, false);
    expect(mip() & Mip.SEIP).toBe(0);
    cpu.setCsr(0x344, BigInt(Mip.SEIP));
    cpu.setInterruptPending(Mip.SEIP, true);
    cpu.setInterruptPending(Mip.SEIP, false);
    expect(mip() & Mip.SEIP).toBe(Mip.SEIP); // software bit survives the line dropping
    cpu.setCsr(0x344, 0n);
    expect(mip() & Mip.SEIP).toBe(0);
  });

  test('hardware-owned bits are not writable through mip', () => {
    const b = makeBench(assembleTest('test:\n  ret\n').bin);
    const cpu = b.cpu;
    cpu.setCsr(0x344, 0xfffn);
    expect(Number(cpu.getCsr(0x344))).toBe(0x222);
    cpu.setInterruptPending(Mip.MTIP | Mip.MEIP, true);
    cpu.setCsr(0x344, 0n);
    expect(Number(cpu.getCsr(0x344))).toBe(Mip.MTIP | Mip.MEIP);
  });

  /** M-mode with MEIE and MIE on, spinning at `loop` (with `body` in the loop); the handler reports mcause. */
  const meipLoop = (body: string) => `
.option norvc
test:
  la t0, handler
  csrw mtvec, t0
  li t0, 0x800
  csrw mie, t0
  csrsi mstatus, 8
loop:
${body}  j loop
handler:
  csrr a0, mcause
  RES a0
  j finish
`;

  test('an external interrupt raised between run() slices is taken first thing', () => {
    const asm = assembleTest(meipLoop(''));
    const b = makeBench(asm.bin);
    b.cpu.run(200);
    expect(b.cpu.getPc()).toBe(asm.symbols.get('loop'));
    b.cpu.setInterruptPending(Mip.MEIP, true);
    b.cpu.stepMasksInterrupts = false;
    b.cpu.step();
    expect(b.cpu.getPc()).toBe(asm.symbols.get('handler'));
    expect(b.cpu.getCsr(0x341)).toBe(asm.symbols.get('loop'));
  });

  test('step() runs the instruction at pc with an interrupt pending (QEMU SSTEP_NOIRQ); the next run takes it', () => {
    const asm = assembleTest(meipLoop('  addi a1, a1, 1\n'));
    const b = makeBench(asm.bin);
    b.cpu.run(201);
    const loop = asm.symbols.get('loop')!;
    expect(b.cpu.getPc()).toBe(loop);
    const a1 = b.cpu.getGpr(11);
    b.cpu.setInterruptPending(Mip.MEIP, true);
    expect(b.cpu.step()).toEqual({ kind: 'stepped' });
    expect(b.cpu.getPc()).toBe(loop + 4n);
    expect(b.cpu.getGpr(11)).toBe(a1 + 1n);
    b.cpu.step();
    expect(b.cpu.getPc()).toBe(loop);
    b.cpu.run(1);
    expect(b.cpu.getPc()).toBe(asm.symbols.get('handler'));
    expect(b.cpu.getCsr(0x341)).toBe(loop);
  });
});
