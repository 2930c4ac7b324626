/**
 * RV64C compressed instructions (Unprivileged ISA 20191213 chapter 16; opcode map Table 16.5,
 * quadrant listings Tables 16.6–16.8).
 *
 * Contract: `disCompressed(c, ctx)` takes a 16-bit parcel whose low two bits are not 11 and
 * returns objdump's text, or null for a reserved/illegal encoding (printed as `.2byte` by the
 * caller). All-zero parcel is the defined illegal instruction (`unimp` / `c.unimp`).
 *
 * Printing follows binutils 2.40:
 * - with aliases, a compressed instruction prints as its 32-bit expansion using the assembler's
 *   register-register spelling for immediates (`c.addi a0,1` → `add a0,a0,1`, `c.slli` → `sll`,
 *   `c.andi` → `and`, `c.addiw` → `addw`, `c.addi4spn`/`c.addi16sp` → `add`), and the usual
 *   pseudo-instructions (`li`, `mv`, `j`, `jr`, `ret`, `jalr rs`, `beqz`, `bnez`, `nop`,
 *   `sext.w`, `ebreak`, `unimp`);
 * - without aliases (`-M no-aliases`), the `c.` mnemonic with the compressed operand list;
 * - HINT encodings (§16.7: rd = x0 forms of c.li, c.lui, c.mv, c.add, c.slli; c.addi x0 with
 *   nonzero immediate; zero shift amounts) always print in `c.` form, the zero-shift ones as
 *   `c.slli64`/`c.srli64`/`c.srai64`.
 */
import * as F from './fields';
import { type Ctx, fmt, hex, mem, target } from './format';

const SP = 2;

export function disCompressed(c: number, ctx: Ctx): string | null {
  switch (c & 3) {
    case 0:
      return quadrant0(c, ctx);
    case 1:
      return quadrant1(c, ctx);
    default:
      return quadrant2(c, ctx);
  }
}

/** Pick the alias text or the `c.` text by `ctx.aliases`. */
function pick(ctx: Ctx, alias: () => string, plain: () => string): string {
  return ctx.aliases ? alias() : plain();
}

/** A load/store in either spelling: `lw a0,4(a1)` / `c.lw a0,4(a1)`. */
function ldst(ctx: Ctx, base32: string, cname: string, reg: string, off: number, baseReg: string): string {
  return fmt(ctx.aliases ? base32 : cname, reg, mem(off, baseReg));
}

/** Quadrant 0 (Table 16.6): stack-pointer-based ADDI4SPN and register-based loads/stores. */
function quadrant0(c: number, ctx: Ctx): string | null {
  const { x: X, f: Fr } = ctx;
  const rdp = F.cRs2p(c);
  const rs1p = F.cRs1p(c);
  switch (F.cFunct3(c)) {
    case 0: {
      if (c === 0) return ctx.aliases ? 'unimp' : 'c.unimp';
      const imm = F.cAddi4spnImm(c);
      if (imm === 0) return null;
      return pick(
        ctx,
        () => fmt('add', X[rdp]!, X[SP]!, imm),
        () => fmt('c.addi4spn', X[rdp]!, X[SP]!, imm),
      );
    }
    case 1:
      return ldst(ctx, 'fld', 'c.fld', Fr[rdp]!, F.cLdImm(c), X[rs1p]!);
    case 2:
      return ldst(ctx, 'lw', 'c.lw', X[rdp]!, F.cLwImm(c), X[rs1p]!);
    case 3:
      return ldst(ctx, 'ld', 'c.ld', X[rdp]!, F.cLdImm(c), X[rs1p]!);
    case 4:
      return null; // reserved
    case 5:
      return ldst(ctx, 'fsd', 'c.fsd', Fr[rdp]!, F.cLdImm(c), X[rs1p]!);
    case 6:
      return ldst(ctx, 'sw', 'c.sw', X[rdp]!, F.cLwImm(c), X[rs1p]!);
    default:
      return ldst(ctx, 'sd', 'c.sd', X[rdp]!, F.cLdImm(c), X[rs1p]!);
  }
}

/** Quadrant 1 (Table 16.7): immediates, LUI/ADDI16SP, ALU ops on x8–x15, J, BEQZ/BNEZ. */
function quadrant1(c: number, ctx: Ctx): string | null {
  const X = ctx.x;
  const r = F.cRd(c);
  const imm = F.cImm6(c);
  switch (F.cFunct3(c)) {
    case 0:
      if (r === 0) {
        if (!ctx.aliases) return fmt('c.addi', X[0]!, imm);
        return imm === 0 ? 'nop' : fmt('c.nop', imm);
      }
      return pick(ctx, () => fmt('add', X[r]!, X[r]!, imm), () => fmt('c.addi', X[r]!, imm));
    case 1:
      // C.ADDIW (RV64C); rd = x0 is reserved.
      if (r === 0) return null;
      return pick(
        ctx,
        () => (imm === 0 ? fmt('sext.w', X[r]!, X[r]!) : fmt('addw', X[r]!, X[r]!, imm)),
        () => fmt('c.addiw', X[r]!, imm),
      );
    case 2:
      if (r === 0) return fmt('c.li', X[0]!, imm);
      return fmt(ctx.aliases ? 'li' : 'c.li', X[r]!, imm);
    case 3: {
      if (r === SP) {
        const nz = F.cAddi16spImm(c);
        return pick(ctx, () => fmt('add', X[SP]!, X[SP]!, nz), () => fmt('c.addi16sp', X[SP]!, nz));
      }
      if (imm === 0) return null; // reserved
      const u = hex(F.cLuiImm(c) & 0xfffff);
      if (r === 0) return fmt('c.lui', X[0]!, u);
      return fmt(ctx.aliases ? 'lui' : 'c.lui', X[r]!, u);
    }
    case 4:
      return quadrant1Alu(c, ctx);
    case 5:
      return fmt(ctx.aliases ? 'j' : 'c.j', target(ctx, F.cJumpImm(c)));
    case 6:
      return fmt(ctx.aliases ? 'beqz' : 'c.beqz', X[F.cRs1p(c)]!, target(ctx, F.cBranchImm(c)));
    default:
      return fmt(ctx.aliases ? 'bnez' : 'c.bnez', X[F.cRs1p(c)]!, target(ctx, F.cBranchImm(c)));
  }
}

