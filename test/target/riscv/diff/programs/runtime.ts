/**
 * The frame every lockstep program shares (GNU as syntax). The lockstep runner keys on three
 * symbols: `__diff_end` (both sides stop when pc reaches it), and `__diff_mem_start` /
 * `__diff_mem_end`, the physical range compared byte for byte after memory instructions and traps.
 *
 * The prologue runs in M-mode from 0x8000_0000 (QEMU virt with -bios none; a0 = hartid, a1 = FDT),
 * points mtvec at the program's `trap_m`, enables the FPU (mstatus.FS = Dirty) and jumps to `main`.
 */

export interface ProgramParts {
  /** Text of `main` and any helpers; must define `main` and `trap_m`. */
  text: string;
  /** Contents of the compared data region (page-aligned start). */
  data?: string;
  /** Extra .equ definitions placed first. */
  defs?: string;
}

export function assemble(p: ProgramParts): string {
  return `
  .option nopic
${p.defs ?? ''}
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, trap_m
  csrw mtvec, t0
  li t0, 0x6000
  csrs mstatus, t0
  csrwi fcsr, 0
  j main

  .text
${p.text}

  .balign 4
  .globl __diff_end
__diff_end:
  j __diff_end

  .data
  .balign 4096
  .globl __diff_mem_start
__diff_mem_start:
${p.data ?? ''}
  .balign 8
  .globl __diff_mem_end
__diff_mem_end:
`;
}

/**
 * An M-mode handler that skips the trapping instruction (2 or 4 bytes, read at mepc) and returns.
 * Clobbers tp and t6, which generated code keeps for it.
 */
export const SKIP_HANDLER = `
  .balign 4
  .globl trap_m
trap_m:
  csrr tp, mepc
  lhu t6, 0(tp)
  andi t6, t6, 3
  addi t6, t6, -3
  addi tp, tp, 2
  bnez t6, 1f
  addi tp, tp, 2
1:
  csrw mepc, tp
  mret
`;
