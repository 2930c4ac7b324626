/**
 * Privilege switching for the hand-written programs (privileged spec §3.3.2 MRET/SRET, §3.1.6
 * mstatus) and the trap handlers they share. Conventions (tp and t6 belong to the handlers):
 *  - `TO_S label` / `TO_U label` (from M) and `S_TO_U label` (from S) drop privilege with xRET.
 *  - ECALL from U or S that reaches M resumes *in M* after the ECALL; ECALL from U delegated to S
 *    resumes in S. So `ecall` is "return to the more privileged code that follows".
 *  - Any other exception skips the faulting instruction (2 or 4 bytes, read at xepc, so code must
 *    be identity-mapped), except fetch faults (causes 1, 12), which resume at ra: reach a faulting
 *    fetch with `jalr ra, ...`.
 *  - An interrupt disables the S-level sources (clears SSIE/STIE/SEIE in xie), clears SSIP, returns.
 */

export const MODE_MACROS = `
  .macro TO_S label
  li t6, 0x1800
  csrc mstatus, t6
  li t6, 0x800
  csrs mstatus, t6
  la t6, \\label
  csrw mepc, t6
  mret
  .endm

  .macro TO_U label
  li t6, 0x1800
  csrc mstatus, t6
  la t6, \\label
  csrw mepc, t6
  mret
  .endm

  .macro S_TO_U label
  li t6, 0x100
  csrc sstatus, t6
  la t6, \\label
  csrw sepc, t6
  sret
  .endm
`;

function skipTo(x: 'm' | 's'): string {
  return `
  csrr tp, ${x}epc
  lhu t6, 0(tp)
  andi t6, t6, 3
  addi t6, t6, -3
  addi tp, tp, 2
  bnez t6, 1f
  addi tp, tp, 2
1:
  csrw ${x}epc, tp
  ${x}ret`;
}

export const MODE_HANDLERS = `
  .balign 64
  .globl trap_m
trap_m:
  csrr t6, mcause
  bltz t6, 3f
  addi t6, t6, -1
  beqz t6, 4f
  addi t6, t6, -7
  beqz t6, 2f
  addi t6, t6, -1
  beqz t6, 2f
  addi t6, t6, -3
  beqz t6, 4f
${skipTo('m')}
2:
  li t6, 0x1800
  csrs mstatus, t6
  csrr tp, mepc
  addi tp, tp, 4
  csrw mepc, tp
  mret
3:
  li t6, 0x222
  csrc mie, t6
  csrci mip, 2
  mret
4:
  csrw mepc, ra
  mret

  .balign 64
  .globl trap_s
trap_s:
  csrr t6, scause
  bltz t6, 3f
  addi t6, t6, -1
  beqz t6, 4f
  addi t6, t6, -7
  beqz t6, 2f
  addi t6, t6, -4
  beqz t6, 4f
${skipTo('s')}
2:
  li t6, 0x100
  csrs sstatus, t6
  csrr tp, sepc
  addi tp, tp, 4
  csrw sepc, tp
  sret
3:
  li t6, 0x222
  csrc sie, t6
  csrci sip, 2
  sret
4:
  csrw sepc, ra
  sret
`;