/** Quadrant 1, funct3 = 100: SRLI, SRAI, ANDI and the CA-format register ops (§16.5). */
function quadrant1Alu(c: number, ctx: Ctx): string | null {
  const X = ctx.x;
  const r = X[F.cRs1p(c)]!;
  const sub = F.bits(c, 11, 10);
  if (sub < 2) {
    const shamt = F.cShamt(c);
    const name = sub === 0 ? 'srl' : 'sra';
    if (shamt === 0) return fmt(`c.${name}i64`, r);
    return pick(ctx, () => fmt(name, r, r, hex(shamt)), () => fmt(`c.${name}i`, r, hex(shamt)));
  }
  if (sub === 2) {
    const imm = F.cImm6(c);
    return pick(ctx, () => fmt('and', r, r, imm), () => fmt('c.andi', r, imm));
  }
  const op = F.bits(c, 6, 5) | (F.bit(c, 12) << 2);
  const name = ['sub', 'xor', 'or', 'and', 'subw', 'addw', undefined, undefined][op];
  if (!name) return null;
  const r2 = X[F.cRs2p(c)]!;
  return pick(ctx, () => fmt(name, r, r, r2), () => fmt(`c.${name}`, r, r2));
}

/** Quadrant 2 (Table 16.8): SLLI, SP-relative loads/stores, JR/MV/EBREAK/JALR/ADD. */
function quadrant2(c: number, ctx: Ctx): string | null {
  const { x: X, f: Fr } = ctx;
  const r = F.cRd(c);
  const r2 = F.cRs2(c);
  switch (F.cFunct3(c)) {
    case 0: {
      const shamt = F.cShamt(c);
      if (shamt === 0) return fmt('c.slli64', X[r]!);
      if (r === 0) return fmt('c.slli', X[0]!, hex(shamt));
      return pick(ctx, () => fmt('sll', X[r]!, X[r]!, hex(shamt)), () => fmt('c.slli', X[r]!, hex(shamt)));
    }
    case 1:
      return ldst(ctx, 'fld', 'c.fldsp', Fr[r]!, F.cLdspImm(c), X[SP]!);
    case 2:
      return r === 0 ? null : ldst(ctx, 'lw', 'c.lwsp', X[r]!, F.cLwspImm(c), X[SP]!);
    case 3:
      return r === 0 ? null : ldst(ctx, 'ld', 'c.ldsp', X[r]!, F.cLdspImm(c), X[SP]!);
    case 4:
      return F.bit(c, 12) === 0 ? jrMv(r, r2, ctx) : ebreakJalrAdd(r, r2, ctx);
    case 5:
      return ldst(ctx, 'fsd', 'c.fsdsp', Fr[r2]!, F.cSdspImm(c), X[SP]!);
    case 6:
      return ldst(ctx, 'sw', 'c.swsp', X[r2]!, F.cSwspImm(c), X[SP]!);
    default:
      return ldst(ctx, 'sd', 'c.sdsp', X[r2]!, F.cSdspImm(c), X[SP]!);
  }
}

/** C.JR (rs2 = 0; rs1 = 0 reserved) and C.MV (rd = 0 is a HINT). */
function jrMv(r: number, r2: number, ctx: Ctx): string | null {
  const X = ctx.x;
  if (r2 === 0) {
    if (r === 0) return null;
    if (!ctx.aliases) return fmt('c.jr', X[r]!);
    return r === 1 ? 'ret' : fmt('jr', X[r]!);
  }
  if (r === 0) return fmt('c.mv', X[0]!, X[r2]!);
  return fmt(ctx.aliases ? 'mv' : 'c.mv', X[r]!, X[r2]!);
}

/** C.EBREAK (rs1 = rs2 = 0), C.JALR (rs2 = 0), C.ADD (rd = 0 is a HINT). */
function ebreakJalrAdd(r: number, r2: number, ctx: Ctx): string {
  const X = ctx.x;
  if (r2 === 0) {
    if (r === 0) return ctx.aliases ? 'ebreak' : 'c.ebreak';
    return fmt(ctx.aliases ? 'jalr' : 'c.jalr', X[r]!);
  }
  if (r === 0) return fmt('c.add', X[0]!, X[r2]!);
  return pick(ctx, () => fmt('add', X[r]!, X[r]!, X[r2]!), () => fmt('c.add', X[r]!, X[r2]!));
}
