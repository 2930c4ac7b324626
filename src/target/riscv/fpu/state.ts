/**
 * FPU state shared with the CPU core, and the constants of the F/D extensions.
 *
 * References (section numbers of the RISC-V Unprivileged ISA manual, release 20191213): chapter 11
 * "F" Standard Extension (§11.2 fcsr, frm and fflags; §11.3 NaN generation and propagation) and
 * chapter 12 "D" (§12.2 NaN boxing of narrower values in wider registers).
 */

/**
 * The register files as the CPU core owns them.
 *
 * - `f`/`fi`: one ArrayBuffer of 256 bytes viewed as Float64Array(32) and Int32Array(64);
 *   register i is f[i], or fi[2*i] (low word) / fi[2*i+1] (high word). Singles are NaN-boxed:
 *   the high word is all ones (§12.2); a single whose high word is not all ones reads as the
 *   canonical NaN.
 * - `x`: Int32Array(64), register i is x[2*i] (low 32 bits) / x[2*i+1] (high 32 bits). x0 reads 0
 *   (the core keeps x[0] = x[1] = 0); the FPU never writes indices 0/1.
 * - `fflags`: accrued exception flags (5 bits, §11.2); the FPU only ORs into it.
 * - `frm`: dynamic rounding mode (3 bits); values 5..7 are invalid (an instruction with rm=DYN
 *   is then illegal).
 */
export interface FpState {
  x: Int32Array;
  f: Float64Array;
  fi: Int32Array;
  fflags: number;
  frm: number;
}

/** Anything flags can be accrued into (an FpState is one). */
export interface FlagSink {
  fflags: number;
}

/** Accrued exception flags (fflags bits, §11.2 Table 11.2). */
export const NV = 0x10; // invalid operation
export const DZ = 0x08; // divide by zero
export const OF = 0x04; // overflow
export const UF = 0x02; // underflow
export const NX = 0x01; // inexact

/** Rounding modes (rm field / frm, §11.2 Table 11.1). */
export const RNE = 0; // round to nearest, ties to even
export const RTZ = 1; // round towards zero
export const RDN = 2; // round down (towards -inf)
export const RUP = 3; // round up (towards +inf)
export const RMM = 4; // round to nearest, ties to max magnitude
export const DYN = 7; // dynamic: use frm

/** Canonical NaNs (§11.3): RISC-V never propagates NaN payloads. */
export const CANON_NAN_S = 0x7fc00000;
export const CANON_NAN_D_HI = 0x7ff80000; // low word 0

/**
 * Resolves an instruction's rm field to an effective rounding mode 0..4, or -1 when the
 * encoding is illegal (rm 5 or 6, or rm=DYN with frm holding 5..7) (§11.2).
 */
export function resolveRm(s: FpState, rm: number): number {
  if (rm <= RMM) return rm;
  if (rm === DYN) {
    const frm = s.frm;
    return frm <= RMM ? frm : -1;
  }
  return -1;
}
