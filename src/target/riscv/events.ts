/**
 * Run-loop signalling shared by the interpreter (exec.ts) and the helpers that change state
 * behind its back, plus the StopReason values without payload (allocated once).
 */

import type { StopReason } from './cpu-api';

/**
 * Bits of RiscvCpu.events. The loop tests `events !== 0` before every instruction; anything that
 * changes what the next instruction sees sets a bit:
 *  - IRQ: mip/mie/mideleg/mstatus.xIE/priv changed: re-evaluate pending interrupts.
 *  - STOP: requestStop(), a watchpoint hit, a halting SBI call: return from run().
 *  - CTX: priv/satp, TLB or decode-cache flush, pc or breakpoints set from outside: reload the
 *    loop's cached translation state and look the current code page up again.
 *  - DATA: only the data-side MMU index changed (mstatus.SUM/MPRV/MPP): reload it, keep fetching
 *    from the current page (Linux toggles SUM around every user copy).
 */
export const enum Ev {
  IRQ = 1,
  STOP = 2,
  CTX = 4,
  DATA = 8,
}

export const STOP_BUDGET: StopReason = Object.freeze({ kind: 'budget' });
export const STOP_WFI: StopReason = Object.freeze({ kind: 'wfi' });
export const STOP_INTERRUPTED: StopReason = Object.freeze({ kind: 'interrupted' });
export const STOP_STEPPED: StopReason = Object.freeze({ kind: 'stepped' });

/**
 * pc value standing for "a jump target outside ±2^52" (2^62); the exact 64-bit target is kept in
 * RiscvCpu.farPcLo/farPcHi. Such a pc can only fault on fetch, which reports the exact value.
 */
export const enum FarPc {
  VALUE = 4611686018427387904,
}
