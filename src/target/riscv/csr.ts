/**
 * Control and status registers (privileged spec 1.12 ch. 2–4; QEMU target/riscv/csr.c).
 *
 * Access rules (riscv_csrrw_check): a CSR that does not exist, a CSR whose privilege field
 * (csr[9:8]) is above the current mode, a write to a read-only CSR (csr[11:10] = 3), or a failed
 * predicate (FS off for fflags/frm/fcsr, counter not enabled in mcounteren/scounteren, satp with
 * mstatus.TVM in S-mode) raises an illegal-instruction exception with mtval = the instruction bits.
 * OpenSBI probes optional CSRs this way.
 *
 * Values follow QEMU 7.2's `rv64` CPU where the spec leaves a choice; where QEMU 7.2 departs from
 * the spec the spec wins (noted at each CSR). The debugger path (`debug` = true) skips the
 * predicates and privilege checks, as QEMU's env->debugger does.
 */

import { Mip, Priv } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { Csr, Excp, IrqMask, MEDELEG_MASK, MISA_EXT, Mstatus, SatpMode } from './cpu-bits';
import { Ev } from './events';
import { raise_exception } from './trap';

/** Slots of RiscvCpu.csr64 (pairs). */
export const enum CsrSlot {
  MTVEC,
  STVEC,
  MEPC,
  SEPC,
  MCAUSE,
  SCAUSE,
  MTVAL,
  STVAL,
  MSCRATCH,
  SSCRATCH,
  SATP,
  PMPADDR0,
  COUNT = PMPADDR0 + 16,
}

const TWO32 = 4294967296;
const scratch = new Int32Array(2);

/** Plain 64-bit storage CSRs: CSR number → slot. */
function storageSlot(csr: number): number {
  switch (csr) {
    case Csr.MSCRATCH:
      return CsrSlot.MSCRATCH;
    case Csr.SSCRATCH:
      return CsrSlot.SSCRATCH;
    case Csr.MTVAL:
      return CsrSlot.MTVAL;
    case Csr.STVAL:
      return CsrSlot.STVAL;
    case Csr.MCAUSE:
      return CsrSlot.MCAUSE;
    case Csr.SCAUSE:
      return CsrSlot.SCAUSE;
    default:
      return -1;
  }
}

/** mstatus.SD: FS or VS dirty (XS is always 0 here). */
function sd(ms: number): boolean {
  return (ms & Mstatus.FS) === Mstatus.FS || (ms & Mstatus.VS) === Mstatus.VS;
}

/** Counter value: base + (live - mark), or base when inhibited. */
function readCounter(cpu: RiscvCpu, base: Int32Array, mark: number, inhibited: boolean, out: Int32Array): void {
  if (inhibited) {
    out[0] = base[0];
    out[1] = base[1];
    return;
  }
  const delta = cpu.instret - mark;
  const dlo = delta % TWO32;
  const lo = (base[0] >>> 0) + dlo;
  out[0] = lo | 0;
  out[1] = (base[1] + Math.floor(delta / TWO32) + (lo >= TWO32 ? 1 : 0)) | 0;
}

/**
 * Read CSR `csr` into out[0..1]. Returns false when the CSR does not exist. No side effects.
 * Does not check privilege or predicates (riscv_csrrw does).
 */
