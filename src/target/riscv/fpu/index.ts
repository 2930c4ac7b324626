/**
 * The RISC-V F and D extensions' computational instructions (RV64GC), bit-exact with QEMU's
 * softfloat as target/riscv configures it (canonical NaNs, tininess after rounding, NV on
 * (inf × 0) + qNaN in FMA, minimumNumber/maximumNumber for FMIN/FMAX).
 *
 * The CPU core owns the register files (FpState) and calls executeOpFp for major opcodes
 * OP-FP, MADD, MSUB, NMSUB and NMADD after checking mstatus.FS; FLW/FLD/FSW/FSD are its own.
 *
 * Layout: state.ts (FpState, flags, rounding modes), bits.ts (bit-level helpers, directed
 * rounding), f64.ts / f32.ts (arithmetic fast paths), fma.ts, convert.ts, compare.ts (sign
 * injection, min/max, compares, classify, moves), decode.ts (dispatch), softfloat.ts and
 * softfloat-cvt.ts (exact BigInt slow paths).
 */
export { executeOpFp } from './decode';
export type { FpState } from './state';
export { NV, DZ, OF, UF, NX, RNE, RTZ, RDN, RUP, RMM, DYN, CANON_NAN_S, CANON_NAN_D_HI } from './state';
