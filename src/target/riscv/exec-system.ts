/**
 * The ops the interpreter loop (exec.ts) does not inline: SYSTEM (ECALL, EBREAK, xRET, WFI,
 * SFENCE.VMA, Zicsr), the A extension, F/D loads/stores and OP-FP, and illegal encodings. Keeping
 * them out of cpu_exec keeps that function small (cheaper for V8 to optimize) and free of
 * branches that only run rarely (each first run of such a branch would deoptimize it).
 *
 * Contract: the loop has synced cpu.pc (this instruction's address) and cpu.runN.
 */

import { Priv } from './cpu-api';
import type { RiscvCpu } from './cpu';
import { Excp, Mstatus } from './cpu-bits';
import { Ev, STOP_WFI } from './events';
import { raw_insn_at_pc } from './fetch';
import { fp_load, fp_store } from './ldst';
import { helper_amo, helper_lr, helper_sc } from './atomics';
import { helper_csrrw } from './csr';
import { helper_mret, helper_sret, helper_tlb_flush, helper_wfi, raise_exception } from './trap';
import { Op } from './ops';
import { cpuTraceHooks } from './trace-hooks';
import { executeOpFp } from './fpu';

/** Results of exec_system. */
export const enum Sys {
  /** Completed: continue with the next instruction. */
  NEXT = 0,
  /** Continue at cpu.pc (an exception was taken, or xRET jumped). */
  JUMP = 1,
  /** WFI with nothing pending: pc is past the WFI, the run loop should idle. */
  WFI = 2,
}

export function exec_system(cpu: RiscvCpu, w: number, imm: number): Sys {
  switch (w & 0xff) {
    case Op.CSR:
      return helper_csrrw(cpu, w, imm) ? Sys.NEXT : Sys.JUMP;
    case Op.LR:
      return helper_lr(cpu, w, imm) ? Sys.NEXT : Sys.JUMP;
    case Op.SC:
      return helper_sc(cpu, w, imm) ? Sys.NEXT : Sys.JUMP;
    case Op.AMO:
      return helper_amo(cpu, w, imm) ? Sys.NEXT : Sys.JUMP;
    case Op.FLW:
    case Op.FLD:
    case Op.FSW:
    case Op.FSD: {
      if ((cpu.mstatus & Mstatus.FS) === 0) {
        raise_exception(cpu, Excp.ILLEGAL_INST, raw_insn_at_pc(cpu), 0);
        return Sys.JUMP;
      }
      const op = w & 0xff;
      const size = op === Op.FLW || op === Op.FSW ? 4 : 8;
      const ok = op === Op.FLW || op === Op.FLD ? fp_load(cpu, w, imm, size) : fp_store(cpu, w, imm, size);
      return ok ? Sys.NEXT : Sys.JUMP;
    }
    case Op.FP_F:
    case Op.FP_X:
      if ((cpu.mstatus & Mstatus.FS) === 0 || !executeOpFp(cpu, imm)) {
        raise_exception(cpu, Excp.ILLEGAL_INST, imm, 0);
        return Sys.JUMP;
      }
      // Only instructions writing an FP register dirty the FP state (as QEMU's mark_fs_dirty).
      if ((w & 0xff) === Op.FP_F) cpu.mstatus |= Mstatus.FS;
      return Sys.NEXT;
    case Op.ECALL: {
      const h = cpu.ecallHandler;
      if (cpu.priv === Priv.S && h !== null && h(cpu)) {
        // The built-in SBI completed the call; it may have changed any state. The call is a trap
        // into the firmware, as on QEMU with OpenSBI: riscv_trap reports it (pc: the ecall).
        const th = cpuTraceHooks.riscv_trap;
        if (th !== null) th(cpu, Excp.U_ECALL + Priv.S, false, 0, 0);
        cpu.events |= Ev.IRQ | Ev.CTX;
        if (cpu.halted) {
          cpu.stopReason = STOP_WFI;
          cpu.events |= Ev.STOP;
        }
        return Sys.NEXT;
      }
      raise_exception(cpu, Excp.U_ECALL, 0, 0);
      return Sys.JUMP;
    }
    case Op.EBREAK:
      raise_exception(cpu, Excp.BREAKPOINT, 0, 0);
      return Sys.JUMP;
    case Op.MRET:
      helper_mret(cpu);
      return Sys.JUMP;
    case Op.SRET:
      helper_sret(cpu);
      return Sys.JUMP;
    case Op.WFI:
      if (!helper_wfi(cpu)) return Sys.JUMP;
      if ((cpu.mip & cpu.mie) === 0) {
        cpu.wfiWaiting = true;
        return Sys.WFI;
      }
      return Sys.NEXT;
    case Op.SFENCE_VMA:
      return helper_tlb_flush(cpu, imm) ? Sys.NEXT : Sys.JUMP;
    default:
      // Op.ILLEGAL: imm holds the instruction bits (mtval), 16 or 32 of them.
      raise_exception(cpu, Excp.ILLEGAL_INST, imm, 0);
      return Sys.JUMP;
  }
}
