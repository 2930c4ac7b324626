/**
 * Guest programs exercising the region compiler (jit-region.ts): see jit-region.test.ts. Written
 * against the harness of machine.ts (`test:` called in M-mode, RES records results).
 */
import { PTE_MACRO } from './asm';

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;

const LOOPS = `
.option norvc
test:
  mv s0, ra
  li a0, 0
  li a1, 0
  li a2, 120
  li a5, 0
1:
  li a3, 0
2:
  add a0, a0, a3
  xor a1, a1, a0
  andi t0, a3, 3
  beqz t0, 3f
  addi a1, a1, 7
  j 4f
3:
  slli a1, a1, 1
4:
  addi a3, a3, 1
  li t1, 20
  bne a3, t1, 5f
  addi a5, a5, 1
  blt a5, a2, 1b
  j 6f
5:
  mv t2, a0
  mv t3, a1
  j 2b
6:
  RES a0
  RES a1
  RES a5
  RES t2
  mv ra, s0
  ret
`;

/**
 * A loop whose arms each end with the loop's condition, branching back to the head from inside
 * the arm (gcc's shape of inflate_fast's `do { ... } while (in < last && out < end)`): at tier 2
 * those branches are side-path branches that become the loop's `continue`.
 */
const ARMS_BRANCH_BACK = `
.option norvc
test:
  mv s0, ra
  li a0, 0
  li a1, 0
  li a2, 300
  li a4, 0
1:
  andi t0, a0, 1
  bnez t0, 3f
  add a1, a1, a0
  addi a0, a0, 1
  blt a0, a2, 1b
  j 4f
3:
  xor a4, a4, a0
  slli t1, a4, 3
  add a1, a1, t1
  addi a0, a0, 1
  bge a0, a2, 4f
  andi t2, a0, 15
  bnez t2, 1b
  addi a4, a4, 5
  j 1b
4:
  RES a0
  RES a1
  RES a4
  mv ra, s0
  ret
`;

export const CALLS = `
.option norvc
.option norelax
test:
  mv s0, ra
  li s1, 0
  li s2, 400
  li s3, 0
  li s4, 0
1:
  mv a0, s1
  jal ra, leaf_near
  add s3, s3, a0
  call leaf_far
  xor s4, s4, a0
  addi s1, s1, 1
  blt s1, s2, 1b
  li s5, 0
  li s1, 0
2:
  jal ra, skip_one
  addi s5, s5, 100
  addi s5, s5, 1
  addi s1, s1, 1
  li t0, 300
  blt s1, t0, 2b
  RES s3
  RES s4
  RES s5
  mv ra, s0
  ret
leaf_near:
  slliw a1, a0, 3
  addw a0, a0, a1
  ret
skip_one:
  addi ra, ra, 4
  ret
.balign 4096
leaf_far:
  srliw a1, a0, 2
  xor a0, a0, a1
  addiw a0, a0, 17
  bnez a1, 3f
  addi a0, a0, 1
3:
  ret
`;

const PATCHED_CALLEE = `
.option norvc
test:
  mv s0, ra
  li s1, 0
  li s3, 0
  la s4, smc_leaf
1:
  mv a0, s1
  jal ra, smc_leaf
  add s3, s3, a0
  addi s1, s1, 1
  li t0, 200
  bne s1, t0, 2f
  li t1, 0x00250513
  sw t1, 0(s4)
  fence.i
2:
  li t0, 400
  blt s1, t0, 1b
  RES s3
  mv ra, s0
  ret
.balign 4096
smc_leaf:
  addi a0, a0, 1
  ret
`;

const PAGE_END = `
test:
  mv s0, ra
  li s1, 0
  li s2, 0
  li s3, 0
  li s4, 0
  li s5, 0
  li s6, 0
  j cross
.balign 4096
.skip 4080
cross:
  addi s1, s1, 1
  addi s2, s2, 3
  xor s3, s3, s1
  add s4, s4, s3
  slli s5, s1, 3
  add s6, s6, s5
  li t0, 500
  blt s1, t0, cross
  li s1, 0
  j cross2
.balign 4096
.skip 4084
cross2:
  addi s1, s1, 1
  xor s3, s3, s1
  add s4, s4, s3
  add s6, s6, s4
  li t0, 500
  blt s1, t0, cross2
  RES s2
  RES s3
  RES s4
  RES s6
  mv ra, s0
  ret
`;

