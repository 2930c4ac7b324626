/**
 * Synchronous traps (privileged spec 1.12 §3.1.6.1, §3.1.8, §3.3): causes and tval, delegation
 * to S-mode with sstatus bookkeeping, xRET semantics (MPRV clearing), the privileged-instruction
 * rules (mret/sret/wfi/sfence.vma and TSR/TW/TVM), and CSR privilege / counter-enable checks.
 */
import { defineCases } from './helpers/cases';

/** S-mode handler appended to bodies: records 0x5555, scause, stval, sepc, sstatus & 0x122, skips 4 bytes. */
const S_TRAP = `
.align 2
s_trap:
  li t5, 0x5555
  RES t5
  csrr t5, scause
  RES t5
  csrr t5, stval
  RES t5
  csrr t5, sepc
  RES t5
  csrr t5, sstatus
  andi t5, t5, 0x122
  RES t5
  csrr t5, sepc
  addi t5, t5, 4
  csrw sepc, t5
  sret
`;

defineCases([
  {
    name: 'ecall from M, S, U: causes 11, 9, 8; ebreak: 3 with tval 0; illegal: instruction bits',
    body: `
.option norvc
test:
  mv s0, ra
e1:
  ecall
e2:
  ebreak
e3:
  .word 0xffffffff
  GOTO_MODE 1, in_s
in_s:
  la s10, 1f
e4:
  ecall
1:
  GOTO_MODE 0, in_u
in_u:
  la s10, 2f
e5:
  ecall
2:
  mv ra, s0
  ret
`,
    expect: (s) => [
      0xeeee, 11, 0, s('e1'),
      0xeeee, 3, 0, s('e2'),
      0xeeee, 2, 0xffffffff, s('e3'),
      0xeeee, 9, 0, s('e4'),
      0xeeee, 8, 0, s('e5'),
    ],
  },
  {
    name: 'delegation: U traps go to S with SPP/SPIE/SIE bookkeeping; undelegated ones to M',
    body: `
.option norvc
test:
  mv s0, ra
  la t0, s_trap
  csrw stvec, t0
  li t0, (1 << 8) | (1 << 2) | (1 << 9)
  csrw medeleg, t0
  csrsi sstatus, 2
  GOTO_MODE 0, in_u
in_u:
e1:
  ecall
e2:
  .word 0
e3:
  csrr a0, mstatus
  la s10, m1
e4:
  ebreak
m1:
  GOTO_MODE 1, in_s
in_s:
e5:
  ecall
e6:
  .word 0
  la s10, m2
  ebreak
m2:
e7:
  .word 0
  csrw medeleg, zero
  csrw stvec, zero
  mv ra, s0
  ret
${S_TRAP}
`,
    expect: (s) => [
      0x5555, 8, 0, s('e1'), 0x20,
      0x5555, 2, 0, s('e2'), 0x20,
      0x5555, 2, 0x30002573, s('e3'), 0x20,
      0xeeee, 3, 0, s('e4'),
      0x5555, 9, 0, s('e5'), 0x120,
      0x5555, 2, 0, s('e6'), 0x120,
      0xeeee, 3, 0, s('e6') + 12n,
      0xeeee, 2, 0, s('e7'),
      0xeeee, 2, 0, s('e7') + 2n, // the M handler skips 2 bytes: the second zero parcel traps too
    ],
  },
  {
    name: 'mret: MIE <- MPIE, MPIE <- 1, MPP <- U, MPRV cleared when returning below M',
    body: `
.option norvc
test:
  mv s0, ra
  li t0, (1 << 7) | (1 << 17)
  csrs mstatus, t0
  csrci mstatus, 8
  li t0, 0x1800
  csrc mstatus, t0
  li t0, 0x800
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1:
  la s10, 2f
e1:
  ecall
2:
  csrr a0, mstatus
  li t0, (1 << 3) | (1 << 7) | (3 << 11) | (1 << 17)
  and a0, a0, t0
  RES a0
  li t0, (1 << 7) | (1 << 17) | (3 << 11)
  csrs mstatus, t0
  la t0, 3f
  csrw mepc, t0
  mret
3:
  csrr a0, mstatus
  li t0, (1 << 3) | (1 << 7) | (3 << 11) | (1 << 17)
  and a0, a0, t0
  RES a0
  csrc mstatus, t0
  mv ra, s0
  ret
`,
    expect: (s) => [0xeeee, 9, 0, s('e1'), 0x88, 0x20088],
    // QEMU 7.2 does not clear MPRV on an MRET to a lower mode (privileged spec 1.12 §3.1.6.3 does).
    qemu: (s) => [0xeeee, 9, 0, s('e1'), 0x20088, 0x20088],
  },
  {
    name: 'privileged instructions: mret/sret/wfi/sfence.vma by mode, TSR, TW, TVM',
    body: `
.option norvc
test:
  mv s0, ra
  GOTO_MODE 0, in_u
in_u:
u1:
  mret
u2:
  sret
u3:
  wfi
u4:
  sfence.vma
  BACK_TO_M m1
m1:
  li t0, (1 << 20) | (1 << 21) | (1 << 22)
  csrs mstatus, t0
  GOTO_MODE 1, in_s
in_s:
s1:
  mret
s2:
  sret
s3:
  wfi
s4:
  sfence.vma
s5:
  csrr a0, satp
  BACK_TO_M m2
m2:
  li t0, (1 << 20) | (1 << 21) | (1 << 22)
  csrc mstatus, t0
  mv ra, s0
  ret
`,
    expect: (s) => [
      0xeeee, 2, 0x30200073, s('u1'),
      0xeeee, 2, 0x10200073, s('u2'),
      0xeeee, 2, 0x10500073, s('u3'),
      0xeeee, 2, 0x12000073, s('u4'),
      0xeeee, 8, 0, s('m1') - 4n,
      0xeeee, 2, 0x30200073, s('s1'),
      0xeeee, 2, 0x10200073, s('s2'),
      0xeeee, 2, 0x10500073, s('s3'),
      0xeeee, 2, 0x12000073, s('s4'),
      0xeeee, 2, 0x18002573, s('s5'),
      0xeeee, 9, 0, s('m2') - 4n,
    ],
  },
  {
    name: 'sret from M returns to SPP; wfi in S without TW and sfence.vma in S are allowed',
    body: `
.option norvc
test:
  mv s0, ra
  li t0, 2
  csrw mideleg, t0
  csrw mie, t0
  li t0, 0x100
  csrs mstatus, t0
  csrci mstatus, 2
  la t0, in_s
  csrw sepc, t0
  sret
in_s:
  csrr a0, sstatus
  andi a0, a0, 0x100
  RES a0
  sfence.vma
  csrsi sip, 2
  wfi
  RESI 0x77
  BACK_TO_M m1
m1:
  csrw mip, zero
  csrw mideleg, zero
  csrw mie, zero
  mv ra, s0
  ret
`,
    expect: (s) => [0, 0x77, 0xeeee, 9, 0, s('m1') - 4n],
  },
  {
    name: 'CSR privilege and counter-enable checks from S and U',
    body: `
.option norvc
test:
  mv s0, ra
  csrw mcounteren, zero
  csrw scounteren, zero
  GOTO_MODE 1, in_s
in_s:
a1:
  csrr a0, mstatus
a2:
  csrr a0, cycle
  csrr a0, sstatus
  RESI 0x51
  BACK_TO_M m1
m1:
  li t0, 5
  csrw mcounteren, t0
  GOTO_MODE 1, in_s2
in_s2:
  csrr a0, cycle
  csrr a0, instret
a3:
  csrr a0, time
  RESI 0x52
  BACK_TO_M m2
m2:
  GOTO_MODE 0, in_u
in_u:
a4:
  csrr a0, cycle
a5:
  csrr a0, sscratch
  BACK_TO_M m3
m3:
  li t0, 1
  csrw scounteren, t0
  GOTO_MODE 0, in_u2
in_u2:
  csrr a0, cycle
a6:
  csrr a0, instret
  RESI 0x53
  BACK_TO_M m4
m4:
  csrw mcounteren, zero
  csrw scounteren, zero
  mv ra, s0
  ret
`,
    expect: (s) => [
      0xeeee, 2, 0x30002573, s('a1'),
      0xeeee, 2, 0xc0002573, s('a2'),
      0x51,
      0xeeee, 9, 0, s('m1') - 4n,
      0xeeee, 2, 0xc0102573, s('a3'),
      0x52,
      0xeeee, 9, 0, s('m2') - 4n,
      0xeeee, 2, 0xc0002573, s('a4'),
      0xeeee, 2, 0x14002573, s('a5'),
      0xeeee, 8, 0, s('m3') - 4n,
      0xeeee, 2, 0xc0202573, s('a6'),
      0x53,
      0xeeee, 8, 0, s('m4') - 4n,
    ],
  },
  {
    name: 'vectored mtvec: exceptions still go to BASE',
    body: `
.option norvc
test:
  la t0, m_trap
  ori t0, t0, 1
  csrw mtvec, t0
e1:
  ecall
  la t0, m_trap
  csrw mtvec, t0
  ret
`,
    expect: (s) => [0xeeee, 11, 0, s('e1')],
  },
]);
