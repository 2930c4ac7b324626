/**
 * Register names for the disassembler.
 *
 * ABI names follow the RISC-V ELF psABI "Integer Register Convention" and "Floating-point
 * Register Convention" tables (also reproduced in Unprivileged ISA 20191213, chapter 25
 * "RISC-V Assembly Programmer's Handbook", Table 25.1). x8 prints as `s0` (not `fp`), which is
 * what GNU objdump prints. Numeric names are `x0`..`x31` and `f0`..`f31`.
 */

const ABI_X = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2',
  's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7',
  's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

const ABI_F = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7',
  'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7',
  'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
] as const;

const NUM_X = Array.from({ length: 32 }, (_, i) => `x${i}`);
const NUM_F = Array.from({ length: 32 }, (_, i) => `f${i}`);

/** A register-name table: index 0..31 → name. */
export type RegNames = readonly string[];

/** Integer register names, ABI (`a0`) or numeric (`x10`). */
export function xNames(abi: boolean): RegNames {
  return abi ? ABI_X : NUM_X;
}

/** Floating-point register names, ABI (`fa0`) or numeric (`f10`). */
export function fNames(abi: boolean): RegNames {
  return abi ? ABI_F : NUM_F;
}
