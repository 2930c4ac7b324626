/**
 * The block compiler (jit.ts) against the interpreter: the same programs run in lockstep, one
 * bench with every block compiled on first landing, one interpreting only, compared at the end of
 * every run(k) slice of random length (pc, all registers, trap CSRs, instret). Slices end inside
 * compiled loops, interrupts arrive mid-loop, loads fault mid-block, code modifies itself.
 */
import { describe, test } from 'vitest';
import { haveBinutils } from './helpers/asm';
import { runLockstep } from './helpers/jit-lockstep';

const PROGRAMS: Record<string, string> = {
  'tight loops, memory, W ops, a CSR read, self-modifying code': `
.option norvc
test:
  mv s0, ra
  la a0, buf
  li a1, 0
  li a2, 3000
1:
  slli t0, a1, 3
  andi t0, t0, 0x3f8
  add t1, a0, t0
  ld t2, 0(t1)
  addw t2, t2, a1
  xor t2, t2, a2
  sd t2, 0(t1)
  srliw t3, t2, 3
  mulw t4, t3, a1
  addi a1, a1, 1
  blt a1, a2, 1b
  csrr a3, instret
  li a4, 0
  li a5, 50
2:
patch:
  addi a4, a4, 1
  la t0, patch
  lw t1, 0(t0)
  li t2, 1 << 20
  add t1, t1, t2
  bgt a4, a5, 3f
  sw t1, 0(t0)
3:
  addi a5, a5, -1
  bnez a5, 2b
  RES a4
  RES a1
  ld a0, 8(a0)
  RES a0
  mv ra, s0
  ret
.data
.align 4
buf: .space 1024
`,
  'interrupts raised by MMIO stores inside a compiled loop': `
.option norvc
test:
  mv s0, ra
  la t0, handler
  csrw mtvec, t0
  li t0, 8
  csrw mie, t0
  csrsi mstatus, 8
  li s1, 0
  li a1, 0
  li a2, 2000
  li a3, 0x2000000
1:
  addi a1, a1, 1
  andi t0, a1, 255
  bnez t0, 2f
  li t1, 1
  sw t1, 0(a3)
2:
  add a4, a4, a1
  blt a1, a2, 1b
  csrci mstatus, 8
  csrw mie, zero
  RES s1
  RES a4
  la t0, m_trap
  csrw mtvec, t0
  mv ra, s0
  ret
.align 4
handler:
  addi s1, s1, 1
  csrr t5, mepc
  add s2, s2, t5
  sw zero, 0(a3)
  mret
`,
  'page faults in the middle of compiled blocks keep earlier register writes': `
.option norvc
test:
  mv s0, ra
  li s1, 0
1:
  addi s1, s1, 1
  li t0, 0x123
  addi t1, t0, 7
  li a0, 0x40000000
  ld a1, 0(a0)
  addi t2, t1, 1
  li t3, 100
  blt s1, t3, 1b
  RES t2
  RES s1
  mv ra, s0
  ret
`,
};

describe.skipIf(!haveBinutils())('JIT lockstep with the interpreter', () => {
  for (const [name, body] of Object.entries(PROGRAMS)) {
    test(name, () => {
      runLockstep(body, { jit: [1, 1, 0xfffffffe], maxSlice: 97, seed: name.length });
    });
    test(`${name} (tier 2, longer slices)`, () => {
      runLockstep(body, { jit: [1, 1, 2], maxSlice: 500, seed: name.length });
    });
  }
});
