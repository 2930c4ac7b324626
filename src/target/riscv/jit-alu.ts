/**
 * Integer ALU ops for the block compiler (jit-gen.ts): JavaScript expressions over (lo, hi) int32
 * pairs with exactly the semantics of exec.ts and int64.ts (RV64I/M, ISA manual ch. 2, 5, 7).
 *
 * aluOp returns the statements computing rd for one op, given the operand expressions, or
 * undefined when `op` is not a pure register-to-register op. Operand expressions are JS locals or
 * constants, so they may be repeated; every statement reads all operands before writing rd
 * (rd may be one of them).
 */

import { Op } from './ops';

export interface AluOperands {
  /** Destination local names (l<rd>, h<rd>); empty when rd is x0 (result discarded). */
  dl: string;
  dh: string;
  al: string;
  ah: string;
  bl: string;
  bh: string;
  imm: number;
}

/** rd = (lo, hi) where both expressions see the old values. */
function set(o: AluOperands, lo: string, hi: string): string {
  return `nl = ${lo}; nh = ${hi}; ${o.dl} = nl; ${o.dh} = nh;`;
}

/** rd = sign-extended 32-bit expression. */
function setW(o: AluOperands, v: string): string {
  return `v = ${v}; ${o.dl} = v; ${o.dh} = v >> 31;`;
}

/** A shift by a constant amount as (lo, hi) expressions of the old value. */
export function shiftConst(kind: 'sll' | 'srl' | 'sra', lo: string, hi: string, sh: number): [string, string] {
  if (sh === 0) return [lo, hi];
  if (kind === 'sll') {
    if (sh < 32) return [`${lo} << ${sh}`, `(${hi} << ${sh}) | (${lo} >>> ${32 - sh})`];
    return ['0', `${lo} << ${sh - 32}`];
  }
  if (sh < 32) return [`(${lo} >>> ${sh}) | (${hi} << ${32 - sh})`, kind === 'srl' ? `${hi} >>> ${sh}` : `${hi} >> ${sh}`];
  if (kind === 'srl') return [`${hi} >>> ${sh - 32}`, '0'];
  return [`${hi} >> ${sh - 32}`, `${hi} >> 31`];
}

/** Signed / unsigned 64-bit a < b as a JS boolean expression. */
export function lessThan(al: string, ah: string, bl: string, bh: string, unsigned: boolean): string {
  const u = unsigned ? ' >>> 0' : '';
  return `(${ah}${u} < ${bh}${u} || (${ah} === ${bh} && ${al} >>> 0 < ${bl} >>> 0))`;
}

const MULDIV = ['mul64', 'mulh64', 'mulhsu64', 'mulhu64', 'div64', 'divu64', 'rem64', 'remu64'];
const DIVW = ['divw', 'divuw', 'remw', 'remuw'];

