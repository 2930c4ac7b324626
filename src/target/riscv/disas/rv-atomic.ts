/**
 * The A extension (Unprivileged ISA 20191213 §8): LR/SC (§8.2) and AMOs (§8.4), opcode AMO
 * (0101111), width .w (funct3 = 010) or .d (funct3 = 011). The ordering bits aq = inst[26] and
 * rl = inst[25] become the mnemonic suffix `.aq`, `.rl` or `.aqrl`.
 *
 * Contract: as for rv-int.ts — objdump's text, or null for an invalid encoding (other widths,
 * unassigned funct5, LR with rs2 != 0).
 */
import { funct3, rd, rs1, rs2 } from './fields';
import { type Ctx, fmt } from './format';

/** funct5 = inst[31:27] → operation name. */
const AMO_OPS = new Map<number, string>([
  [0x00, 'amoadd'],
  [0x01, 'amoswap'],
  [0x02, 'lr'],
  [0x03, 'sc'],
  [0x04, 'amoxor'],
  [0x08, 'amoor'],
  [0x0c, 'amoand'],
  [0x10, 'amomin'],
  [0x14, 'amomax'],
  [0x18, 'amominu'],
  [0x1c, 'amomaxu'],
]);

const ORDERING = ['', '.rl', '.aq', '.aqrl'] as const;

export function disAmo(i: number, ctx: Ctx): string | null {
  const f3 = funct3(i);
  if (f3 !== 2 && f3 !== 3) return null;
  const op = AMO_OPS.get(i >>> 27);
  if (op === undefined) return null;
  const mn = `${op}${f3 === 2 ? '.w' : '.d'}${ORDERING[(i >>> 25) & 3]}`;
  const X = ctx.x;
  const addr = `(${X[rs1(i)]})`;
  if (op === 'lr') return rs2(i) === 0 ? fmt(mn, X[rd(i)]!, addr) : null;
  return fmt(mn, X[rd(i)]!, X[rs2(i)]!, addr);
}
