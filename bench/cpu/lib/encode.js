'use strict';
/**
 * A tiny RV64 encoder for the CPU micro-benchmarks (no cross assembler needed to run them).
 * Each function returns one 32-bit instruction word; `asm(lines)` resolves labels for branches.
 */
const R = (f7, rs2, rs1, f3, rd, op) => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const I = (imm, rs1, f3, rd, op) => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (imm, rs2, rs1, f3, op) => ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;
const B = (imm, rs2, rs1, f3) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
const J = (imm, rd) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

const reg = {};
['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'].forEach((n, i) => (reg[n] = i));

const enc = {
  addi: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x13),
  andi: (rd, rs1, imm) => I(imm, rs1, 7, rd, 0x13),
  slli: (rd, rs1, sh) => I(sh, rs1, 1, rd, 0x13),
  srli: (rd, rs1, sh) => I(sh, rs1, 5, rd, 0x13),
  addiw: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x1b),
  lui: (rd, imm20) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0,
  add: (rd, a, b) => R(0, b, a, 0, rd, 0x33),
  sub: (rd, a, b) => R(0x20, b, a, 0, rd, 0x33),
  xor: (rd, a, b) => R(0, b, a, 4, rd, 0x33),
  or: (rd, a, b) => R(0, b, a, 6, rd, 0x33),
  and: (rd, a, b) => R(0, b, a, 7, rd, 0x33),
  sltu: (rd, a, b) => R(0, b, a, 3, rd, 0x33),
  addw: (rd, a, b) => R(0, b, a, 0, rd, 0x3b),
  mul: (rd, a, b) => R(1, b, a, 0, rd, 0x33),
  mulh: (rd, a, b) => R(1, b, a, 1, rd, 0x33),
  mulhu: (rd, a, b) => R(1, b, a, 3, rd, 0x33),
  div: (rd, a, b) => R(1, b, a, 4, rd, 0x33),
  divu: (rd, a, b) => R(1, b, a, 5, rd, 0x33),
  rem: (rd, a, b) => R(1, b, a, 6, rd, 0x33),
  remu: (rd, a, b) => R(1, b, a, 7, rd, 0x33),
  mulw: (rd, a, b) => R(1, b, a, 0, rd, 0x3b),
  divw: (rd, a, b) => R(1, b, a, 4, rd, 0x3b),
  ld: (rd, rs1, imm) => I(imm, rs1, 3, rd, 0x03),
  lw: (rd, rs1, imm) => I(imm, rs1, 2, rd, 0x03),
  lbu: (rd, rs1, imm) => I(imm, rs1, 4, rd, 0x03),
  sd: (rs2, rs1, imm) => S(imm, rs2, rs1, 3, 0x23),
  sw: (rs2, rs1, imm) => S(imm, rs2, rs1, 2, 0x23),
  sb: (rs2, rs1, imm) => S(imm, rs2, rs1, 0, 0x23),
  jalr: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x67),
  csrrw: (rd, csr, rs1) => I(csr, rs1, 1, rd, 0x73),
  csrrs: (rd, csr, rs1) => I(csr, rs1, 2, rd, 0x73),
  mret: () => 0x30200073,
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
};
const branches = { beq: 0, bne: 1, blt: 4, bge: 5, bltu: 6, bgeu: 7 };

/**
 * Assemble a list of items: numbers (instruction words), label strings ('loop:'), or
 * [branchOp, rs1, rs2, 'label'] / ['jal', rd, 'label']. Returns a Uint8Array.
 */
function asm(items) {
  const labels = {};
  let pc = 0;
  for (const it of items) {
    if (typeof it === 'string') labels[it.replace(/:$/, '')] = pc;
    else pc += 4;
  }
  const out = [];
  pc = 0;
  for (const it of items) {
    if (typeof it === 'string') continue;
    if (typeof it === 'number') out.push(it);
    else if (it[0] === 'jal') out.push(J(labels[it[2]] - pc, it[1]));
    else out.push(B(labels[it[3]] - pc, it[2], it[1], branches[it[0]]));
    pc += 4;
  }
  const bytes = new Uint8Array(out.length * 4);
  const dv = new DataView(bytes.buffer);
  out.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return bytes;
}

/** li rd, imm for a 32-bit signed immediate (lui + addiw). */
function li(rd, imm) {
  const lo = (imm << 20) >> 20;
  const hi = ((imm - lo) >>> 12) & 0xfffff;
  return hi ? [enc.lui(rd, hi), enc.addiw(rd, rd, lo)] : [enc.addi(rd, 0, lo)];
}

/** li rd, imm for an unsigned 32-bit immediate (an address above 2^31): zero-extended. */
function liu(rd, imm) {
  return [...li(rd, imm | 0), enc.slli(rd, rd, 32), enc.srli(rd, rd, 32)];
}

module.exports = { enc, reg, asm, li, liu };
