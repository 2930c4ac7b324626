/**
 * CSR number → name, for the Zicsr instructions' csr operand.
 *
 * Contract: `csrName(n)` returns the name GNU objdump (binutils 2.40) prints for the 12-bit CSR
 * number `n`, or undefined when objdump prints the number (`0x...`) instead. That set is the CSRs
 * of the ratified specs binutils 2.40 knows for its default privileged spec (1.12), whatever
 * extensions the ISA string enables, including RV32-only `...h` halves.
 *
 * Sources: Privileged ISA 20211203, §2.2 "CSR Listing" (Tables 2.2–2.6: unprivileged and user,
 * supervisor, hypervisor/VS, machine, debug/trace); Unprivileged ISA §11.2 (fflags, frm, fcsr);
 * V 1.0 §3 (vstart..vlenb); Zkr (seed); Sstc (stimecmp); Smstateen/Ssstateen; Smaia/Ssaia
 * (AIA: *iselect, *ireg, *topei, *topi, *vien, *vip, hvictl, hviprio*); Sscofpmf (scountovf);
 * Smepmp (mseccfg); Debug spec 0.13 (dcsr, dpc, dscratch*) and Sdtrig (tselect..mscontext).
 */

const NAMES = new Map<number, string>();

function add(num: number, name: string): void {
  NAMES.set(num, name);
}

/** Adds `prefix${i}${suffix}` at `base + i` for i in [from, to]. */
function addRange(base: number, from: number, to: number, prefix: string, suffix = ''): void {
  for (let i = from; i <= to; i++) add(base + i, `${prefix}${i}${suffix}`);
}

function addAll(entries: ReadonlyArray<readonly [number, string]>): void {
  for (const [num, name] of entries) add(num, name);
}

// Unprivileged floating-point, vector and entropy-source CSRs.
addAll([
  [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'],
  [0x008, 'vstart'], [0x009, 'vxsat'], [0x00a, 'vxrm'], [0x00f, 'vcsr'],
  [0x015, 'seed'],
  [0xc20, 'vl'], [0xc21, 'vtype'], [0xc22, 'vlenb'],
]);

// Unprivileged counters/timers (Zicntr, Zihpm), and their RV32 high halves.
addAll([[0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret']]);
addRange(0xc00, 3, 31, 'hpmcounter');
addAll([[0xc80, 'cycleh'], [0xc81, 'timeh'], [0xc82, 'instreth']]);
addRange(0xc80, 3, 31, 'hpmcounter', 'h');

// Supervisor-level CSRs.
addAll([
  [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'], [0x106, 'scounteren'],
  [0x10a, 'senvcfg'], [0x114, 'sieh'],
  [0x140, 'sscratch'], [0x141, 'sepc'], [0x142, 'scause'], [0x143, 'stval'], [0x144, 'sip'],
  [0x14d, 'stimecmp'], [0x150, 'siselect'], [0x151, 'sireg'], [0x154, 'siph'],
  [0x15c, 'stopei'], [0x15d, 'stimecmph'],
  [0x180, 'satp'], [0x5a8, 'scontext'], [0xda0, 'scountovf'], [0xdb0, 'stopi'],
]);
addRange(0x10c, 0, 3, 'sstateen');

// Hypervisor and virtual-supervisor CSRs.
addAll([
  [0x600, 'hstatus'], [0x602, 'hedeleg'], [0x603, 'hideleg'], [0x604, 'hie'],
  [0x605, 'htimedelta'], [0x606, 'hcounteren'], [0x607, 'hgeie'], [0x608, 'hvien'],
  [0x609, 'hvictl'], [0x60a, 'henvcfg'], [0x613, 'hidelegh'], [0x615, 'htimedeltah'],
  [0x618, 'hvienh'], [0x61a, 'henvcfgh'],
  [0x643, 'htval'], [0x644, 'hip'], [0x645, 'hvip'], [0x646, 'hviprio1'], [0x647, 'hviprio2'],
  [0x64a, 'htinst'], [0x655, 'hviph'], [0x656, 'hviprio1h'], [0x657, 'hviprio2h'],
  [0x680, 'hgatp'], [0x6a8, 'hcontext'], [0xe12, 'hgeip'],
  [0x200, 'vsstatus'], [0x204, 'vsie'], [0x205, 'vstvec'], [0x214, 'vsieh'],
  [0x240, 'vsscratch'], [0x241, 'vsepc'], [0x242, 'vscause'], [0x243, 'vstval'], [0x244, 'vsip'],
  [0x24d, 'vstimecmp'], [0x250, 'vsiselect'], [0x251, 'vsireg'], [0x254, 'vsiph'],
  [0x25c, 'vstopei'], [0x25d, 'vstimecmph'], [0x280, 'vsatp'], [0xeb0, 'vstopi'],
]);
addRange(0x60c, 0, 3, 'hstateen');
addRange(0x61c, 0, 3, 'hstateen', 'h');

// Machine-level CSRs.
addAll([
  [0xf11, 'mvendorid'], [0xf12, 'marchid'], [0xf13, 'mimpid'], [0xf14, 'mhartid'],
  [0xf15, 'mconfigptr'], [0xfb0, 'mtopi'],
  [0x300, 'mstatus'], [0x301, 'misa'], [0x302, 'medeleg'], [0x303, 'mideleg'], [0x304, 'mie'],
  [0x305, 'mtvec'], [0x306, 'mcounteren'], [0x308, 'mvien'], [0x309, 'mvip'],
  [0x30a, 'menvcfg'], [0x310, 'mstatush'], [0x313, 'midelegh'], [0x314, 'mieh'],
  [0x318, 'mvienh'], [0x319, 'mviph'], [0x31a, 'menvcfgh'], [0x320, 'mcountinhibit'],
  [0x340, 'mscratch'], [0x341, 'mepc'], [0x342, 'mcause'], [0x343, 'mtval'], [0x344, 'mip'],
  [0x34a, 'mtinst'], [0x34b, 'mtval2'], [0x350, 'miselect'], [0x351, 'mireg'], [0x354, 'miph'],
  [0x35c, 'mtopei'], [0x747, 'mseccfg'], [0x757, 'mseccfgh'],
  [0xb00, 'mcycle'], [0xb02, 'minstret'], [0xb80, 'mcycleh'], [0xb82, 'minstreth'],
]);
addRange(0x30c, 0, 3, 'mstateen');
addRange(0x31c, 0, 3, 'mstateen', 'h');
addRange(0x320, 3, 31, 'mhpmevent');
addRange(0x720, 3, 31, 'mhpmevent', 'h');
addRange(0xb00, 3, 31, 'mhpmcounter');
addRange(0xb80, 3, 31, 'mhpmcounter', 'h');
addRange(0x3a0, 0, 15, 'pmpcfg');
addRange(0x3b0, 0, 63, 'pmpaddr');

// Debug and trigger CSRs.
addAll([
  [0x7a0, 'tselect'], [0x7a1, 'tdata1'], [0x7a2, 'tdata2'], [0x7a3, 'tdata3'],
  [0x7a4, 'tinfo'], [0x7a5, 'tcontrol'], [0x7a8, 'mcontext'], [0x7aa, 'mscontext'],
  [0x7b0, 'dcsr'], [0x7b1, 'dpc'], [0x7b2, 'dscratch0'], [0x7b3, 'dscratch1'],
]);

/** objdump's name for CSR `num` (0..0xfff), or undefined if it prints the number. */
export function csrName(num: number): string | undefined {
  return NAMES.get(num);
}
