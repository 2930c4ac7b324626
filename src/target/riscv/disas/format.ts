/**
 * Operand formatting shared by the decoders, following the conventions of GNU objdump's RISC-V
 * printer (binutils 2.40), which is the reference output of this disassembler:
 *
 * - Text is `mnemonic` alone, or `mnemonic` + one space + operands separated by `,` (objdump
 *   separates mnemonic and operands by a tab; callers that want that can replace the first
 *   space).
 * - I/S-type immediates and load/store offsets are signed decimal (`-16(sp)`).
 * - Shift amounts, U-type immediates (`lui a0,0x12345`) and unnamed CSR numbers are `0x` hex.
 * - Branch and jump targets are absolute addresses, `0x` + lower-case hex with no padding,
 *   computed modulo 2^64 (RV64 addresses wrap, Unprivileged ISA §1.4 "Memory").
 */
import type { RegNames } from './regs';

/** Decoding context passed to every decoder. */
export interface Ctx {
  /** Prefer pseudo-instructions (objdump's default) over the canonical form (`-M no-aliases`). */
  readonly aliases: boolean;
  /** Integer register names. */
  readonly x: RegNames;
  /** Floating-point register names. */
  readonly f: RegNames;
  /** Address of the instruction, for PC-relative targets. */
  readonly pc: bigint;
}

const MASK64 = (1n << 64n) - 1n;

/** `mnemonic` or `mnemonic op1,op2,...`. */
export function fmt(mnemonic: string, ...operands: Array<string | number>): string {
  return operands.length === 0 ? mnemonic : `${mnemonic} ${operands.join(',')}`;
}

/** `0x`-prefixed lower-case hex of a non-negative number. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** `offset(base)` memory operand with a signed decimal offset. */
export function mem(offset: number, base: string): string {
  return `${offset}(${base})`;
}

/** Absolute target of a PC-relative branch/jump: (pc + offset) mod 2^64, as `0x...`. */
export function target(ctx: Ctx, offset: number): string {
  return `0x${((ctx.pc + BigInt(offset)) & MASK64).toString(16)}`;
}

/**
 * Static rounding-mode names, rm field values 0..7 (Unprivileged ISA §11.2, Table 11.1).
 * 5 and 6 are reserved; objdump prints them as `unknown`. 7 is "dyn" (use frm), which objdump
 * omits from the operand list.
 */
const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'unknown', 'unknown', 'dyn'] as const;

/** Operands followed by the rounding mode, omitted when it is dynamic (rm = 7). */
export function withRm(rm: number, ...operands: string[]): string[] {
  return rm === 7 ? operands : [...operands, RM_NAMES[rm]!];
}

/**
 * FENCE predecessor/successor set (Unprivileged ISA §2.7 "Memory Ordering Instructions"): bits
 * 3..0 are I, O, R, W; printed as the letters present, or `unknown` for the empty set (the
 * empty set is not a meaningful FENCE operand; objdump prints `unknown`).
 */
export function fenceSet(bits4: number): string {
  let s = '';
  if (bits4 & 8) s += 'i';
  if (bits4 & 4) s += 'o';
  if (bits4 & 2) s += 'r';
  if (bits4 & 1) s += 'w';
  return s === '' ? 'unknown' : s;
}
