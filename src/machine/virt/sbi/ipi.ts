/**
 * SBI IPI extension, EID 0x735049 "sPI" (SBI spec v1.0 chapter 7).
 *
 * sbi_send_ipi(hart_mask, hart_mask_base) sets SSIP on each target hart (what OpenSBI does on the
 * target after its M-mode software interrupt). Stopped harts are skipped, as OpenSBI sends only to
 * interruptible harts; an invalid hart id fails with SBI_ERR_INVALID_PARAM.
 */
import { Mip } from '../../../target/riscv/cpu-api';
import { err, hartMaskTargets, ok, SBI_ERR_INVALID_PARAM, SBI_ERR_NOT_SUPPORTED, type BuiltinSbi, type SbiExtension, type SbiRet } from './sbi';

export const SBI_EXT_IPI = 0x735049;

/** Raise SSIP on the given harts (shared with the legacy send_ipi). */
export function sbiSendIpi(sbi: BuiltinSbi, targets: readonly number[]): SbiRet {
  for (const id of targets) {
    const h = sbi.platform.harts[id];
    if (!h.halted) h.setInterruptPending(Mip.SSIP, true);
  }
  return ok();
}

export const ipiExtension: SbiExtension = {
  name: 'IPI',
  eids: [SBI_EXT_IPI],
  call(sbi, { fid, args }) {
    if (fid !== 0) return err(SBI_ERR_NOT_SUPPORTED);
    const targets = hartMaskTargets(sbi, args[0], args[1]);
    return targets === undefined ? err(SBI_ERR_INVALID_PARAM) : sbiSendIpi(sbi, targets);
  },
};
