/**
 * SBI System Reset extension, EID 0x53525354 "SRST" (SBI spec v1.0 chapter 10).
 *
 * Shutdown powers the machine off with exit code 0 and reboots request a reset, as OpenSBI does
 * on `virt` through the sifive_test device (whatever the reason argument says). On success the
 * call does not return: every hart is halted by the machine's shutdown path.
 */
import { err, ok, SBI_ERR_INVALID_PARAM, SBI_ERR_NOT_SUPPORTED, type SbiExtension } from './sbi';

export const SBI_EXT_SRST = 0x53525354;

const SBI_SRST_RESET_TYPE_SHUTDOWN = 0n;
const SBI_SRST_RESET_TYPE_COLD_REBOOT = 1n;
const SBI_SRST_RESET_TYPE_WARM_REBOOT = 2n;

export const srstExtension: SbiExtension = {
  name: 'SRST',
  eids: [SBI_EXT_SRST],
  call(sbi, { fid, args }) {
    if (fid !== 0) return err(SBI_ERR_NOT_SUPPORTED);
    const type = args[0] & 0xffffffffn;
    const reason = args[1] & 0xffffffffn;
    // Table 16/17: types 3..0xEFFFFFFF and reasons 2..0xDFFFFFFF are reserved.
    if (type > SBI_SRST_RESET_TYPE_WARM_REBOOT && type < 0xf0000000n) return err(SBI_ERR_INVALID_PARAM);
    if (reason > 1n && reason < 0xe0000000n) return err(SBI_ERR_INVALID_PARAM);
    if (type >= 0xf0000000n) return err(SBI_ERR_NOT_SUPPORTED); // vendor types: none
    if (type === SBI_SRST_RESET_TYPE_SHUTDOWN) sbi.platform.shutdown({ kind: 'poweroff', code: 0 });
    else if (type === SBI_SRST_RESET_TYPE_COLD_REBOOT || type === SBI_SRST_RESET_TYPE_WARM_REBOOT) sbi.platform.shutdown({ kind: 'reset', code: 0 });
    return ok();
  },
};
