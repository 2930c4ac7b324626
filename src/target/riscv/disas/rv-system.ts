/**
 * MISC-MEM and SYSTEM major opcodes: FENCE / FENCE.TSO (Unprivileged ISA §2.7), FENCE.I
 * (§3 "Zifencei"), ECALL/EBREAK (§2.8), the Zicsr instructions (§9), and the privileged
 * instructions of Privileged ISA 20211203 §3.3 (MRET, SRET, WFI), §4.2.1 (SFENCE.VMA) and
 * Debug spec 0.13 §4.8 (DRET). binutils 2.40 also still decodes instructions of withdrawn
 * privileged specs: URET (N extension, 1.11), HRET (1.9, 0x20200073) and SFENCE.VM rs1
 * (1.9.1, 0x10400073); they are reproduced so traces of old code read the same.
 *
 * Contract: as for rv-int.ts — a 32-bit encoding of the handled major opcode in, objdump's
 * text or null (not a valid RV64GC instruction) out.
 *
 * CSR pseudo-instructions (Unprivileged ISA §25.2, Tables 25.3–25.4): csrr, csrw, csrs, csrc,
 * rdcycle, rdtime, rdinstret, frcsr, fscsr, frrm, fsrm, fsrmi, frflags, fsflags, fsflagsi;
 * csrwi/csrsi/csrci are spelled csrw/csrs/csrc by binutils 2.40 (see disCsrImm). `csrrw zero,cycle,zero` (0xc0001073), the canonical 32-bit illegal
 * instruction, prints as `unimp` even without aliases, as binutils does.
 */
import { csrName } from './csr-names';
import { funct3, funct7, rd, rs1, rs2 } from './fields';
import { type Ctx, fenceSet, fmt, hex } from './format';

const CSR_FFLAGS = 0x001;
const CSR_FRM = 0x002;
const CSR_FCSR = 0x003;
const CSR_CYCLE = 0xc00;
const CSR_TIME = 0xc01;
const CSR_INSTRET = 0xc02;

/** Zero-argument SYSTEM instructions, matched on the whole encoding. */
const SYSTEM_EXACT = new Map<number, string>([
  [0x00000073, 'ecall'],
  [0x00100073, 'ebreak'],
  [0x00200073, 'uret'],
  [0x10200073, 'sret'],
  [0x20200073, 'hret'],
  [0x30200073, 'mret'],
  [0x7b200073, 'dret'],
  [0x10500073, 'wfi'],
]);

/** MISC-MEM (0001111). FENCE has fm = inst[31:28], pred = inst[27:24], succ = inst[23:20]. */
export function disMiscMem(i: number, ctx: Ctx): string | null {
  const f3 = funct3(i);
  if (f3 === 1) return (i >>> 0) === 0x0000100f ? 'fence.i' : null;
  if (f3 !== 0 || rd(i) !== 0 || rs1(i) !== 0) return null;
  const fm = i >>> 28;
  const pred = (i >>> 24) & 0xf;
  const succ = (i >>> 20) & 0xf;
  // FENCE.TSO is fm = 1000 with pred = succ = RW.
  if (fm === 0x8 && pred === 0x3 && succ === 0x3) return 'fence.tso';
  if (fm !== 0) return null;
  if (ctx.aliases && pred === 0xf && succ === 0xf) return 'fence';
  return fmt('fence', fenceSet(pred), fenceSet(succ));
}