export function aluOp(op: Op, o: AluOperands): string | undefined {
  const { al, ah, bl, bh, imm } = o;
  const ih = imm >> 31;
  switch (op) {
    case Op.LI:
      return set(o, `${imm}`, `${ih}`);
    case Op.MV:
      return set(o, al, ah);
    case Op.ADDI:
      return `b = ${al}; ${set(o, `(b + ${imm}) | 0`, `(${ah} + ${ih} + (((b + ${imm}) | 0) >>> 0 < (b >>> 0) ? 1 : 0)) | 0`)}`;
    case Op.SLTI:
      return set(o, `${lessThan(al, ah, `${imm}`, `${ih}`, false)} ? 1 : 0`, '0');
    case Op.SLTIU:
      return set(o, `${lessThan(al, ah, `${imm}`, `${ih}`, true)} ? 1 : 0`, '0');
    case Op.XORI:
      return set(o, `${al} ^ ${imm}`, `${ah} ^ ${ih}`);
    case Op.ORI:
      return set(o, `${al} | ${imm}`, `${ah} | ${ih}`);
    case Op.ANDI:
      return set(o, `${al} & ${imm}`, `${ah} & ${ih}`);
    case Op.SLLI:
    case Op.SRLI:
    case Op.SRAI: {
      const [lo, hi] = shiftConst(op === Op.SLLI ? 'sll' : op === Op.SRLI ? 'srl' : 'sra', al, ah, imm);
      return set(o, lo, hi);
    }
    case Op.ADD:
      return `b = ${al}; v = (b + ${bl}) | 0; ${set(o, 'v', `(${ah} + ${bh} + ((v >>> 0) < (b >>> 0) ? 1 : 0)) | 0`)}`;
    case Op.SUB:
      return set(o, `(${al} - ${bl}) | 0`, `(${ah} - ${bh} - ((${al} >>> 0) < (${bl} >>> 0) ? 1 : 0)) | 0`);
    case Op.SLL:
      // Variable amounts: the three ranges of int64.ts's sll64/srl64/sra64, inline.
      return (
        `sh = ${bl} & 63; b = ${al}; v = ${ah}; ` +
        `if (sh === 0) { nl = b; nh = v; } else if (sh < 32) { nh = (v << sh) | (b >>> (32 - sh)); nl = b << sh; } else { nh = b << (sh - 32); nl = 0; } ${o.dl} = nl; ${o.dh} = nh;`
      );
    case Op.SRL:
      return (
        `sh = ${bl} & 63; b = ${al}; v = ${ah}; ` +
        `if (sh === 0) { nl = b; nh = v; } else if (sh < 32) { nl = (b >>> sh) | (v << (32 - sh)); nh = v >>> sh; } else { nl = v >>> (sh - 32); nh = 0; } ${o.dl} = nl; ${o.dh} = nh;`
      );
    case Op.SRA:
      return (
        `sh = ${bl} & 63; b = ${al}; v = ${ah}; ` +
        `if (sh === 0) { nl = b; nh = v; } else if (sh < 32) { nl = (b >>> sh) | (v << (32 - sh)); nh = v >> sh; } else { nl = v >> (sh - 32); nh = v >> 31; } ${o.dl} = nl; ${o.dh} = nh;`
      );
    case Op.SLT:
      return set(o, `${lessThan(al, ah, bl, bh, false)} ? 1 : 0`, '0');
    case Op.SLTU:
      return set(o, `${lessThan(al, ah, bl, bh, true)} ? 1 : 0`, '0');
    case Op.XOR:
      return set(o, `${al} ^ ${bl}`, `${ah} ^ ${bh}`);
    case Op.OR:
      return set(o, `${al} | ${bl}`, `${ah} | ${bh}`);
    case Op.AND:
      return set(o, `${al} & ${bl}`, `${ah} & ${bh}`);
    case Op.ADDIW:
      return setW(o, `(${al} + ${imm}) | 0`);
    case Op.SLLIW:
      return setW(o, `${al} << ${imm}`);
    case Op.SRLIW:
      return setW(o, `(${al} >>> ${imm}) | 0`);
    case Op.SRAIW:
      return setW(o, `${al} >> ${imm}`);
    case Op.ADDW:
      return setW(o, `(${al} + ${bl}) | 0`);
    case Op.SUBW:
      return setW(o, `(${al} - ${bl}) | 0`);
    case Op.SLLW:
      return setW(o, `${al} << (${bl} & 31)`);
    case Op.SRLW:
      return setW(o, `(${al} >>> (${bl} & 31)) | 0`);
    case Op.SRAW:
      return setW(o, `${al} >> (${bl} & 31)`);
    case Op.MULW:
      return setW(o, `Math.imul(${al}, ${bl})`);
    case Op.MUL:
    case Op.MULH:
    case Op.MULHSU:
    case Op.MULHU:
    case Op.DIV:
    case Op.DIVU:
    case Op.REM:
    case Op.REMU:
      return `${MULDIV[op - Op.MUL]}(T, 0, ${al}, ${ah}, ${bl}, ${bh}); ${set(o, 'T[0]', 'T[1]')}`;
    case Op.DIVW:
    case Op.DIVUW:
    case Op.REMW:
    case Op.REMUW:
      return setW(o, `${DIVW[op - Op.DIVW]}(${al}, ${bl})`);
    default:
      return undefined;
  }
}
