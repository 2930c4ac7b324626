/**
 * RV64I base integer instructions (ISA manual ch. 2 and 5): arithmetic with carries across the
 * 32-bit halves, comparisons, logic with sign-extended immediates, 64-bit and W shifts, LUI/AUIPC,
 * jumps, branches, loads/stores of every width, writes to x0.
 */
import { defineCases } from './helpers/cases';

defineCases([
  {
    name: 'add/sub/addi carry and borrow between the 32-bit halves',
    body: `
test:
  li a0, 0xffffffff
  li a1, 1
  add a2, a0, a1
  RES a2
  li a0, -1
  add a2, a0, a1
  RES a2
  sub a2, zero, a1
  RES a2
  li a0, 0x8000000000000000
  sub a2, a0, a1
  RES a2
  li a0, 0x100000000
  sub a2, a0, a1
  RES a2
  addi a2, a0, -1
  RES a2
  li a0, 0x7fffffffffffffff
  addi a2, a0, 1
  RES a2
  li a0, 0xfffffffffffff800
  addi a2, a0, 2047
  RES a2
  addi a2, a1, -2048
  RES a2
  ret
`,
    expect: [0x100000000n, 0n, -1n, 0x7fffffffffffffffn, 0xffffffffn, 0xffffffffn, 0x8000000000000000n, -1n, -2047n],
  },
  {
    name: 'slt/sltu/slti/sltiu',
    body: `
test:
  li a0, -1
  li a1, 1
  slt a2, a0, a1
  RES a2
  sltu a2, a0, a1
  RES a2
  slt a2, a1, a0
  RES a2
  sltu a2, a1, a0
  RES a2
  li a0, 0x100000000
  li a1, 0xffffffff
  slt a2, a1, a0
  RES a2
  sltu a2, a0, a1
  RES a2
  slti a2, a0, -1
  RES a2
  sltiu a2, a0, -1
  RES a2
  li a0, -5
  slti a2, a0, -4
  RES a2
  sltiu a2, zero, 1
  RES a2
  sltiu a2, a1, 1
  RES a2
  li a0, 0x8000000000000000
  li a1, 0x7fffffffffffffff
  slt a2, a0, a1
  RES a2
  sltu a2, a0, a1
  RES a2
  ret
`,
    expect: [1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0],
  },
  {
    name: 'logic ops and sign-extended immediates',
    body: `
test:
  li a0, 0x0123456789abcdef
  li a1, 0xff00ff00ff00ff00
  xor a2, a0, a1
  RES a2
  or a2, a0, a1
  RES a2
  and a2, a0, a1
  RES a2
  xori a2, a0, -1
  RES a2
  ori a2, a0, -2048
  RES a2
  andi a2, a0, -16
  RES a2
  andi a2, a0, 0x7ff
  RES a2
  xori a2, a0, 0x555
  RES a2
  ret
`,
    expect: [
      0x0123456789abcdefn ^ 0xff00ff00ff00ff00n,
      0x0123456789abcdefn | 0xff00ff00ff00ff00n,
      0x0123456789abcdefn & 0xff00ff00ff00ff00n,
      ~0x0123456789abcdefn,
      0xfffffffffffffdefn,
      0x0123456789abcde0n,
      0x5efn,
      0x0123456789abcdefn ^ 0x555n,
    ],
  },
  {
    name: '64-bit shifts by 0, 1, 31, 32, 33, 63 and masked amounts',
    body: `
test:
  li a0, 0x8123456789abcdef
  slli a2, a0, 0
  RES a2
  slli a2, a0, 1
  RES a2
  slli a2, a0, 31
  RES a2
  slli a2, a0, 32
  RES a2
  slli a2, a0, 63
  RES a2
  srli a2, a0, 1
  RES a2
  srli a2, a0, 32
  RES a2
  srli a2, a0, 33
  RES a2
  srli a2, a0, 63
  RES a2
  srai a2, a0, 1
  RES a2
  srai a2, a0, 31
  RES a2
  srai a2, a0, 32
  RES a2
  srai a2, a0, 63
  RES a2
  li a1, 67
  sll a2, a0, a1
  RES a2
  srl a2, a0, a1
  RES a2
  sra a2, a0, a1
  RES a2
  li a1, 64
  sra a2, a0, a1
  RES a2
  ret
`,
    expect: [
      0x8123456789abcdefn,
      0x02468acf13579bden,
      0xc4d5e6f780000000n,
      0x89abcdef00000000n,
      0x8000000000000000n,
      0x4091a2b3c4d5e6f7n,
      0x81234567n,
      0x4091a2b3n,
      1n,
      0xc091a2b3c4d5e6f7n,
      0xffffffff02468acfn,
      0xffffffff81234567n,
      -1n,
      0x091a2b3c4d5e6f78n,
      0x102468acf13579bdn,
      0xf02468acf13579bdn,
      0x8123456789abcdefn,
    ],
  },
  {
    name: 'W ops sign-extend their 32-bit results',
    body: `
test:
  li a0, 0x7fffffff
  li a1, 1
  addw a2, a0, a1
  RES a2
  addiw a2, a0, 1
  RES a2
  li a0, 0x1234567880000000
  addiw a2, a0, 0
  RES a2
  subw a2, zero, a1
  RES a2
  li a0, 0xffffffff00000000
  subw a2, a0, a1
  RES a2
  li a0, 0x00000000fffffff0
  sraiw a2, a0, 2
  RES a2
  srliw a2, a0, 2
  RES a2
  srliw a2, a0, 0
  RES a2
  slliw a2, a1, 31
  RES a2
  li a3, 33
  sllw a2, a1, a3
  RES a2
  srlw a2, a0, a3
  RES a2
  sraw a2, a0, a3
  RES a2
  li a3, 32
  srlw a2, a0, a3
  RES a2
  ret
`,
    expect: [
      0xffffffff80000000n,
      0xffffffff80000000n,
      0xffffffff80000000n,
      -1n,
      -1n,
      -4n,
      0x3ffffffcn,
      -16n,
      0xffffffff80000000n,
      2n,
      0x7ffffff8n,
      -8n,
      -16n,
    ],
  },
  {
    name: 'lui and auipc',
    body: `
test:
  lui a0, 0x80000
  RES a0
  lui a0, 0x7ffff
  RES a0
1:
  auipc a0, 0
  la a1, 1b
  sub a2, a0, a1
  RES a2
2:
  auipc a0, 0x80000
  la a1, 2b
  sub a2, a0, a1
  RES a2
  ret
`,
    expect: [0xffffffff80000000n, 0x7ffff000n, 0n, -0x80000000n],
  },
  {
    name: 'jal/jalr link values, bit 0 cleared, rd == rs1',
    body: `
.option norvc
test:
  mv s0, ra
  jal a0, 1f
  nop
1:
  la a1, 1b
  sub a2, a1, a0
  RES a2
  la a1, 2f
  addi a1, a1, 1
  jalr a1, 0(a1)
  j 9f
2:
  la a3, 2b
  sub a2, a1, a3
  RES a2
  la t0, 3f
  jalr zero, 4(t0)
3:
  j 9f
  RESI 0x600d
  mv ra, s0
  ret
9:
  RESI 0xbad
  mv ra, s0
  ret
`,
    expect: [4, -4, 0x600d],
  },
  {
    name: 'branches: signed and unsigned, taken and not',
    body: `
.macro BR op, a, b
  li t0, \\a
  li t1, \\b
  li a0, 0
  \\op t0, t1, 1f
  li a0, 1
1:
  RES a0
.endm
test:
  BR beq, 5, 5
  BR beq, 5, 0x100000005
  BR bne, 5, 0x100000005
  BR bne, -1, -1
  BR blt, -1, 1
  BR blt, 1, -1
  BR blt, 0x100000000, 0xffffffff
  BR bge, 3, 3
  BR bge, -3, 3
  BR bltu, -1, 1
  BR bltu, 1, -1
  BR bltu, 0xffffffff, 0x100000000
  BR bgeu, -1, 1
  BR bgeu, 0x100000000, 0x100000001
  ret
`,
    expect: [0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1],
  },
  {
    name: 'loads and stores of every width, sign/zero extension',
    body: `
test:
  la a0, buf
  li a1, 0x8899aabbccddeeff
  sd a1, 0(a0)
  lb a2, 0(a0)
  RES a2
  lbu a2, 0(a0)
  RES a2
  lh a2, 2(a0)
  RES a2
  lhu a2, 2(a0)
  RES a2
  lw a2, 4(a0)
  RES a2
  lwu a2, 4(a0)
  RES a2
  ld a2, 0(a0)
  RES a2
  li a1, 0x1122334455667788
  sb a1, 8(a0)
  sh a1, 10(a0)
  sw a1, 12(a0)
  ld a2, 8(a0)
  RES a2
  sd a1, -8(a0)
  ld a2, -8(a0)
  RES a2
  lw zero, 0(a0)
  RES zero
  ret
.data
.align 4
  .space 16
buf: .space 32
`,
    expect: [-1n, 0xffn, -0x3323n, 0xccddn, -0x77665545n, 0x8899aabbn, 0x8899aabbccddeeffn, 0x5566778877880088n, 0x1122334455667788n, 0],
  },
  {
    name: 'writes to x0 are discarded; HINTs execute as no-ops',
    body: `
test:
  addi zero, zero, 5
  lui zero, 0x12345
  add zero, sp, sp
  RES zero
  li a0, 7
  slli zero, a0, 3
  .insn i 0x13, 0, x0, a0, 5
  RES zero
  RES a0
  ret
`,
    expect: [0, 0, 7],
  },
]);
