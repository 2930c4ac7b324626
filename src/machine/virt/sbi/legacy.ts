/**
 * SBI v0.1 legacy extensions, EIDs 0x00..0x08 (SBI spec v1.0 chapter 5). Each returns its result
 * in a0 only. Linux still uses console_putchar/getchar (earlycon=sbi, the hvc_riscv_sbi console).
 * Hart masks are passed by reference: a virtual address (in the caller's S-mode address space) of
 * an unsigned long bitmap; 0 means every hart (OpenSBI's reading).
 */
import { Mip } from '../../../target/riscv/cpu-api';
import { err, ok, SBI_ERR_INVALID_ADDRESS, SBI_ERR_NOT_SUPPORTED, type BuiltinSbi, type SbiExtension, type SbiHart } from './sbi';
import { sbiSendIpi } from './ipi';
import { sbiRemoteFence } from './rfence';
import { sbiSetTimer } from './time';

export const SBI_EXT_0_1_SET_TIMER = 0x0;
export const SBI_EXT_0_1_CONSOLE_PUTCHAR = 0x1;
export const SBI_EXT_0_1_CONSOLE_GETCHAR = 0x2;
export const SBI_EXT_0_1_CLEAR_IPI = 0x3;
export const SBI_EXT_0_1_SEND_IPI = 0x4;
export const SBI_EXT_0_1_REMOTE_FENCE_I = 0x5;
export const SBI_EXT_0_1_REMOTE_SFENCE_VMA = 0x6;
export const SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID = 0x7;
export const SBI_EXT_0_1_SHUTDOWN = 0x8;

/** Read the legacy hart mask at virtual `ptr`; undefined when unreadable. */
function loadHartMask(sbi: BuiltinSbi, hart: SbiHart, ptr: bigint): number[] | undefined {
  const n = sbi.platform.harts.length;
  if (ptr === 0n) return Array.from({ length: n }, (_, i) => i);
  const bytes = hart.readVirt(ptr, 8);
  if (bytes === undefined) return undefined;
  const mask = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if ((mask >> BigInt(i)) & 1n) out.push(i);
  return out;
}

export const legacyExtension: SbiExtension = {
  name: 'Legacy',
  eids: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  legacy: true,
  call(sbi, { hart, eid, args }) {
    switch (eid) {
      case SBI_EXT_0_1_SET_TIMER:
        return sbiSetTimer(sbi, hart, args[0]);
      case SBI_EXT_0_1_CONSOLE_PUTCHAR:
        sbi.platform.putchar(Number(args[0] & 0xffn));
        return ok();
      case SBI_EXT_0_1_CONSOLE_GETCHAR:
        return ok(BigInt(sbi.platform.getchar()));
      case SBI_EXT_0_1_CLEAR_IPI:
        hart.setInterruptPending(Mip.SSIP, false);
        return ok();
      case SBI_EXT_0_1_SEND_IPI:
      case SBI_EXT_0_1_REMOTE_FENCE_I:
      case SBI_EXT_0_1_REMOTE_SFENCE_VMA:
      case SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID: {
        const targets = loadHartMask(sbi, hart, args[0]);
        if (targets === undefined) return err(SBI_ERR_INVALID_ADDRESS);
        if (eid === SBI_EXT_0_1_SEND_IPI) return sbiSendIpi(sbi, targets);
        return sbiRemoteFence(sbi, targets, eid === SBI_EXT_0_1_REMOTE_FENCE_I ? 'fence.i' : 'sfence.vma');
      }
      case SBI_EXT_0_1_SHUTDOWN:
        sbi.platform.shutdown({ kind: 'poweroff', code: 0 });
        return ok();
      default:
        return err(SBI_ERR_NOT_SUPPORTED);
    }
  },
};