export function csr_read(cpu: RiscvCpu, csr: number, out: Int32Array, _debug: boolean): boolean {
  let lo = 0;
  let hi = 0;
  const c64 = cpu.csr64;
  const slot = storageSlot(csr);
  if (slot >= 0) {
    lo = c64[slot * 2];
    hi = c64[slot * 2 + 1];
  } else if (csr >= Csr.PMPADDR0 && csr <= Csr.PMPADDR15) {
    const s = CsrSlot.PMPADDR0 + csr - Csr.PMPADDR0;
    lo = c64[s * 2];
    hi = c64[s * 2 + 1];
  } else if (
    (csr >= Csr.HPMCOUNTER3 && csr <= Csr.HPMCOUNTER31) ||
    (csr >= Csr.MHPMCOUNTER3 && csr <= Csr.MHPMCOUNTER31) ||
    (csr >= Csr.MHPMEVENT3 && csr <= Csr.MHPMEVENT31)
  ) {
    // Implemented as read-only zero (WARL), as the privileged spec §3.1.10 permits.
  } else {
    switch (csr) {
      case Csr.FFLAGS:
        lo = cpu.fflags;
        break;
      case Csr.FRM:
        lo = cpu.frm;
        break;
      case Csr.FCSR:
        lo = cpu.fflags | (cpu.frm << 5);
        break;
      case Csr.CYCLE:
      case Csr.MCYCLE:
        readCounter(cpu, cpu.cycleBase, cpu.cycleMark, (cpu.mcountinhibit & 1) !== 0, out);
        return true;
      case Csr.INSTRET:
      case Csr.MINSTRET:
        readCounter(cpu, cpu.instretBase, cpu.instretMark, (cpu.mcountinhibit & 4) !== 0, out);
        return true;
      case Csr.TIME: {
        const t = Math.floor(cpu.getTime());
        lo = t | 0;
        hi = Math.floor(t / TWO32) | 0;
        break;
      }
      case Csr.SSTATUS: {
        const ms = cpu.mstatus;
        lo = ms & Mstatus.SSTATUS_MASK;
        hi = Mstatus.HI_UXL | (sd(ms) ? 0x80000000 : 0);
        break;
      }
      case Csr.SIE:
        lo = cpu.mie & cpu.mideleg & IrqMask.S_MODE;
        break;
      case Csr.STVEC:
        lo = c64[CsrSlot.STVEC * 2];
        hi = c64[CsrSlot.STVEC * 2 + 1];
        break;
      case Csr.SCOUNTEREN:
        lo = cpu.scounteren;
        break;
      case Csr.SENVCFG:
        lo = cpu.senvcfg;
        break;
      case Csr.SEPC:
        lo = c64[CsrSlot.SEPC * 2];
        hi = c64[CsrSlot.SEPC * 2 + 1];
        break;
      case Csr.SIP:
        lo = cpu.mip & cpu.mideleg & IrqMask.S_MODE;
        break;
      case Csr.SATP:
        lo = c64[CsrSlot.SATP * 2];
        hi = c64[CsrSlot.SATP * 2 + 1];
        break;
      case Csr.MVENDORID:
      case Csr.MARCHID:
      case Csr.MIMPID:
      case Csr.MCONFIGPTR:
        break;
      case Csr.MHARTID:
        lo = cpu.hartId;
        break;
      case Csr.MSTATUS: {
        const ms = cpu.mstatus;
        lo = ms;
        hi = Mstatus.HI_XL | (sd(ms) ? 0x80000000 : 0);
        break;
      }
      case Csr.MISA:
        lo = MISA_EXT;
        hi = 0x80000000 | 0;
        break;
      case Csr.MEDELEG:
        lo = cpu.medeleg;
        break;
      case Csr.MIDELEG:
        lo = cpu.mideleg;
        break;
      case Csr.MIE:
        lo = cpu.mie;
        break;
      case Csr.MTVEC:
        lo = c64[CsrSlot.MTVEC * 2];
        hi = c64[CsrSlot.MTVEC * 2 + 1];
        break;
      case Csr.MCOUNTEREN:
        lo = cpu.mcounteren;
        break;
      case Csr.MENVCFG:
        lo = cpu.menvcfg;
        break;
      case Csr.MCOUNTINHIBIT:
        lo = cpu.mcountinhibit;
        break;
      case Csr.MEPC:
        lo = c64[CsrSlot.MEPC * 2];
        hi = c64[CsrSlot.MEPC * 2 + 1];
        break;
      case Csr.MIP:
        lo = cpu.mip;
        break;
      case Csr.PMPCFG0:
      case Csr.PMPCFG0 + 2: {
        const b = (csr - Csr.PMPCFG0) * 4;
        const p = cpu.pmpcfg;
        lo = p[b] | (p[b + 1] << 8) | (p[b + 2] << 16) | (p[b + 3] << 24);
        hi = p[b + 4] | (p[b + 5] << 8) | (p[b + 6] << 16) | (p[b + 7] << 24);
        break;
      }
      case Csr.TSELECT:
      case Csr.TDATA1:
      case Csr.TDATA2:
      case Csr.TDATA3:
        // No triggers: tselect is 0 and tdata1.type = 0 ("no trigger here"), Sdtrig spec §5.7.
        break;
      case Csr.TINFO:
        lo = 1; // only type 0 (none) exists at index 0
        break;
      default:
        return false;
    }
  }
  out[0] = lo;
  out[1] = hi;
  return true;
}