/** SYSTEM (1110011). */
export function disSystem(i: number, ctx: Ctx): string | null {
  const f3 = funct3(i);
  if (f3 === 0) return disPriv(i, ctx);
  if (f3 === 4) return null;
  const csr = i >>> 20;
  const csrText = csrName(csr) ?? hex(csr);
  const X = ctx.x;
  const d = rd(i);
  const s = rs1(i); // register number, or the 5-bit uimm for the *I forms
  if (f3 >= 5) return disCsrImm(f3, csr, csrText, d, s, ctx);
  if ((i >>> 0) === 0xc0001073) return 'unimp';
  if (ctx.aliases) {
    if (f3 === 1) {
      // CSRRW
      const fp = csr === CSR_FCSR ? 'fscsr' : csr === CSR_FRM ? 'fsrm' : csr === CSR_FFLAGS ? 'fsflags' : undefined;
      if (fp) return d === 0 ? fmt(fp, X[s]!) : fmt(fp, X[d]!, X[s]!);
      if (d === 0) return fmt('csrw', csrText, X[s]!);
    } else if (f3 === 2) {
      // CSRRS
      if (s === 0) {
        const rdName =
          csr === CSR_CYCLE ? 'rdcycle'
          : csr === CSR_TIME ? 'rdtime'
          : csr === CSR_INSTRET ? 'rdinstret'
          : csr === CSR_FCSR ? 'frcsr'
          : csr === CSR_FRM ? 'frrm'
          : csr === CSR_FFLAGS ? 'frflags'
          : undefined;
        if (rdName) return fmt(rdName, X[d]!);
        return fmt('csrr', X[d]!, csrText);
      }
      if (d === 0) return fmt('csrs', csrText, X[s]!);
    } else if (f3 === 3) {
      // CSRRC
      if (d === 0) return fmt('csrc', csrText, X[s]!);
    }
  }
  const mn = f3 === 1 ? 'csrrw' : f3 === 2 ? 'csrrs' : 'csrrc';
  return fmt(mn, X[d]!, csrText, X[s]!);
}

/**
 * CSRRWI/CSRRSI/CSRRCI: the rs1 field is a 5-bit zero-extended immediate (§9.1).
 *
 * binutils 2.40 quirk, reproduced: with aliases these print under the register mnemonics
 * (`csrrwi a0,mstatus,1` → `csrrw a0,mstatus,1`, `csrwi` → `csrw`, `csrsi` → `csrs`,
 * `csrci` → `csrc`), its table listing those spellings first; `fsrmi`/`fsflagsi` always
 * name rd, even x0.
 */
function disCsrImm(f3: number, csr: number, csrText: string, d: number, uimm: number, ctx: Ctx): string {
  const X = ctx.x;
  if (ctx.aliases) {
    if (f3 === 5) {
      const fp = csr === CSR_FRM ? 'fsrmi' : csr === CSR_FFLAGS ? 'fsflagsi' : undefined;
      if (fp) return fmt(fp, X[d]!, uimm);
      if (d === 0) return fmt('csrw', csrText, uimm);
    } else if (d === 0) {
      return fmt(f3 === 6 ? 'csrs' : 'csrc', csrText, uimm);
    }
    return fmt(['csrrw', 'csrrs', 'csrrc'][f3 - 5]!, X[d]!, csrText, uimm);
  }
  return fmt(['csrrwi', 'csrrsi', 'csrrci'][f3 - 5]!, X[d]!, csrText, uimm);
}

/** SYSTEM with funct3 = 000: ECALL, EBREAK, xRET, WFI, SFENCE.VMA, SFENCE.VM. */
function disPriv(i: number, ctx: Ctx): string | null {
  const exact = SYSTEM_EXACT.get(i >>> 0);
  if (exact) return exact;
  if ((i & ~(31 << 15)) === 0x10400073) {
    // SFENCE.VM rs1 (Privileged ISA 1.9.1 §4.2.1); the operand is omitted when it is x0.
    const a = rs1(i);
    return a === 0 ? 'sfence.vm' : fmt('sfence.vm', ctx.x[a]!);
  }
  if (funct7(i) === 0x09 && rd(i) === 0) {
    // SFENCE.VMA rs1, rs2 (Privileged ISA §4.2.1).
    const X = ctx.x;
    const a = rs1(i);
    const b = rs2(i);
    if (ctx.aliases && b === 0) return a === 0 ? 'sfence.vma' : fmt('sfence.vma', X[a]!);
    return fmt('sfence.vma', X[a]!, X[b]!);
  }
  return null;
}
