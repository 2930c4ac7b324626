/**
 * RV64I integer computational, load/store and control-transfer instructions, and the M
 * extension (Unprivileged ISA 20191213: §2.4 "Integer Computational Instructions", §2.5
 * "Control Transfer Instructions", §2.6 "Load and Store Instructions", §5 "RV64I", §7 "M").
 *
 * Contract of every `dis*` function here: given a 32-bit encoding whose major opcode
 * (inst[6:0]) is the one the function handles, return objdump's text for it, or null if the
 * encoding is not a valid RV64GC instruction (the caller then prints it as data).
 *
 * Pseudo-instructions printed when `ctx.aliases` is set are those of the assembler handbook
 * (Unprivileged ISA §25.2, Tables 25.2–25.3): nop, li, mv, not, neg(w), seqz, snez, sltz, sgtz,
 * sext.w, beqz, bnez, blez, bgez, bltz, bgtz, j, jal <target>, jr, jalr <rs>, ret.
 *
 * binutils 2.40 quirk, reproduced: with aliases, the register-immediate operations ADDI, XORI,
 * ORI, ANDI, SLLI, SRLI, SRAI, ADDIW, SLLIW, SRLIW, SRAIW print under their register-register
 * mnemonic (`addi a0,a0,1` → `add a0,a0,1`, `slli` → `sll`), because its opcode table lists
 * those spellings (accepted by its assembler) as aliases ahead of the canonical entries.
 * SLTI/SLTIU keep their names. `-M no-aliases` prints the canonical mnemonics.
 */
import { funct3, funct7, immB, immI, immJ, immS, immU20, rd, rs1, rs2 } from './fields';
import { type Ctx, fmt, hex, mem, target } from './format';

const ZERO = 0;
const RA = 1;

/** LOAD (0000011): funct3 → mnemonic. */
const LOADS = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu', undefined] as const;
/** STORE (0100011): funct3 → mnemonic. */
const STORES = ['sb', 'sh', 'sw', 'sd', undefined, undefined, undefined, undefined] as const;
/** BRANCH (1100011): funct3 → mnemonic. */
const BRANCHES = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu'] as const;

/** OP (0110011): funct3 → mnemonic, for funct7 = 0000000 / 0100000 / 0000001 (M). */
const OP_F7_00 = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'] as const;
const OP_F7_20 = ['sub', undefined, undefined, undefined, undefined, 'sra', undefined, undefined] as const;
const OP_F7_01 = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'] as const;
/** OP-32 (0111011): funct3 → mnemonic, same funct7 split. */
const OP32_F7_00 = ['addw', 'sllw', undefined, undefined, undefined, 'srlw', undefined, undefined] as const;
const OP32_F7_20 = ['subw', undefined, undefined, undefined, undefined, 'sraw', undefined, undefined] as const;
const OP32_F7_01 = ['mulw', undefined, undefined, undefined, 'divw', 'divuw', 'remw', 'remuw'] as const;

/** The mnemonic objdump 2.40 prints for a register-immediate op: `addi` → `add` etc. with
 *  aliases (see the file comment), the canonical one without. */
function immName(canonical: string, ctx: Ctx): string {
  return ctx.aliases ? canonical.replace(/i(w?)$/, '$1') : canonical;
}

export function disLoad(i: number, ctx: Ctx): string | null {
  const mn = LOADS[funct3(i)];
  return mn ? fmt(mn, ctx.x[rd(i)]!, mem(immI(i), ctx.x[rs1(i)]!)) : null;
}

export function disStore(i: number, ctx: Ctx): string | null {
  const mn = STORES[funct3(i)];
  return mn ? fmt(mn, ctx.x[rs2(i)]!, mem(immS(i), ctx.x[rs1(i)]!)) : null;
}

/** OP-IMM (0010011): ADDI, SLTI[U], XORI, ORI, ANDI, SLLI/SRLI/SRAI with 6-bit shamt (§5.2). */
export function disOpImm(i: number, ctx: Ctx): string | null {
  const d = rd(i);
  const s = rs1(i);
  const imm = immI(i);
  const X = ctx.x;
  switch (funct3(i)) {
    case 0:
      if (ctx.aliases) {
        if (d === ZERO && s === ZERO && imm === 0) return 'nop';
        if (s === ZERO) return fmt('li', X[d]!, imm);
        if (imm === 0) return fmt('mv', X[d]!, X[s]!);
      }
      return fmt(immName('addi', ctx), X[d]!, X[s]!, imm);
    case 1:
      return i >>> 26 === 0 ? fmt(immName('slli', ctx), X[d]!, X[s]!, hex((i >>> 20) & 0x3f)) : null;
    case 2:
      return fmt('slti', X[d]!, X[s]!, imm);
    case 3:
      if (ctx.aliases && imm === 1) return fmt('seqz', X[d]!, X[s]!);
      return fmt('sltiu', X[d]!, X[s]!, imm);
    case 4:
      if (ctx.aliases && imm === -1) return fmt('not', X[d]!, X[s]!);
      return fmt(immName('xori', ctx), X[d]!, X[s]!, imm);
    case 5: {
      const f6 = i >>> 26;
      const mn = f6 === 0 ? 'srli' : f6 === 0x10 ? 'srai' : undefined;
      return mn ? fmt(immName(mn, ctx), X[d]!, X[s]!, hex((i >>> 20) & 0x3f)) : null;
    }
    case 6:
      return fmt(immName('ori', ctx), X[d]!, X[s]!, imm);
    default:
      return fmt(immName('andi', ctx), X[d]!, X[s]!, imm);
  }
}

