/**
 * Architectural constants of the RV64 hart, as QEMU's target/riscv/cpu_bits.h names them:
 * CSR numbers (privileged spec 1.12 §2.2, tables 2.2–2.6), mstatus fields (§3.1.6),
 * exception and interrupt cause codes (§3.1.15, table 3.6).
 *
 * `const enum` so tsc inlines every use as a literal in the interpreter's hot paths.
 */

/** CSR numbers. */
export const enum Csr {
  // Unprivileged floating point (ISA manual ch. 11.2)
  FFLAGS = 0x001,
  FRM = 0x002,
  FCSR = 0x003,
  // Unprivileged counters (ISA manual ch. 10)
  CYCLE = 0xc00,
  TIME = 0xc01,
  INSTRET = 0xc02,
  HPMCOUNTER3 = 0xc03,
  HPMCOUNTER31 = 0xc1f,
  // Supervisor (privileged spec ch. 4)
  SSTATUS = 0x100,
  SIE = 0x104,
  STVEC = 0x105,
  SCOUNTEREN = 0x106,
  SENVCFG = 0x10a,
  SSCRATCH = 0x140,
  SEPC = 0x141,
  SCAUSE = 0x142,
  STVAL = 0x143,
  SIP = 0x144,
  SATP = 0x180,
  // Machine information (read-only)
  MVENDORID = 0xf11,
  MARCHID = 0xf12,
  MIMPID = 0xf13,
  MHARTID = 0xf14,
  MCONFIGPTR = 0xf15,
  // Machine trap setup / handling
  MSTATUS = 0x300,
  MISA = 0x301,
  MEDELEG = 0x302,
  MIDELEG = 0x303,
  MIE = 0x304,
  MTVEC = 0x305,
  MCOUNTEREN = 0x306,
  MENVCFG = 0x30a,
  MCOUNTINHIBIT = 0x320,
  MHPMEVENT3 = 0x323,
  MHPMEVENT31 = 0x33f,
  MSCRATCH = 0x340,
  MEPC = 0x341,
  MCAUSE = 0x342,
  MTVAL = 0x343,
  MIP = 0x344,
  // Memory protection
  PMPCFG0 = 0x3a0,
  PMPCFG3 = 0x3a3,
  PMPADDR0 = 0x3b0,
  PMPADDR15 = 0x3bf,
  // Machine counters
  MCYCLE = 0xb00,
  MINSTRET = 0xb02,
  MHPMCOUNTER3 = 0xb03,
  MHPMCOUNTER31 = 0xb1f,
  // Debug/trace (Sdtrig), accessible from M-mode
  TSELECT = 0x7a0,
  TDATA1 = 0x7a1,
  TDATA2 = 0x7a2,
  TDATA3 = 0x7a3,
  TINFO = 0x7a4,
}

/** mstatus / sstatus fields (privileged spec §3.1.6, figure 3.7). Low word only. */
export const enum Mstatus {
  SIE = 1 << 1,
  MIE = 1 << 3,
  SPIE = 1 << 5,
  UBE = 1 << 6,
  MPIE = 1 << 7,
  SPP = 1 << 8,
  VS = 3 << 9,
  MPP = 3 << 11,
  MPP_SHIFT = 11,
  FS = 3 << 13,
  FS_SHIFT = 13,
  XS = 3 << 15,
  MPRV = 1 << 17,
  SUM = 1 << 18,
  MXR = 1 << 19,
  TVM = 1 << 20,
  TW = 1 << 21,
  TSR = 1 << 22,
  /** Bits of the low word software may write through mstatus (QEMU 7.2 write_mstatus, without H). */
  WRITE_MASK = SIE | SPIE | MIE | MPIE | SPP | VS | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR,
  /** sstatus view of the low word (QEMU's sstatus_v1_10_mask). */
  SSTATUS_MASK = SIE | SPIE | SPP | VS | FS | XS | SUM | MXR,
  /** High word of mstatus: UXL = SXL = 2 (64-bit), read-only. */
  HI_XL = (2 << 0) | (2 << 2),
  /** High word of sstatus: UXL = 2. */
  HI_UXL = 2,
}

/** Synchronous exception causes (privileged spec table 3.6). QEMU: RISCV_EXCP_*. */
export const enum Excp {
  INST_ADDR_MIS = 0,
  INST_ACCESS_FAULT = 1,
  ILLEGAL_INST = 2,
  BREAKPOINT = 3,
  LOAD_ADDR_MIS = 4,
  LOAD_ACCESS_FAULT = 5,
  STORE_AMO_ADDR_MIS = 6,
  STORE_AMO_ACCESS_FAULT = 7,
  U_ECALL = 8,
  S_ECALL = 9,
  M_ECALL = 11,
  INST_PAGE_FAULT = 12,
  LOAD_PAGE_FAULT = 13,
  STORE_PAGE_FAULT = 15,
}

/** Interrupt numbers (mip/mie bit positions). QEMU: IRQ_*. */
export const enum Irq {
  S_SOFT = 1,
  M_SOFT = 3,
  S_TIMER = 5,
  M_TIMER = 7,
  S_EXT = 9,
  M_EXT = 11,
}

/** Interrupt bit groups. */
export const enum IrqMask {
  /** All interrupts this hart implements (mie writable bits). */
  ALL = 0xaaa,
  /** Supervisor-level interrupts: the only delegable ones (mideleg writable bits). */
  S_MODE = 0x222,
  /** Bits of mip writable by software through the mip CSR (SSIP, STIP, SEIP; privileged spec §3.1.9). */
  MIP_WRITABLE = 0x222,
  /** Bits of sip writable through sip (SSIP only, when delegated). */
  SIP_WRITABLE = 0x002,
}

/** Exceptions that medeleg may delegate: every standard cause except ECALL from M (privileged spec §3.1.8). */
export const MEDELEG_MASK = 0xb3ff;

/** misa of QEMU's default `rv64` CPU: MXL=2, extensions I M A F D C S U. */
export const MISA_EXT = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

/** satp MODE values (privileged spec §4.1.11). */
export const enum SatpMode {
  BARE = 0,
  SV39 = 8,
  SV48 = 9,
}

/** PTE bits (privileged spec §4.3.1). */
export const enum Pte {
  V = 1 << 0,
  R = 1 << 1,
  W = 1 << 2,
  X = 1 << 3,
  U = 1 << 4,
  G = 1 << 5,
  A = 1 << 6,
  D = 1 << 7,
}

/** Memory access kinds, as QEMU's MMUAccessType. */
export const enum Access {
  LOAD = 0,
  STORE = 1,
  FETCH = 2,
}