/** Write CSR `csr` (which exists) with the architectural WARL rules and side effects. */
export function csr_write(cpu: RiscvCpu, csr: number, lo: number, hi: number, _debug: boolean): void {
  const c64 = cpu.csr64;
  const slot = storageSlot(csr);
  if (slot >= 0) {
    c64[slot * 2] = lo;
    c64[slot * 2 + 1] = hi;
    return;
  }
  if (csr >= Csr.PMPADDR0 && csr <= Csr.PMPADDR15) {
    const i = csr - Csr.PMPADDR0;
    if (pmpaddrLocked(cpu, i)) return;
    const s = CsrSlot.PMPADDR0 + i;
    c64[s * 2] = lo;
    c64[s * 2 + 1] = hi & 0x3fffff; // pmpaddr holds address bits 55:2 (54 bits)
    return;
  }
  switch (csr) {
    case Csr.FFLAGS:
      cpu.fflags = lo & 0x1f;
      cpu.mstatus |= Mstatus.FS;
      return;
    case Csr.FRM:
      cpu.frm = lo & 7;
      cpu.mstatus |= Mstatus.FS;
      return;
    case Csr.FCSR:
      cpu.fflags = lo & 0x1f;
      cpu.frm = (lo >>> 5) & 7;
      cpu.mstatus |= Mstatus.FS;
      return;
    case Csr.MCYCLE:
      cpu.cycleBase[0] = lo;
      cpu.cycleBase[1] = hi;
      cpu.cycleMark = cpu.instret;
      return;
    case Csr.MINSTRET:
      cpu.instretBase[0] = lo;
      cpu.instretBase[1] = hi;
      cpu.instretMark = cpu.instret;
      return;
    case Csr.SSTATUS: {
      const m = Mstatus.SSTATUS_MASK & ~Mstatus.XS;
      write_mstatus(cpu, (cpu.mstatus & ~m) | (lo & m));
      return;
    }
    case Csr.MSTATUS:
      write_mstatus(cpu, lo);
      return;
    case Csr.SIE: {
      const m = cpu.mideleg & IrqMask.S_MODE;
      cpu.mie = (cpu.mie & ~m) | (lo & m);
      cpu.events |= Ev.IRQ;
      return;
    }
    case Csr.SIP:
      write_mip(cpu, lo, cpu.mideleg & IrqMask.SIP_WRITABLE);
      return;
    case Csr.MIP:
      write_mip(cpu, lo, IrqMask.MIP_WRITABLE);
      return;
    case Csr.MIE:
      cpu.mie = lo & IrqMask.ALL;
      cpu.events |= Ev.IRQ;
      return;
    case Csr.MIDELEG:
      cpu.mideleg = lo & IrqMask.S_MODE;
      cpu.events |= Ev.IRQ;
      return;
    case Csr.MEDELEG:
      cpu.medeleg = lo & MEDELEG_MASK;
      return;
    case Csr.MTVEC:
    case Csr.STVEC:
      // MODE 2 and 3 are reserved: WARL, the write is ignored (QEMU write_mtvec/write_stvec).
      if ((lo & 3) < 2) {
        const s = csr === Csr.MTVEC ? CsrSlot.MTVEC : CsrSlot.STVEC;
        c64[s * 2] = lo;
        c64[s * 2 + 1] = hi;
      }
      return;
    case Csr.MEPC:
    case Csr.SEPC: {
      // xepc[0] is always zero (IALIGN = 16, privileged spec §3.1.14). QEMU 7.2 keeps bit 0.
      const s = csr === Csr.MEPC ? CsrSlot.MEPC : CsrSlot.SEPC;
      c64[s * 2] = lo & ~1;
      c64[s * 2 + 1] = hi;
      return;
    }
    case Csr.MCOUNTEREN:
      cpu.mcounteren = lo; // a 32-bit register (privileged spec §3.1.11)
      return;
    case Csr.SCOUNTEREN:
      cpu.scounteren = lo;
      return;
    case Csr.MENVCFG:
      cpu.menvcfg = lo & 1; // FIOM only: no Zicbo*, Svpbmt or Sstc here
      return;
    case Csr.SENVCFG:
      cpu.senvcfg = lo & 1;
      return;
    case Csr.MCOUNTINHIBIT:
      write_mcountinhibit(cpu, lo & ~2); // bit 1 (TM) is read-only zero
      return;
    case Csr.SATP:
      write_satp(cpu, lo, hi);
      return;
    case Csr.PMPCFG0:
    case Csr.PMPCFG0 + 2: {
      const b = (csr - Csr.PMPCFG0) * 4;
      for (let i = 0; i < 8; i++) {
        if (cpu.pmpcfg[b + i] & 0x80) continue; // locked entries ignore writes
        cpu.pmpcfg[b + i] = ((i < 4 ? lo : hi) >>> ((i & 3) * 8)) & 0xff;
      }
      return;
    }
    default:
      // Read-only zero (hpm counters/events, triggers) or read-only by number: nothing to do.
      return;
  }
}

