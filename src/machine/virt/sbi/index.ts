/**
 * Assembles the built-in SBI firmware with every extension vtrace implements (see ./sbi.ts).
 */
import { baseExtension } from './base';
import { hsmExtension, SBI_HSM_STATE_STARTED, SBI_HSM_STATE_STOPPED } from './hsm';
import { ipiExtension } from './ipi';
import { legacyExtension } from './legacy';
import { rfenceExtension } from './rfence';
import { BuiltinSbi, type SbiPlatform } from './sbi';
import { srstExtension } from './srst';
import { timeExtension } from './time';

export { BuiltinSbi, type SbiHart, type SbiPlatform } from './sbi';
export { enterSupervisor } from './boot-state';

export const SBI_EXTENSIONS = [legacyExtension, baseExtension, timeExtension, ipiExtension, rfenceExtension, hsmExtension, srstExtension];

/**
 * Create the firmware for `platform` and boot it: hart `bootHart` enters S-mode at `entry` with
 * a0 = hartid, a1 = fdtAddr; the others are STOPPED (halted) until an HSM hart_start. Installs the
 * ECALL handler on every hart.
 */
export function bootBuiltinSbi(platform: SbiPlatform, entry: bigint, fdtAddr: bigint, bootHart = 0): BuiltinSbi {
  const sbi = new BuiltinSbi(platform, SBI_EXTENSIONS);
  for (const h of platform.harts) {
    h.ecallHandler = () => sbi.handle(h);
    platform.enterSupervisor(h, entry, BigInt(h.hartId), fdtAddr);
    platform.stimer[h.hartId].disarm();
    if (h.hartId === bootHart) sbi.hsmState[h.hartId] = SBI_HSM_STATE_STARTED;
    else {
      sbi.hsmState[h.hartId] = SBI_HSM_STATE_STOPPED;
      h.halted = true;
    }
  }
  return sbi;
}