/** OP-IMM-32 (0011011): ADDIW, SLLIW, SRLIW, SRAIW with 5-bit shamt (§5.2). */
export function disOpImm32(i: number, ctx: Ctx): string | null {
  const X = ctx.x;
  const d = X[rd(i)]!;
  const s = X[rs1(i)]!;
  const f7 = funct7(i);
  const shamt = hex(rs2(i));
  switch (funct3(i)) {
    case 0:
      if (ctx.aliases && immI(i) === 0) return fmt('sext.w', d, s);
      return fmt(immName('addiw', ctx), d, s, immI(i));
    case 1:
      return f7 === 0 ? fmt(immName('slliw', ctx), d, s, shamt) : null;
    case 5:
      if (f7 === 0) return fmt(immName('srliw', ctx), d, s, shamt);
      return f7 === 0x20 ? fmt(immName('sraiw', ctx), d, s, shamt) : null;
    default:
      return null;
  }
}

/** OP (0110011): register-register RV64I and M operations. */
export function disOp(i: number, ctx: Ctx): string | null {
  const f7 = funct7(i);
  const f3 = funct3(i);
  const table = f7 === 0 ? OP_F7_00 : f7 === 0x20 ? OP_F7_20 : f7 === 0x01 ? OP_F7_01 : undefined;
  const mn = table?.[f3];
  if (!mn) return null;
  const X = ctx.x;
  const d = rd(i);
  const a = rs1(i);
  const b = rs2(i);
  if (ctx.aliases) {
    if (mn === 'sub' && a === ZERO) return fmt('neg', X[d]!, X[b]!);
    if (mn === 'sltu' && a === ZERO) return fmt('snez', X[d]!, X[b]!);
    if (mn === 'slt' && b === ZERO) return fmt('sltz', X[d]!, X[a]!);
    if (mn === 'slt' && a === ZERO) return fmt('sgtz', X[d]!, X[b]!);
  }
  return fmt(mn, X[d]!, X[a]!, X[b]!);
}

/** OP-32 (0111011): RV64I *W register-register operations and RV64M *W operations. */
export function disOp32(i: number, ctx: Ctx): string | null {
  const f7 = funct7(i);
  const table = f7 === 0 ? OP32_F7_00 : f7 === 0x20 ? OP32_F7_20 : f7 === 0x01 ? OP32_F7_01 : undefined;
  const mn = table?.[funct3(i)];
  if (!mn) return null;
  const X = ctx.x;
  if (ctx.aliases && mn === 'subw' && rs1(i) === ZERO) return fmt('negw', X[rd(i)]!, X[rs2(i)]!);
  return fmt(mn, X[rd(i)]!, X[rs1(i)]!, X[rs2(i)]!);
}

export function disLui(i: number, ctx: Ctx): string {
  return fmt('lui', ctx.x[rd(i)]!, hex(immU20(i)));
}

export function disAuipc(i: number, ctx: Ctx): string {
  return fmt('auipc', ctx.x[rd(i)]!, hex(immU20(i)));
}

/** BRANCH (1100011): conditional branches, target printed as an absolute address. */
export function disBranch(i: number, ctx: Ctx): string | null {
  const mn = BRANCHES[funct3(i)];
  if (!mn) return null;
  const X = ctx.x;
  const a = rs1(i);
  const b = rs2(i);
  const t = target(ctx, immB(i));
  if (ctx.aliases) {
    // Checked in binutils' table order, which decides `bge zero,zero` (blez) and
    // `blt zero,zero` (bltz).
    if (b === ZERO && mn === 'beq') return fmt('beqz', X[a]!, t);
    if (b === ZERO && mn === 'bne') return fmt('bnez', X[a]!, t);
    if (a === ZERO && mn === 'bge') return fmt('blez', X[b]!, t);
    if (b === ZERO && mn === 'bge') return fmt('bgez', X[a]!, t);
    if (b === ZERO && mn === 'blt') return fmt('bltz', X[a]!, t);
    if (a === ZERO && mn === 'blt') return fmt('bgtz', X[b]!, t);
  }
  return fmt(mn, X[a]!, X[b]!, t);
}

/** JAL (1101111): `j` when rd = zero, `jal <target>` when rd = ra. */
export function disJal(i: number, ctx: Ctx): string {
  const d = rd(i);
  const t = target(ctx, immJ(i));
  if (ctx.aliases) {
    if (d === ZERO) return fmt('j', t);
    if (d === RA) return fmt('jal', t);
  }
  return fmt('jal', ctx.x[d]!, t);
}

/** JALR (1100111, funct3 = 000): `ret`, `jr rs`, `jalr rs`, `jalr rd,rs` for zero offsets. */
export function disJalr(i: number, ctx: Ctx): string | null {
  if (funct3(i) !== 0) return null;
  const X = ctx.x;
  const d = rd(i);
  const s = rs1(i);
  const imm = immI(i);
  if (ctx.aliases) {
    if (d === ZERO && s === RA && imm === 0) return 'ret';
    if (d === ZERO && imm === 0) return fmt('jr', X[s]!);
    if (d === RA && imm === 0) return fmt('jalr', X[s]!);
    if (d === ZERO) return fmt('jr', mem(imm, X[s]!));
    if (d === RA) return fmt('jalr', mem(imm, X[s]!));
    if (imm === 0) return fmt('jalr', X[d]!, X[s]!);
  }
  return fmt('jalr', X[d]!, mem(imm, X[s]!));
}
