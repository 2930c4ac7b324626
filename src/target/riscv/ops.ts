/**
 * The predecoded instruction format the interpreter executes (decode.ts and rvc.ts produce it,
 * exec.ts consumes it). Every instruction, 16- or 32-bit, becomes two int32 words:
 *
 *   w   = op | rd2 << 8 | rs12 << 15 | rs22 << 22 | C << 29 | FPDIRTY << 30
 *   imm = the sign-extended immediate (or the raw instruction bits / CSR number, per op)
 *
 * rd2/rs12/rs22 are register numbers times two (indexes of the low word in the Int32Array
 * register file); an integer rd of x0 is encoded as 64, a sink slot past the 32 registers, so
 * writes to x0 vanish without a test in the hot loop. C marks a 16-bit encoding (pc += 2).
 *
 * Compressed instructions are expanded into the same ops as their 32-bit equivalents (ISA manual
 * ch. 16), with the raw 16-bit parcel kept where the op needs raw bits (ILLEGAL's mtval).
 */

export const enum Op {
  /** Not decoded yet (a cleared slot of the decode cache). */
  NONE = 0,
  /** imm = raw instruction bits (mtval). */
  ILLEGAL,
  /** rd = imm (LUI, ADDI rd,x0,imm, C.LI, C.LUI). */
  LI,
  /** rd = rs1 (ADDI rd,rs,0, C.MV). */
  MV,
  AUIPC,
  JAL,
  JALR,
  BEQ,
  BNE,
  BLT,
  BGE,
  BLTU,
  BGEU,
  LB,
  LH,
  LW,
  LD,
  LBU,
  LHU,
  LWU,
  SB,
  SH,
  SW,
  SD,
  ADDI,
  SLTI,
  SLTIU,
  XORI,
  ORI,
  ANDI,
  SLLI,
  SRLI,
  SRAI,
  ADD,
  SUB,
  SLL,
  SLT,
  SLTU,
  XOR,
  SRL,
  SRA,
  OR,
  AND,
  ADDIW,
  SLLIW,
  SRLIW,
  SRAIW,
  ADDW,
  SUBW,
  SLLW,
  SRLW,
  SRAW,
  MUL,
  MULH,
  MULHSU,
  MULHU,
  DIV,
  DIVU,
  REM,
  REMU,
  MULW,
  DIVW,
  DIVUW,
  REMW,
  REMUW,
  /** FENCE, FENCE.TSO, PAUSE, HINTs: no architectural effect here. */
  NOP,
  FENCE_I,
  ECALL,
  EBREAK,
  MRET,
  SRET,
  WFI,
  SFENCE_VMA,
  /** Zicsr. rs22 field = funct3 (1..3, 5..7), rs12 = rs1 or uimm×2, imm = CSR number. */
  CSR,
  /** LR.W/LR.D: imm = 4 or 8 (size). */
  LR,
  /** SC.W/SC.D: imm = size. */
  SC,
  /** AMO*.W/D: imm = funct5 | size << 8. */
  AMO,
  /** F/D loads and stores: rd2 / rs22 are FP register numbers × 2. */
  FLW,
  FLD,
  FSW,
  FSD,
  /** OP-FP / FMA writing an FP register (marks FS dirty). imm = raw instruction. */
  FP_F,
  /** OP-FP writing an integer register (compare, classify, convert to int, move to int). */
  FP_X,
}

/** Bit positions of the packed word. */
export const enum Dec {
  RD_SHIFT = 8,
  RS1_SHIFT = 15,
  RS2_SHIFT = 22,
  /** Set for 16-bit encodings. `(w >>> 28) & 2` is 2 for those, 0 otherwise. */
  COMPRESSED = 1 << 29,
  /** The sink register slot index used for rd = x0. */
  X0_SINK = 64,
}

/** Pack the operand word. `rd` is an integer register destination (x0 → sink). */
export function pack(op: Op, rd: number, rs1: number, rs2: number): number {
  return op | ((rd === 0 ? Dec.X0_SINK : rd * 2) << Dec.RD_SHIFT) | ((rs1 * 2) << Dec.RS1_SHIFT) | ((rs2 * 2) << Dec.RS2_SHIFT);
}

/** Pack with rd taken literally (FP destinations, where f0 is a real register). */
export function packRaw(op: Op, rd: number, rs1: number, rs2: number): number {
  return op | ((rd * 2) << Dec.RD_SHIFT) | ((rs1 * 2) << Dec.RS1_SHIFT) | ((rs2 * 2) << Dec.RS2_SHIFT);
}
