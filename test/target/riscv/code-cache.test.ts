/**
 * Coherence of the decode cache (code-cache.ts): self-modifying code with and without FENCE.I,
 * code copied to another page (what Linux does when loading code), instructions straddling a
 * page boundary, and RAM written behind the CPU's back (DMA) made visible by invalidateCode().
 */
import { describe, expect, test } from 'vitest';
import { defineCases } from './helpers/cases';
import { haveBinutils } from './helpers/asm';
import { assembleTest, makeBench, RAM_BASE } from './helpers/machine';

defineCases([
  {
    name: 'a store rewriting an already-executed instruction takes effect (no FENCE.I needed)',
    body: `
.option norvc
test:
  mv s0, ra
  li s1, 0
loop:
patch:
  li a0, 1
  RES a0
  addi s1, s1, 1
  li t0, 2
  beq s1, t0, out
  la t0, patch
  lw t1, 0(t0)
  li t2, 1 << 20
  add t1, t1, t2
  sw t1, 0(t0)
  j loop
out:
  mv ra, s0
  ret
`,
    expect: [1, 2],
  },
  {
    name: 'store modifying the very next instruction',
    body: `
.option norvc
test:
  la t0, next
  la t1, template
  lw t1, 0(t1)
  sw t1, 0(t0)
next:
  li a0, 5
  RES a0
  ret
template:
  li a0, 6
`,
    expect: [6],
    // QEMU's TCG does not notice a store into the translation block it is executing (no precise
    // SMC for RISC-V targets); the ISA only promises visibility after FENCE.I.
    qemu: [5],
  },
  {
    name: 'code copied to a fresh page, FENCE.I, then executed (twice, with different code)',
    body: `
.option norvc
test:
  mv s0, ra
  la a0, page
  la a1, f1
  lw t0, 0(a1)
  sw t0, 0(a0)
  lw t0, 4(a1)
  sw t0, 4(a0)
  fence.i
  jalr a0
  RES a0
  la a0, page
  la a1, f2
  lw t0, 0(a1)
  sw t0, 0(a0)
  fence.i
  jalr a0
  RES a0
  mv ra, s0
  ret
f1:
  li a0, 11
  ret
f2:
  li a0, 22
  ret
.data
.align 12
page: .space 4096
`,
    expect: [11, 22],
  },
  {
    name: 'a 32-bit instruction straddling a page boundary',
    body: `
test:
  mv s0, ra
  la a0, page2
  addi a0, a0, -2
  la a1, code
  lhu t0, 0(a1)
  sh t0, 0(a0)
  lhu t0, 2(a1)
  sh t0, 2(a0)
  lhu t0, 4(a1)
  sh t0, 4(a0)
  fence.i
  jalr a0
  RES a0
  mv ra, s0
  ret
code:
  .option norvc
  li a0, 0x123
  .option rvc
  c.jr ra
.data
.align 12
page1: .space 4096
page2: .space 4096
`,
    expect: [0x123],
  },
]);

describe.skipIf(!haveBinutils())('invalidateCode (DMA into RAM)', () => {
  const src = `
.option norvc
test:
  mv s0, ra
again:
  la a0, slot
  jalr a0
  RES a0
  la t0, counter
  ld t1, 0(t0)
  addi t1, t1, 1
  sd t1, 0(t0)
  li t2, 2
  blt t1, t2, again
  mv ra, s0
  ret
.data
.align 12
slot:
  li a0, 1
  ret
.align 12
counter: .dword 0
`;
  test('bytes written behind the CPU are executed after invalidateCode', () => {
    const asm = assembleTest(src);
    const b = makeBench(asm.bin);
    const slot = Number(asm.symbols.get('slot')!);
    // Run until the first call has executed (decoded) the slot, then "DMA" new code into it.
    const counter = Number(asm.symbols.get('counter')!);
    while (b.as.ram.view.getBigUint64(counter - RAM_BASE, true) === 0n) b.cpu.run(1);
    const li2 = 0x00200513; // li a0, 2
    b.as.ram.view.setUint32(slot - RAM_BASE, li2, true);
    b.cpu.invalidateCode(slot, 4);
    b.runToEnd();
    expect(b.out().split('\n').slice(0, 2)).toEqual(['0000000000000001', '0000000000000002']);
  });

  test('without invalidateCode, FENCE.I still catches a page whose bytes changed', () => {
    const asm = assembleTest(src.replace('  la a0, slot\n  jalr a0', '  fence.i\n  la a0, slot\n  jalr a0'));
    const b = makeBench(asm.bin);
    const slot = Number(asm.symbols.get('slot')!);
    const counter = Number(asm.symbols.get('counter')!);
    while (b.as.ram.view.getBigUint64(counter - RAM_BASE, true) === 0n) b.cpu.run(1);
    b.as.ram.view.setUint32(slot - RAM_BASE, 0x00200513, true); // li a0, 2, "DMA" without telling
    b.runToEnd();
    expect(b.out().split('\n').slice(0, 2)).toEqual(['0000000000000001', '0000000000000002']);
  });
});
