/**
 * MISC-MEM and SYSTEM against objdump: every FENCE fm × pred × succ, FENCE.I, the privileged
 * instructions with each field perturbed, SFENCE.VMA operands, and every CSR number under every
 * Zicsr operation with x0 / non-x0 rd and rs1 (the alias conditions).
 */
import { describe, expect, it } from 'vitest';
import { itype, rtype } from './gen-encodings';
import { compareWithObjdump, formatMismatches, haveObjdump, MODES, SKIP_REASON } from './objdump-oracle';

if (!haveObjdump) console.warn(SKIP_REASON);

/** FENCE (fm, pred, succ in imm[11:0]) and FENCE.I, with rd/rs1 zero or not. */
function fences(): number[] {
  const out: number[] = [];
  for (const fm of [0, 1, 8, 15])
    for (let ps = 0; ps < 256; ps++) out.push(itype(0x0f, 0, 0, 0, (fm << 8) | ps));
  for (const [rd, rs1] of [[1, 0], [0, 1], [5, 6]] as const) out.push(itype(0x0f, rd, 0, rs1, 0x0ff), itype(0x0f, rd, 0, rs1, 0x833));
  for (const imm of [0, 1, 0x7ff, -1]) for (const [rd, rs1] of [[0, 0], [1, 0], [0, 1]] as const) out.push(itype(0x0f, rd, 1, rs1, imm));
  return out;
}

/** ECALL, EBREAK, URET, SRET, MRET, DRET, WFI: exact, and with each field made nonzero. */
function privileged(): number[] {
  const exact = [0x00000073, 0x00100073, 0x00200073, 0x10200073, 0x30200073, 0x7b200073, 0x10500073, 0x20200073, 0x10400073];
  const out: number[] = [];
  for (const e of exact) out.push(e, (e | (1 << 7)) >>> 0, (e | (1 << 15)) >>> 0, (e | (1 << 20)) >>> 0, (e ^ (1 << 25)) >>> 0, (e | (4 << 12)) >>> 0);
  // SFENCE.VMA rs1, rs2 (funct7 0001001) with rd = 0 and rd != 0; neighbouring funct7 values.
  for (const f7 of [0x08, 0x09, 0x0b, 0x11, 0x13, 0x31, 0x51])
    for (const rs1 of [0, 1, 10, 31]) for (const rs2 of [0, 2, 11]) for (const rd of [0, 3]) out.push(rtype(0x73, rd, 0, rs1, rs2, f7));
  return out;
}

/** Every CSR × CSRRW/S/C and CSRRWI/SI/CI × (rd, rs1/uimm) in {0, nonzero}². */
function allCsrs(): number[] {
  const out: number[] = [];
  for (let csr = 0; csr < 4096; csr++)
    for (const f3 of [1, 2, 3, 5, 6, 7])
      for (const [rd, rs1] of [[0, 0], [0, 5], [10, 0], [10, 31]] as const) out.push(((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0);
  return out;
}

describe.skipIf(!haveObjdump)('fence/system/Zicsr disassembly matches objdump', () => {
  const sets: Array<[string, number[]]> = [
    ['fences', fences()],
    ['privileged', privileged()],
    ['all CSRs', allCsrs()],
  ];
  for (const [what, insns] of sets)
    for (const mode of MODES)
      it(`${what}, -M ${mode.name}`, () => {
        const bad = compareWithObjdump(insns, mode);
        expect(bad.length, formatMismatches(bad)).toBe(0);
      });
});
