/**
 * The F and D extensions (Unprivileged ISA 20191213 §11 "F", §12 "D"): FLW/FLD, FSW/FSD,
 * the fused multiply-adds (R4-type, opcodes MADD/MSUB/NMSUB/NMADD) and OP-FP.
 *
 * Contract: as for rv-int.ts — objdump's text, or null for an invalid encoding. Only fmt = S (00)
 * and D (01) are valid (H and Q are not part of RV64GC).
 *
 * Rounding mode (rm = funct3 for arithmetic/conversions, §11.2): printed as a trailing operand
 * unless dynamic. Conversions that are always exact (fcvt.d.s, fcvt.d.w, fcvt.d.wu) have no rm
 * operand; binutils 2.40 only accepts them with rm = 000 (others print as data).
 *
 * Pseudo-instructions (§25.2 Table 25.4): fmv.{s,d} = fsgnj rd,rs,rs; fneg = fsgnjn rd,rs,rs;
 * fabs = fsgnjx rd,rs,rs.
 */
import { funct3, immI, immS, rd, rs1, rs2, rs3 } from './fields';
import { type Ctx, fmt, mem, withRm } from './format';

const FMT_SUFFIX = ['s', 'd', undefined, undefined] as const;

/** LOAD-FP (0000111): FLW (funct3 = 010), FLD (011). */
export function disLoadFp(i: number, ctx: Ctx): string | null {
  const f3 = funct3(i);
  const mn = f3 === 2 ? 'flw' : f3 === 3 ? 'fld' : undefined;
  return mn ? fmt(mn, ctx.f[rd(i)]!, mem(immI(i), ctx.x[rs1(i)]!)) : null;
}

/** STORE-FP (0100111): FSW (funct3 = 010), FSD (011). */
export function disStoreFp(i: number, ctx: Ctx): string | null {
  const f3 = funct3(i);
  const mn = f3 === 2 ? 'fsw' : f3 === 3 ? 'fsd' : undefined;
  return mn ? fmt(mn, ctx.f[rs2(i)]!, mem(immS(i), ctx.x[rs1(i)]!)) : null;
}

/** R4-type fused multiply-add; `name` is fmadd/fmsub/fnmsub/fnmadd by major opcode (§11.6). */
export function disFma(i: number, ctx: Ctx, name: string): string | null {
  const sfx = FMT_SUFFIX[(i >>> 25) & 3];
  if (!sfx) return null;
  const F = ctx.f;
  return fmt(`${name}.${sfx}`, ...withRm(funct3(i), F[rd(i)]!, F[rs1(i)]!, F[rs2(i)]!, F[rs3(i)]!));
}

/** OP-FP (1010011): funct7 = funct5 (inst[31:27]) | fmt (inst[26:25]). */
export function disOpFp(i: number, ctx: Ctx): string | null {
  const sfx = FMT_SUFFIX[(i >>> 25) & 3];
  if (!sfx) return null;
  const funct5 = i >>> 27;
  const rm = funct3(i);
  const F = ctx.f;
  const X = ctx.x;
  const d = rd(i);
  const a = rs1(i);
  const b = rs2(i);
  switch (funct5) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03: {
      const op = ['fadd', 'fsub', 'fmul', 'fdiv'][funct5]!;
      return fmt(`${op}.${sfx}`, ...withRm(rm, F[d]!, F[a]!, F[b]!));
    }
    case 0x0b:
      return b === 0 ? fmt(`fsqrt.${sfx}`, ...withRm(rm, F[d]!, F[a]!)) : null;
    case 0x04: {
      const op = ['fsgnj', 'fsgnjn', 'fsgnjx'][rm];
      if (!op) return null;
      if (ctx.aliases && a === b) return fmt(`${['fmv', 'fneg', 'fabs'][rm]}.${sfx}`, F[d]!, F[a]!);
      return fmt(`${op}.${sfx}`, F[d]!, F[a]!, F[b]!);
    }
    case 0x05: {
      const op = ['fmin', 'fmax'][rm];
      return op ? fmt(`${op}.${sfx}`, F[d]!, F[a]!, F[b]!) : null;
    }
    case 0x08:
      // FCVT.S.D (fmt = S, rs2 = 1: rounds) and FCVT.D.S (fmt = D, rs2 = 0: exact).
      if (sfx === 's' && b === 1) return fmt('fcvt.s.d', ...withRm(rm, F[d]!, F[a]!));
      if (sfx === 'd' && b === 0 && rm === 0) return fmt('fcvt.d.s', F[d]!, F[a]!);
      return null;
    case 0x14: {
      const op = ['fle', 'flt', 'feq'][rm];
      return op ? fmt(`${op}.${sfx}`, X[d]!, F[a]!, F[b]!) : null;
    }
    case 0x18: {
      // FCVT.{W,WU,L,LU}.fmt: float → integer, rs2 selects the integer type.
      const it = ['w', 'wu', 'l', 'lu'][b];
      return it ? fmt(`fcvt.${it}.${sfx}`, ...withRm(rm, X[d]!, F[a]!)) : null;
    }
    case 0x1a: {
      // FCVT.fmt.{W,WU,L,LU}: integer → float. To double from 32-bit integers is exact.
      const it = ['w', 'wu', 'l', 'lu'][b];
      if (!it) return null;
      if (sfx === 'd' && b < 2) return rm === 0 ? fmt(`fcvt.d.${it}`, F[d]!, X[a]!) : null;
      return fmt(`fcvt.${sfx}.${it}`, ...withRm(rm, F[d]!, X[a]!));
    }
    case 0x1c:
      // FMV.X.W / FMV.X.D (funct3 = 000) and FCLASS (funct3 = 001), rs2 = 0.
      if (b !== 0) return null;
      if (rm === 0) return fmt(sfx === 's' ? 'fmv.x.w' : 'fmv.x.d', X[d]!, F[a]!);
      if (rm === 1) return fmt(`fclass.${sfx}`, X[d]!, F[a]!);
      return null;
    case 0x1e:
      // FMV.W.X / FMV.D.X.
      if (b !== 0 || rm !== 0) return null;
      return fmt(sfx === 's' ? 'fmv.w.x' : 'fmv.d.x', F[d]!, X[a]!);
    default:
      return null;
  }
}