/** pmpaddr[i] is locked by its own L bit, or by entry i+1's L bit when i+1 is TOR (privileged spec §3.7.1). */
function pmpaddrLocked(cpu: RiscvCpu, i: number): boolean {
  const p = cpu.pmpcfg;
  if (p[i] & 0x80) return true;
  return i + 1 < 16 && (p[i + 1] & 0x80) !== 0 && ((p[i + 1] >>> 3) & 3) === 1;
}

/** write_mstatus (QEMU csr.c) with MPP legalized: the reserved value 2 keeps the old MPP. */
export function write_mstatus(cpu: RiscvCpu, v: number): void {
  const old = cpu.mstatus;
  if (((v >>> Mstatus.MPP_SHIFT) & 3) === 2) v = (v & ~Mstatus.MPP) | (old & Mstatus.MPP);
  const nw = (old & ~Mstatus.WRITE_MASK) | (v & Mstatus.WRITE_MASK);
  const changed = old ^ nw;
  cpu.mstatus = nw;
  if (changed & Mstatus.MXR) {
    // MXR changes read permissions of cached translations.
    cpu.rtlb.flushTranslated();
  }
  if (changed & (Mstatus.MPRV | Mstatus.MPP | Mstatus.SUM)) cpu.updateMmuState();
  // Clearing an enable bit cannot make an interrupt takeable, nor can setting one with nothing
  // pending and enabled in mie; the loop then need not look (spin_lock_irqsave does this a lot).
  if (changed & nw & (Mstatus.MIE | Mstatus.SIE) && (cpu.mip & cpu.mie) !== 0) cpu.events |= Ev.IRQ;
}

/** rmw_mip: software writes to SSIP/STIP/SEIP (SEIP's software bit is OR-ed with the PLIC line). */
function write_mip(cpu: RiscvCpu, v: number, mask: number): void {
  let mip = cpu.mip;
  if (mask & (1 << 9)) {
    cpu.seipSw = (v & (1 << 9)) !== 0;
    v = cpu.seipSw || cpu.seipHw ? v | (1 << 9) : v & ~(1 << 9);
  }
  mip = (mip & ~mask) | (v & mask);
  cpu.mip = mip;
  cpu.events |= Ev.IRQ;
}

function write_mcountinhibit(cpu: RiscvCpu, v: number): void {
  const old = cpu.mcountinhibit;
  // Freeze or restart the counters at their current values.
  if ((old ^ v) & 1) {
    readCounter(cpu, cpu.cycleBase, cpu.cycleMark, (old & 1) !== 0, scratch);
    cpu.cycleBase.set(scratch);
    cpu.cycleMark = cpu.instret;
  }
  if ((old ^ v) & 4) {
    readCounter(cpu, cpu.instretBase, cpu.instretMark, (old & 4) !== 0, scratch);
    cpu.instretBase.set(scratch);
    cpu.instretMark = cpu.instret;
  }
  cpu.mcountinhibit = v;
}

/**
 * write_satp: MODE must be Bare, Sv39 or Sv48, otherwise the whole write is ignored (WARL; Linux
 * probes Sv57 → Sv48 → Sv39 this way). A change selects the TLB bank of the new address space
 * (tlb.ts): like an ASID-tagged TLB, nothing is flushed (QEMU 7.2 flushes everything).
 */
