/**
 * SBI Timer extension, EID 0x54494D45 "TIME" (SBI spec v1.0 chapter 6).
 *
 * sbi_set_timer(stime_value) programs this hart's supervisor comparator (an ACLINT comparator
 * driving STIP, see hw/intc/riscv-aclint.ts): STIP is raised once mtime >= stime_value and, as the
 * spec requires, a pending timer interrupt is cleared by the call when the new value lies in the
 * future. The CLINT's update()/nextDeadlineNs() cover these comparators, so the run loop's idle
 * sleep ends in time.
 */
import { err, ok, SBI_ERR_NOT_SUPPORTED, type BuiltinSbi, type SbiExtension, type SbiHart, type SbiRet } from './sbi';

export const SBI_EXT_TIME = 0x54494d45;

/** Shared with the legacy set_timer (EID 0x00). */
export function sbiSetTimer(sbi: BuiltinSbi, hart: SbiHart, stimeValue: bigint): SbiRet {
  sbi.platform.stimer[hart.hartId].set(Number(stimeValue));
  return ok();
}

export const timeExtension: SbiExtension = {
  name: 'TIME',
  eids: [SBI_EXT_TIME],
  call(sbi, { hart, fid, args }) {
    if (fid === 0) return sbiSetTimer(sbi, hart, args[0]);
    return err(SBI_ERR_NOT_SUPPORTED);
  },
};
