/**
 * The target description gdb reads with qXfer:features:read:target.xml (GDB manual, "Target
 * Descriptions", "RISC-V Features"), and the register numbering it implies.
 *
 * Features and remote register numbers, as gdb's own riscv descriptions number them
 * (gdb/features/riscv/64bit-*.xml, gdb/riscv-tdep.h):
 *   org.gnu.gdb.riscv.cpu      x0..x31 = 0..31 (ABI names: zero, ra, sp, ..., fp for x8), pc = 32
 *   org.gnu.gdb.riscv.fpu      f0..f31 = 33..64 (ABI names ft0..ft11...), fflags 66, frm 67, fcsr 68
 *   org.gnu.gdb.riscv.csr      every other CSR the hart implements, at 65 + its CSR number
 *   org.gnu.gdb.riscv.virtual  priv = 65 + 4096 (the privilege level, 0 U / 1 S / 3 M)
 * `g`/`G` carry registers 0..32 only (as QEMU's stub); gdb reads the rest with `p`.
 */
import { csrName } from '../target/riscv/disas/csr-names';
import type { RegRef } from '../system/debug-channel';

export const GPR_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];
const FPR_NAMES = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];
const GPR_TYPES: Record<string, string> = { ra: 'code_ptr', sp: 'data_ptr', gp: 'data_ptr', tp: 'data_ptr', fp: 'data_ptr' };

export const REG_PC = 32;
export const FIRST_FPR = 33;
export const FIRST_CSR = 65;
export const REG_PRIV = FIRST_CSR + 4096;
/** Registers in a `g` packet: x0..x31, pc. */
export const G_REGS = 33;
/** CSRs gdb's fpu feature carries (32-bit there). */
const FP_CSRS = [1, 2, 3];

export interface RegisterInfo {
  ref: RegRef;
  /** Size in the protocol, bytes. */
  bytes: number;
}

export interface TargetDescription {
  xml: string;
  regs: ReadonlyMap<number, RegisterInfo>;
}

/** Build the description for a hart implementing `csrs` (CSR numbers, from the machine). */
export function buildTargetDescription(csrs: readonly number[]): TargetDescription {
  const regs = new Map<number, RegisterInfo>();
  const cpu: string[] = [];
  GPR_NAMES.forEach((name, i) => {
    regs.set(i, { ref: { kind: 'gpr', i }, bytes: 8 });
    cpu.push(`<reg name="${name}" bitsize="64" type="${GPR_TYPES[name] ?? 'int'}" regnum="${i}"/>`);
  });
  regs.set(REG_PC, { ref: { kind: 'pc' }, bytes: 8 });
  cpu.push(`<reg name="pc" bitsize="64" type="code_ptr" regnum="${REG_PC}"/>`);

  const fpu: string[] = [
    '<union id="riscv_double"><field name="float" type="ieee_single"/><field name="double" type="ieee_double"/></union>',
  ];
  FPR_NAMES.forEach((name, i) => {
    regs.set(FIRST_FPR + i, { ref: { kind: 'fpr', i }, bytes: 8 });
    fpu.push(`<reg name="${name}" bitsize="64" type="riscv_double" regnum="${FIRST_FPR + i}"/>`);
  });
  for (const n of FP_CSRS) {
    if (!csrs.includes(n)) continue;
    regs.set(FIRST_CSR + n, { ref: { kind: 'csr', num: n }, bytes: 4 });
    fpu.push(`<reg name="${csrName(n)}" bitsize="32" type="int" regnum="${FIRST_CSR + n}"/>`);
  }

  const csr: string[] = [];
  for (const n of csrs) {
    if (FP_CSRS.includes(n)) continue;
    regs.set(FIRST_CSR + n, { ref: { kind: 'csr', num: n }, bytes: 8 });
    csr.push(`<reg name="${csrName(n) ?? `csr${n}`}" bitsize="64" type="int" regnum="${FIRST_CSR + n}" group="csr"/>`);
  }
  regs.set(REG_PRIV, { ref: { kind: 'priv' }, bytes: 8 });

  const feature = (name: string, body: string[]) => `<feature name="org.gnu.gdb.riscv.${name}">\n  ${body.join('\n  ')}\n</feature>\n`;
  const xml =
    '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n' +
    '<architecture>riscv:rv64</architecture>\n' +
    feature('cpu', cpu) +
    feature('fpu', fpu) +
    feature('csr', csr) +
    feature('virtual', [`<reg name="priv" bitsize="64" type="int" regnum="${REG_PRIV}"/>`]) +
    '</target>\n';
  return { xml, regs };
}
