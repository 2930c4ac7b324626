/**
 * SBI RFENCE extension, EID 0x52464E43 "RFNC" (SBI spec v1.0 chapter 8).
 *
 * remote_fence_i flushes the targets' decoded instructions; remote_sfence_vma(_asid) flushes their
 * cached translations. Our harts drop everything (a superset of the requested range or ASID is
 * allowed by the spec: the fence may be more conservative). The calling hart's own flush takes
 * effect before its next instruction. The hypervisor fences (FIDs 3..6) need the H extension,
 * which our hart lacks: SBI_ERR_NOT_SUPPORTED.
 */
import { err, hartMaskTargets, ok, SBI_ERR_INVALID_PARAM, SBI_ERR_NOT_SUPPORTED, type BuiltinSbi, type SbiExtension, type SbiRet } from './sbi';

export const SBI_EXT_RFENCE = 0x52464e43;

export type FenceKind = 'fence.i' | 'sfence.vma';

/** Apply a remote fence to the given harts (shared with the legacy remote fences). */
export function sbiRemoteFence(sbi: BuiltinSbi, targets: readonly number[], kind: FenceKind): SbiRet {
  for (const id of targets) {
    const h = sbi.platform.harts[id];
    if (h.halted) continue; // a stopped hart starts with clean state anyway
    if (kind === 'fence.i') h.flushIcache();
    else h.tlbFlush();
  }
  return ok();
}

export const rfenceExtension: SbiExtension = {
  name: 'RFENCE',
  eids: [SBI_EXT_RFENCE],
  call(sbi, { fid, args }) {
    if (fid > 2) return err(SBI_ERR_NOT_SUPPORTED);
    const targets = hartMaskTargets(sbi, args[0], args[1]);
    if (targets === undefined) return err(SBI_ERR_INVALID_PARAM);
    return sbiRemoteFence(sbi, targets, fid === 0 ? 'fence.i' : 'sfence.vma');
  },
};