const PTE = PTE_MACRO;

const REMAP_AND_SUM = `
${PTE}
.option norvc
test:
  mv s0, ra
  li a0, 0x80000000
  PTE pt_root, 2, a0, ${V | R | W | X | A | D}
  la a0, pt_l1
  PTE pt_root, 1, a0, ${V}
  la a0, pt_l0
  PTE pt_l1, 0, a0, ${V}
  la a0, vcode
  PTE pt_l0, 0, a0, ${V | R | X | A}
  la a0, leaf_a
  PTE pt_l0, 1, a0, ${V | R | X | A}
  la a0, udata
  PTE pt_l0, 2, a0, ${V | R | W | U | A | D}
  la a0, leaf_b
  srli a0, a0, 12
  slli a0, a0, 10
  ori s7, a0, ${V | R | X | A}
  la s8, pt_l0
  addi s8, s8, 8
  la a0, udata
  li a1, 0x55
  sd a1, 0(a0)
  la t0, pt_root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  la s10, back
  li t6, 0x1800
  csrc mstatus, t6
  li t6, 0x800
  csrs mstatus, t6
  li t6, 0x40000000
  csrw mepc, t6
  mret
back:
  csrw satp, zero
  sfence.vma
  RES s3
  RES s4
  RES s9
  mv ra, s0
  ret
.balign 4096
vcode:
  li s1, 0
  li s3, 0
  li s4, 0
  li a2, 0x40002000
1:
  mv a0, s1
  jal ra, leaf_a
  add s3, s3, a0
  li t0, 1 << 18
  csrs sstatus, t0
  ld a3, 0(a2)
  csrc sstatus, t0
  add s4, s4, a3
  andi t1, s1, 63
  bnez t1, 2f
  ld a3, 0(a2)
2:
  addi s1, s1, 1
  li t0, 300
  bne s1, t0, 3f
  sd s7, 0(s8)
  sfence.vma
3:
  li t0, 600
  blt s1, t0, 1b
  mv s9, s1
  ecall
.balign 4096
leaf_a:
  addiw a0, a0, 1
  ret
.balign 4096
leaf_b:
  addiw a0, a0, 1000
  ret
.data
.align 12
pt_root: .space 4096
pt_l1: .space 4096
pt_l0: .space 4096
udata: .space 4096
`;

/**
 * A function of 700 straight-line instructions (no branch, jump or CSR access until its return),
 * starting near a page end so that it crosses into the next page, called 40 times: unrolled code
 * as the kernel's blake2s_compress. Each call lands on its head once.
 */
export const LONG_RUN = `
.option norvc
.option norelax
test:
  mv s0, ra
  li s1, 0
  li s2, 40
  li a0, 1
  li a1, 3
1:
  call long_run
  addi s1, s1, 1
  blt s1, s2, 1b
  RES a0
  RES a1
  mv ra, s0
  ret
.balign 4096
.space 4096 - 1200
long_run:
.rept 350
  addw a0, a0, a1
  xor a1, a1, a0
.endr
  ret
`;

export const REGION_PROGRAMS: Record<string, string> = {
  'loops whose back edge is a side path, if/else arms, nested loops': LOOPS,
  'a loop whose arms each branch back to its head (inflate_fast)': ARMS_BRANCH_BACK,
  'leaf calls inlined (same page, other page, AUIPC+JALR), a callee returning elsewhere': CALLS,
  'a callee on another page patched while regions have it inlined': PATCHED_CALLEE,
  'code crossing a page end, with and without an instruction straddling it': PAGE_END,
  'S-mode: a callee page remapped under a region, SUM toggles, page faults': REMAP_AND_SUM,
};