function write_satp(cpu: RiscvCpu, lo: number, hi: number): void {
  const mode = hi >>> 28;
  if (mode !== SatpMode.BARE && mode !== SatpMode.SV39 && mode !== SatpMode.SV48) return;
  const s = CsrSlot.SATP * 2;
  if (cpu.csr64[s] === lo && cpu.csr64[s + 1] === hi) return;
  cpu.csr64[s] = lo;
  cpu.csr64[s + 1] = hi;
  cpu.updateSatp();
  cpu.selectTlbBank();
}

/** Predicates and privilege checks of riscv_csrrw_check; false → illegal instruction. */
function csr_accessible(cpu: RiscvCpu, csr: number, write: boolean): boolean {
  if (write && csr >>> 10 === 3) return false;
  const priv = cpu.priv;
  if (priv < ((csr >>> 8) & 3)) return false;
  if (csr <= Csr.FCSR) return (cpu.mstatus & Mstatus.FS) !== 0;
  if (csr >= Csr.CYCLE && csr <= Csr.HPMCOUNTER31) {
    const bit = 1 << (csr - Csr.CYCLE);
    if (priv === Priv.S && !(cpu.mcounteren & bit)) return false;
    if (priv === Priv.U && !(cpu.mcounteren & cpu.scounteren & bit)) return false;
    return true;
  }
  if (csr === Csr.SATP && priv === Priv.S && cpu.mstatus & Mstatus.TVM) return false;
  return true;
}

const old = new Int32Array(2);

/**
 * Execute a Zicsr instruction (riscv_csrrw). `w` is the predecoded word (rd, rs1/uimm, funct3 in
 * the rs2 field), `csr` the CSR number. Returns false when an exception was raised.
 */
export function helper_csrrw(cpu: RiscvCpu, w: number, csr: number): boolean {
  const x = cpu.xr;
  const rd2 = (w >>> 8) & 127;
  const rs12 = (w >>> 15) & 127;
  const f3 = ((w >>> 22) & 127) >>> 1;
  const imm = f3 >= 5;
  let srcLo: number;
  let srcHi: number;
  if (imm) {
    srcLo = rs12 >>> 1;
    srcHi = 0;
  } else {
    srcLo = x[rs12];
    srcHi = x[rs12 + 1];
  }
  const op = f3 & 3; // 1 = RW, 2 = RS, 3 = RC
  // CSRRS/CSRRC with rs1 = x0 (or uimm = 0) do not write (ISA manual §9.1).
  const write = op === 1 || rs12 !== 0;
  if (!csr_accessible(cpu, csr, write) || !csr_read(cpu, csr, old, false)) {
    const rd = rd2 === 64 ? 0 : rd2 >>> 1;
    const raw = (csr << 20) | ((rs12 >>> 1) << 15) | (f3 << 12) | (rd << 7) | 0x73;
    return raise_exception(cpu, Excp.ILLEGAL_INST, raw, 0);
  }
  const oldLo = old[0];
  const oldHi = old[1];
  if (write) {
    // CSRRS/CSRRC on mip: only the software-writable SEIP bit takes part in the read-modify-write,
    // not the PLIC's line OR-ed into the value read (privileged spec §3.1.9; QEMU's csrrs/csrrc pass
    // rs1 as the write mask, so rmw_mip64 leaves software_seip alone). Else an M-mode `csrs mip, STIP`
    // (OpenSBI's timer handler) while SEIP is high would latch SEIP for good.
    const rmwLo = csr === Csr.MIP && !cpu.seipSw ? oldLo & ~Mip.SEIP : oldLo;
    let nLo: number;
    let nHi: number;
    if (op === 1) {
      nLo = srcLo;
      nHi = srcHi;
    } else if (op === 2) {
      nLo = rmwLo | srcLo;
      nHi = oldHi | srcHi;
    } else {
      nLo = rmwLo & ~srcLo;
      nHi = oldHi & ~srcHi;
    }
    csr_write(cpu, csr, nLo, nHi, false);
  }
  x[rd2] = oldLo;
  x[rd2 + 1] = oldHi;
  return true;
}
