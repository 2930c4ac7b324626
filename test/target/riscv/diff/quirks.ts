/**
 * Known places where the oracle (Debian's QEMU 7.2) departs from the RISC-V specification. When a
 * mismatch matches one of these AND our hart does what the spec requires, the lockstep records it
 * as a quirk (printed, not failed), copies QEMU's state into our hart and goes on.
 */
import type { FieldDiff, HartState } from './state';

export interface Quirk {
  id: string;
  /** What QEMU does, what the spec says. */
  why: string;
  matches(bits: number, before: HartState, qemu: HartState, ours: HartState, diffs: FieldDiff[]): boolean;
}

const MCAUSE = 0x342;
const SCAUSE = 0x142;
const causeOf = (s: HartState): bigint | undefined => (s.priv === 3 ? s.csr.get(MCAUSE) : s.csr.get(SCAUSE));

/** AMO/LR/SC fields: opcode 0x2f, funct5 in bits 31:27 (2 = LR, 3 = SC), width in funct3. */
function amo(bits: number): { funct5: number; size: number; rs1: number } | undefined {
  if ((bits & 3) !== 3 || (bits & 0x7f) !== 0x2f) return undefined;
  const funct3 = (bits >>> 12) & 7;
  return { funct5: bits >>> 27, size: funct3 === 2 ? 4 : funct3 === 3 ? 8 : 0, rs1: (bits >>> 15) & 31 };
}

const misaligned = (bits: number, before: HartState): boolean => {
  const a = amo(bits);
  return a !== undefined && a.size > 0 && Number(before.x[a.rs1] % BigInt(a.size)) !== 0;
};

export const QUIRKS: Quirk[] = [
  {
    id: 'qemu-7.2-amo-misaligned-cause',
    why: 'QEMU 7.2 raises load-address-misaligned (4) for a misaligned AMO; the A extension requires store/AMO-address-misaligned (6) or store/AMO access fault (7)',
    matches(bits, before, qemu, ours, diffs) {
      const a = amo(bits);
      if (!a || a.funct5 === 2 || a.funct5 === 3 || !misaligned(bits, before)) return false;
      const q = causeOf(qemu);
      const o = causeOf(ours);
      return q === 4n && (o === 6n || o === 7n) && diffs.every((d) => d.field === 'mcause' || d.field === 'scause');
    },
  },
  {
    id: 'qemu-7.2-sc-misaligned-no-trap',
    why: 'QEMU 7.2 fails a misaligned SC without a reservation silently (rd = 1); the A extension requires an address-misaligned or access-fault exception for a misaligned LR/SC address',
    matches(bits, before, qemu, ours) {
      const a = amo(bits);
      if (!a || a.funct5 !== 3 || !misaligned(bits, before)) return false;
      const o = causeOf(ours);
      return qemu.priv === before.priv && qemu.pc === before.pc + 4n && (o === 6n || o === 7n || o === 4n);
    },
  },
  {
    id: 'qemu-7.2-csrrs-zero-register-read-only-csr',
    why: 'QEMU 7.2 lets CSRRS/CSRRC with rs1 != x0 holding 0 access a read-only CSR; Zicsr says the instruction still attempts the write, so it must raise illegal-instruction',
    matches(bits, before, qemu, ours) {
      const funct3 = (bits >>> 12) & 7;
      const rs1 = (bits >>> 15) & 31;
      const csr = bits >>> 20;
      return (bits & 0x7f) === 0x73 && (funct3 === 2 || funct3 === 3) && rs1 !== 0 && before.x[rs1] === 0n &&
        csr >>> 10 === 3 && qemu.pc === before.pc + 4n && causeOf(ours) === 2n;
    },
  },
  {
    id: 'qemu-7.2-xret-keeps-mprv',
    why: 'QEMU 7.2 leaves mstatus.MPRV set on an MRET/SRET to a mode below M; privileged spec 1.12 §3.1.6.1 requires MPRV = 0',
    matches(bits, _before, qemu, ours, diffs) {
      if (bits !== 0x30200073 && bits !== 0x10200073) return false;
      const q = qemu.csr.get(0x300);
      const o = ours.csr.get(0x300);
      return qemu.priv < 3 && q !== undefined && o !== undefined && (q ^ o) === 1n << 17n && (q & (1n << 17n)) !== 0n &&
        diffs.every((d) => d.field === 'mstatus');
    },
  },
];

export function matchQuirk(bits: number | undefined, before: HartState, qemu: HartState, ours: HartState, diffs: FieldDiff[]): Quirk | undefined {
  if (bits === undefined) return undefined;
  return QUIRKS.find((q) => q.matches(bits, before, qemu, ours, diffs));
}
