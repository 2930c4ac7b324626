/**
 * SBI Hart State Management extension, EID 0x48534D "HSM" (SBI spec v1.0 chapter 9).
 *
 * Secondary harts boot STOPPED (`halted` = true, skipped by the run loop), as under OpenSBI with a
 * kernel that uses HSM. hart_start(hartid, start_addr, opaque) enters the target in S-mode at the
 * physical start_addr with a0 = hartid, a1 = opaque, satp = 0 and interrupts disabled (§9.1); the
 * run loop runs it from its next turn. hart_stop halts the calling hart for good (until started
 * again). Retentive suspend returns at once (a wakeup is allowed at any time, §9.4); non-retentive
 * suspend is not supported.
 */
import { err, ok, SBI_ERR_ALREADY_AVAILABLE, SBI_ERR_INVALID_ADDRESS, SBI_ERR_INVALID_PARAM, SBI_ERR_NOT_SUPPORTED, type SbiExtension } from './sbi';

export const SBI_EXT_HSM = 0x48534d;

// §9, Table 14: hart states.
export const SBI_HSM_STATE_STARTED = 0;
export const SBI_HSM_STATE_STOPPED = 1;

const SUSPEND_RETENTIVE_DEFAULT = 0x00000000n;
const SUSPEND_NONRETENTIVE_DEFAULT = 0x80000000n;

export const hsmExtension: SbiExtension = {
  name: 'HSM',
  eids: [SBI_EXT_HSM],
  call(sbi, { hart, fid, args }) {
    const harts = sbi.platform.harts;
    switch (fid) {
      case 0: {
        // sbi_hart_start(hartid, start_addr, opaque)
        const [id, start, opaque] = args;
        if (id >= BigInt(harts.length)) return err(SBI_ERR_INVALID_PARAM);
        const target = harts[Number(id)];
        if (sbi.hsmState[target.hartId] !== SBI_HSM_STATE_STOPPED) return err(SBI_ERR_ALREADY_AVAILABLE);
        if (start > BigInt(Number.MAX_SAFE_INTEGER) || !sbi.platform.isRam(Number(start), 2)) return err(SBI_ERR_INVALID_ADDRESS);
        sbi.platform.enterSupervisor(target, start, id, opaque);
        sbi.platform.stimer[target.hartId].disarm(); // a fresh hart has no timer armed
        target.halted = false;
        sbi.hsmState[target.hartId] = SBI_HSM_STATE_STARTED;
        return ok();
      }
      case 1:
        // sbi_hart_stop(): does not return on success.
        sbi.hsmState[hart.hartId] = SBI_HSM_STATE_STOPPED;
        hart.halted = true;
        return ok();
      case 2: {
        // sbi_hart_get_status(hartid)
        const id = args[0];
        if (id >= BigInt(harts.length)) return err(SBI_ERR_INVALID_PARAM);
        return ok(sbi.hsmState[Number(id)]);
      }
      case 3: {
        // sbi_hart_suspend(suspend_type, resume_addr, opaque)
        const type = args[0] & 0xffffffffn;
        if (type === SUSPEND_RETENTIVE_DEFAULT) return ok();
        if (type === SUSPEND_NONRETENTIVE_DEFAULT) return err(SBI_ERR_NOT_SUPPORTED);
        if ((type > 0n && type < 0x10000000n) || (type > SUSPEND_NONRETENTIVE_DEFAULT && type < 0x90000000n)) return err(SBI_ERR_INVALID_PARAM);
        return err(SBI_ERR_NOT_SUPPORTED); // platform-specific types: none
      }
      default:
        return err(SBI_ERR_NOT_SUPPORTED);
    }
  },
};
