/**
 * SBI Base extension, EID 0x10 (SBI spec v1.0 chapter 4): spec and implementation versions,
 * extension probing and the hart's machine identification CSRs.
 */
import { err, ok, SBI_ERR_NOT_SUPPORTED, type SbiExtension } from './sbi';

export const SBI_EXT_BASE = 0x10;

/** We implement SBI spec v1.0: (major << 24) | minor. */
export const SBI_SPEC_VERSION = (1 << 24) | 0;
/**
 * Implementation ID. The spec's registry (§4.9) lists BBL 0, OpenSBI 1, Xvisor 2, KVM 3, RustSBI 4,
 * Diosix 5, Coffer 6, Xen 7, PolarFire HSS 8, coreboot 9, oreboot 10, bhyve 11. vtrace's built-in
 * firmware is none of those; it answers an unregistered ID ('vt') so no guest mistakes it for one.
 */
export const SBI_IMPL_ID_VTRACE = 0x7674;
/** Implementation version (major << 16 | minor), like OpenSBI's encoding. */
export const SBI_IMPL_VERSION = (0 << 16) | 1;

const CSR_MVENDORID = 0xf11;
const CSR_MARCHID = 0xf12;
const CSR_MIMPID = 0xf13;

export const baseExtension: SbiExtension = {
  name: 'Base',
  eids: [SBI_EXT_BASE],
  call(sbi, { hart, fid, args }) {
    switch (fid) {
      case 0: // sbi_get_spec_version
        return ok(SBI_SPEC_VERSION);
      case 1: // sbi_get_impl_id
        return ok(SBI_IMPL_ID_VTRACE);
      case 2: // sbi_get_impl_version
        return ok(SBI_IMPL_VERSION);
      case 3: {
        // sbi_probe_extension: 0 = not available, nonzero (1) = available.
        const eid = args[0];
        return ok(eid <= 0xffffffffn && sbi.has(Number(eid)) ? 1 : 0);
      }
      case 4: // sbi_get_mvendorid
        return ok(hart.getCsr(CSR_MVENDORID) ?? 0n);
      case 5: // sbi_get_marchid
        return ok(hart.getCsr(CSR_MARCHID) ?? 0n);
      case 6: // sbi_get_mimpid
        return ok(hart.getCsr(CSR_MIMPID) ?? 0n);
      default:
        return err(SBI_ERR_NOT_SUPPORTED);
    }
  },
};
