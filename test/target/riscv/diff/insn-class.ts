/**
 * Just enough RISC-V decoding (unprivileged spec ch. 24 "RV32/64G Instruction Set Listings" and
 * ch. 16 "C" quadrants) to tell which parts of QEMU's state an instruction may change, so the
 * lockstep reads only those over the (slow) gdb stub.
 */

export interface InsnClass {
  /** 2 or 4 bytes. */
  len: number;
  /** Reads or writes memory (loads, stores, AMOs, FP loads/stores). */
  mem: boolean;
  /** FP register written (by number) or -1; FP instructions also touch fcsr and mstatus.FS. */
  fpRd: number;
  /** Touches fcsr/mstatus without writing an FPR (FP compares, conversions to int, FP stores). */
  fp: boolean;
  /** SYSTEM opcode (CSR access, ECALL/EBREAK, xRET, WFI, SFENCE.VMA) or C.EBREAK. */
  system: boolean;
  /** For Zicsr instructions: the CSR number (the rest of the state changes only if it traps). */
  csr?: number;
}

export function insnLength(lowHalf: number): number {
  return (lowHalf & 3) === 3 ? 4 : 2;
}

export function classify(bits: number): InsnClass {
  const c: InsnClass = { len: insnLength(bits), mem: false, fpRd: -1, fp: false, system: false };
  if (c.len === 4) {
    const opcode = bits & 0x7f;
    const rd = (bits >>> 7) & 31;
    switch (opcode) {
      case 0x03: case 0x23: case 0x2f:
        c.mem = true;
        break;
      case 0x07:
        c.mem = true;
        c.fp = true;
        c.fpRd = rd;
        break;
      case 0x27:
        c.mem = true;
        c.fp = true;
        break;
      case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        c.fp = true;
        c.fpRd = rd;
        break;
      case 0x73:
        c.system = true;
        if (((bits >>> 12) & 7) !== 0 && ((bits >>> 12) & 7) !== 4) c.csr = bits >>> 20;
        break;
    }
    return c;
  }
  const quadrant = bits & 3;
  const funct3 = (bits >>> 13) & 7;
  if (quadrant === 0) {
    if (funct3 !== 0) c.mem = true;
    if (funct3 === 1) { c.fp = true; c.fpRd = 8 + ((bits >>> 2) & 7); }
    if (funct3 === 5) c.fp = true;
  } else if (quadrant === 2) {
    if (funct3 >= 1 && funct3 !== 4) c.mem = true;
    if (funct3 === 1) { c.fp = true; c.fpRd = (bits >>> 7) & 31; }
    if (funct3 === 5) c.fp = true;
    if ((bits & 0xffff) === 0x9002) c.system = true; // C.EBREAK
  }
  if ((bits & 0xffff) === 0) c.system = true; // the all-zero parcel is illegal: a trap follows
  return c;
}
