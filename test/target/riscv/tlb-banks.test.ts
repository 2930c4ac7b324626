/**
 * TLB banks and fences (tlb.ts, trap.ts helper_tlb_flush, code-cache.ts): translations of several
 * address spaces cached at once (satp switched back and forth, with different ASIDs and with the
 * same ASID and another root), SFENCE.VMA of one address dropping that page only (and a whole
 * superpage's pieces when the fenced address lies in one), and a page that held code written as
 * data and then run as code again. Each program follows the spec's fencing rules, so QEMU 7.2
 * (which flushes everything on every satp change and fence) is the oracle.
 */
import { defineCases } from './helpers/cases';
import { PTE_MACRO } from './helpers/asm';

const V = 1, R = 2, W = 4, X = 8, A = 64, D = 128;

const MACROS = `${PTE_MACRO}# satp = mode 8 | asid << 44 | root
.macro SATPA asid, root
  la t0, \\root
  srli t0, t0, 12
  li t1, (8 << 60) | (\\asid << 44)
  or t0, t0, t1
  csrw satp, t0
.endm
`;

const TABLES = `
.data
.align 12
rootA: .space 4096
l1A: .space 4096
l0A: .space 4096
rootB: .space 4096
l1B: .space 4096
l0B: .space 4096
pageA: .space 4096
pageB: .space 4096
pageC: .space 4096
`;

/** rootA and rootB identity-map RAM (1 GiB leaf) and map VA 0x4000_0000 to pageA / pageB. */
const SETUP = `
${MACROS}
.option norvc
test:
  mv s0, ra
  li a0, 0x80000000
  PTE rootA, 2, a0, ${V | R | W | X | A | D}
  PTE rootB, 2, a0, ${V | R | W | X | A | D}
  la a0, l1A
  PTE rootA, 1, a0, ${V}
  la a0, l0A
  PTE l1A, 0, a0, ${V}
  la a0, l1B
  PTE rootB, 1, a0, ${V}
  la a0, l0B
  PTE l1B, 0, a0, ${V}
  la a0, pageA
  PTE l0A, 0, a0, ${V | R | W | A | D}
  la a0, pageB
  PTE l0B, 0, a0, ${V | R | W | A | D}
  la a0, pageA
  li a1, 0xaaaa
  sd a1, 0(a0)
  la a0, pageB
  li a1, 0xbbbb
  sd a1, 0(a0)
`;

const DONE = `
done:
  csrw satp, zero
  sfence.vma
  mv ra, s0
  ret
${TABLES}
`;

defineCases([
  {
    name: 'two address spaces (two ASIDs, then one ASID with two roots) switched without fences',
    body: `
${SETUP}
  SATPA 1, rootA
  sfence.vma
  GOTO_MODE 1, in_s
in_s:
  li s1, 3
  li a0, 0x40000000
1:
  SATPA 1, rootA
  ld a1, 0(a0)
  RES a1
  SATPA 2, rootB
  ld a1, 0(a0)
  RES a1
  addi s1, s1, -1
  bnez s1, 1b
  # The same ASID with another root: a new address space (rootB's table, ASID 1), fenced as the
  # spec asks when an ASID is reused.
  SATPA 1, rootB
  sfence.vma zero, zero
  ld a1, 0(a0)
  RES a1
  BACK_TO_M done
${DONE}
`,
    expect: (s) => [0xaaaa, 0xbbbb, 0xaaaa, 0xbbbb, 0xaaaa, 0xbbbb, 0xbbbb, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'SFENCE.VMA of one address: that page sees the new PTE; stores to it after too',
    body: `
${SETUP}
  la a0, pageC
  PTE l0A, 1, a0, ${V | R | W | A | D}
  la a0, pageC
  li a1, 0xcccc
  sd a1, 0(a0)
  SATPA 3, rootA
  sfence.vma
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40000000
  li a2, 0x40001000
  ld a1, 0(a0)
  RES a1
  ld a1, 0(a2)
  RES a1
  # Remap VA 0x4000_0000 to pageB, fence that address only.
  la a3, pageB
  srli a3, a3, 12
  slli a3, a3, 10
  ori a3, a3, ${V | R | W | A | D}
  la t0, l0A
  sd a3, 0(t0)
  sfence.vma a0, zero
  ld a1, 0(a0)
  RES a1
  li a1, 0x1234
  sd a1, 8(a0)
  ld a1, 0(a2)
  RES a1
  la t0, pageB
  ld a1, 8(t0)
  RES a1
  BACK_TO_M done
${DONE}
`,
    expect: (s) => [0xaaaa, 0xcccc, 0xbbbb, 0xcccc, 0x1234, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'SFENCE.VMA of one address inside a 2 MiB superpage drops the whole superpage',
    body: `
${SETUP}
  # VA 0x4020_0000 → 2 MiB superpage at PA 0x80a0_0000, later 0x80c0_0000.
  li a0, 0x80a00000
  PTE l1A, 1, a0, ${V | R | W | A | D}
  li a0, 0x80a01000
  li a1, 0x1111
  sd a1, 0(a0)
  li a0, 0x80a02000
  li a1, 0x2222
  sd a1, 0(a0)
  li a0, 0x80c01000
  li a1, 0x3333
  sd a1, 0(a0)
  li a0, 0x80c02000
  li a1, 0x4444
  sd a1, 0(a0)
  SATPA 4, rootA
  sfence.vma
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40201000
  li a2, 0x40202000
  ld a1, 0(a0)
  RES a1
  ld a1, 0(a2)
  RES a1
  li a3, 0x80c00000
  srli a3, a3, 12
  slli a3, a3, 10
  ori a3, a3, ${V | R | W | A | D}
  la t0, l1A
  sd a3, 8(t0)
  sfence.vma a0, zero
  ld a1, 0(a2)
  RES a1
  ld a1, 0(a0)
  RES a1
  BACK_TO_M done
${DONE}
`,
    expect: (s) => [0x1111, 0x2222, 0x4444, 0x3333, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'a page that held code is written as data many times, then runs new code',
    body: `
.option norvc
test:
  mv s0, ra
  la s1, codepage
  jalr s1
  RES a0
  li t1, 200
1:
  sw t1, 64(s1)
  lw t2, 64(s1)
  addi t1, t1, -1
  bnez t1, 1b
  RES t2
  li t0, 0x00700513
  sw t0, 0(s1)
  fence.i
  jalr s1
  RES a0
  mv ra, s0
  ret
.align 12
codepage:
  li a0, 5
  ret
`,
    expect: [5, 1, 7],
  },
]);
