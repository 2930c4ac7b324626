/**
 * Architectural state as both sides of the differential test see it, and its comparison.
 * Register numbers for QEMU's gdb stub come from QEMU 7.2's target description (read with
 * qXfer:features:read): x0..x31 = 0..31, pc = 32, f0..f31 = 33..64, the virtual `priv` = 65,
 * CSR n = 66 + n (riscv-csr.xml lists e.g. sstatus (0x100) as regnum 322).
 */

export const GPR_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];
export const FPR_NAMES = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];

export const GDB_REG_PC = 32;
export const GDB_REG_F0 = 33;
export const GDB_REG_PRIV = 65;
export const GDB_REG_CSR0 = 66;

export interface CsrSpec {
  name: string;
  num: number;
  /** Bits compared (timer-driven bits are left out). */
  mask: bigint;
}

const ALL = (1n << 64n) - 1n;
/** mip/sip bits left out: MTIP follows QEMU's ACLINT (mtimecmp resets to 0, so MTIP is set at reset). */
const MIP_MASK = ALL & ~0x80n;

/** CSRs compared after every instruction that may change them. Counters and time are skipped. */
export const CSRS: CsrSpec[] = [
  { name: 'fcsr', num: 0x003, mask: ALL },
  { name: 'sstatus', num: 0x100, mask: ALL },
  { name: 'sie', num: 0x104, mask: ALL },
  { name: 'stvec', num: 0x105, mask: ALL },
  { name: 'scounteren', num: 0x106, mask: ALL },
  { name: 'sscratch', num: 0x140, mask: ALL },
  { name: 'sepc', num: 0x141, mask: ALL },
  { name: 'scause', num: 0x142, mask: ALL },
  { name: 'stval', num: 0x143, mask: ALL },
  { name: 'sip', num: 0x144, mask: MIP_MASK },
  { name: 'satp', num: 0x180, mask: ALL },
  { name: 'mstatus', num: 0x300, mask: ALL },
  { name: 'misa', num: 0x301, mask: ALL },
  { name: 'medeleg', num: 0x302, mask: ALL },
  { name: 'mideleg', num: 0x303, mask: ALL },
  { name: 'mie', num: 0x304, mask: ALL },
  { name: 'mtvec', num: 0x305, mask: ALL },
  { name: 'mcounteren', num: 0x306, mask: ALL },
  { name: 'mscratch', num: 0x340, mask: ALL },
  { name: 'mepc', num: 0x341, mask: ALL },
  { name: 'mcause', num: 0x342, mask: ALL },
  { name: 'mtval', num: 0x343, mask: ALL },
  { name: 'mip', num: 0x344, mask: MIP_MASK },
  { name: 'menvcfg', num: 0x30a, mask: ALL },
  { name: 'senvcfg', num: 0x10a, mask: ALL },
  { name: 'mhartid', num: 0xf14, mask: ALL },
];
export const CSR_BY_NAME = new Map(CSRS.map((c) => [c.name, c]));

export const PRIV_NAMES = ['U', 'S', 'H?', 'M'];

/** A full architectural snapshot. CSR values are undefined when the side does not implement them. */
export interface HartState {
  pc: bigint;
  priv: number;
  x: bigint[];
  f: bigint[];
  csr: Map<number, bigint | undefined>;
}

export function cloneState(s: HartState): HartState {
  return { pc: s.pc, priv: s.priv, x: [...s.x], f: [...s.f], csr: new Map(s.csr) };
}

export interface FieldDiff {
  field: string;
  expected: string;
  actual: string;
}

export const hex = (v: bigint | undefined): string => (v === undefined ? '(none)' : '0x' + v.toString(16).padStart(16, '0'));

/** Compare `actual` (our hart) against `expected` (QEMU). Returns the differing fields. */
export function diffStates(expected: HartState, actual: HartState): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (expected.pc !== actual.pc) out.push({ field: 'pc', expected: hex(expected.pc), actual: hex(actual.pc) });
  if (expected.priv !== actual.priv) {
    out.push({ field: 'priv', expected: PRIV_NAMES[expected.priv] ?? String(expected.priv), actual: PRIV_NAMES[actual.priv] ?? String(actual.priv) });
  }
  for (let i = 1; i < 32; i++) {
    if (expected.x[i] !== actual.x[i]) out.push({ field: `x${i}/${GPR_NAMES[i]}`, expected: hex(expected.x[i]), actual: hex(actual.x[i]) });
  }
  for (let i = 0; i < 32; i++) {
    if (expected.f[i] !== actual.f[i]) out.push({ field: `f${i}/${FPR_NAMES[i]}`, expected: hex(expected.f[i]), actual: hex(actual.f[i]) });
  }
  for (const c of CSRS) {
    const e = expected.csr.get(c.num);
    const a = actual.csr.get(c.num);
    if (e === undefined && a === undefined) continue;
    if (e === undefined || a === undefined || (e & c.mask) !== (a & c.mask)) {
      out.push({ field: c.name, expected: hex(e === undefined ? e : e & c.mask), actual: hex(a === undefined ? a : a & c.mask) });
    }
  }
  return out;
}

/** Decode mcause/scause for reports. */
export function describeCause(cause: bigint): string {
  const intr = (cause >> 63n) === 1n;
  const code = Number(cause & 0xffn);
  const exc = ['insn misaligned', 'insn access fault', 'illegal insn', 'breakpoint', 'load misaligned', 'load access fault',
    'store misaligned', 'store access fault', 'ecall U', 'ecall S', 'ecall VS', 'ecall M', 'insn page fault', 'load page fault',
    '?', 'store page fault'];
  const irq = ['?', 'SSI', '?', 'MSI', '?', 'STI', '?', 'MTI', '?', 'SEI', '?', 'MEI'];
  return intr ? `interrupt ${irq[code] ?? code}` : (exc[code] ?? `exception ${code}`);
}
