/**
 * The machine-mode state OpenSBI (lib/sbi/sbi_hart.c, v1.1) leaves behind when it enters the
 * supervisor, reproduced without running any M-mode code, for the built-in SBI. Used for the boot
 * hart at reset and for every HSM hart_start.
 *
 *  - medeleg: OpenSBI delegates misaligned fetch, breakpoint, U-mode ECALL and the page faults, and
 *    redirects access faults, illegal instructions and misaligned accesses it cannot emulate to
 *    S-mode itself. With no M-mode code to do the redirect, all of those are delegated directly;
 *    the supervisor sees the same causes and tvals. ECALL from S stays with M (our ecallHandler).
 *  - mideleg: SSIP, STIP, SEIP.
 *  - mcounteren: cycle, time, instret readable from S/U.
 *  - mstatus: FS = Initial (the F/D state is usable), MPRV/SUM/MXR clear, SIE clear.
 *  - PMP entry 0: NAPOT over the whole address space, RWX (privileged spec §3.7: with any PMP entry
 *    implemented, S/U accesses that match none fail, so one open entry is needed).
 *  - satp = 0, priv = S, pc = entry, a0 = hartid (or the HSM argument), a1 = FDT (or opaque).
 */
import { Priv } from '../../../target/riscv/cpu-api';
import type { SbiHart } from './sbi';

const CSR_MSTATUS = 0x300;
const CSR_MEDELEG = 0x302;
const CSR_MIDELEG = 0x303;
const CSR_MCOUNTEREN = 0x306;
const CSR_SCOUNTEREN = 0x106;
const CSR_PMPCFG0 = 0x3a0;
const CSR_PMPADDR0 = 0x3b0;

const MSTATUS_FS_INITIAL = 1n << 13n;

// Exception causes (privileged spec Table 3.6).
const CAUSE_MISALIGNED_FETCH = 0;
const CAUSE_FETCH_ACCESS = 1;
const CAUSE_ILLEGAL_INSTRUCTION = 2;
const CAUSE_BREAKPOINT = 3;
const CAUSE_MISALIGNED_LOAD = 4;
const CAUSE_LOAD_ACCESS = 5;
const CAUSE_MISALIGNED_STORE = 6;
const CAUSE_STORE_ACCESS = 7;
const CAUSE_USER_ECALL = 8;
const CAUSE_FETCH_PAGE_FAULT = 12;
const CAUSE_LOAD_PAGE_FAULT = 13;
const CAUSE_STORE_PAGE_FAULT = 15;

export const SBI_MEDELEG = [
  CAUSE_MISALIGNED_FETCH,
  CAUSE_FETCH_ACCESS,
  CAUSE_ILLEGAL_INSTRUCTION,
  CAUSE_BREAKPOINT,
  CAUSE_MISALIGNED_LOAD,
  CAUSE_LOAD_ACCESS,
  CAUSE_MISALIGNED_STORE,
  CAUSE_STORE_ACCESS,
  CAUSE_USER_ECALL,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_PAGE_FAULT,
].reduce((m, c) => m | (1n << BigInt(c)), 0n);

/** SSIP | STIP | SEIP */
export const SBI_MIDELEG = (1n << 1n) | (1n << 5n) | (1n << 9n);
/** CY | TM | IR */
export const SBI_MCOUNTEREN = 0x7n;
/** pmpcfg0 entry 0: R | W | X | A = NAPOT; pmpaddr0 all ones = every address. */
const PMPCFG_RWX_NAPOT = 0x1fn;
const PMPADDR_ALL = (1n << 54n) - 1n;

/**
 * Reset `hart` and leave it as OpenSBI enters the supervisor at `pc` with a0, a1.
 * Clears `halted` (hart.reset does); callers that keep a hart stopped set it afterwards.
 */
export function enterSupervisor(hart: SbiHart, pc: bigint, a0: bigint, a1: bigint): void {
  hart.reset(pc);
  const set = (csr: number, v: bigint) => {
    if (!hart.setCsr(csr, v)) throw new Error(`built-in SBI: hart ${hart.hartId} lacks CSR 0x${csr.toString(16)}`);
  };
  set(CSR_PMPADDR0, PMPADDR_ALL);
  set(CSR_PMPCFG0, PMPCFG_RWX_NAPOT);
  set(CSR_MEDELEG, SBI_MEDELEG);
  set(CSR_MIDELEG, SBI_MIDELEG);
  set(CSR_MCOUNTEREN, SBI_MCOUNTEREN);
  // OpenSBI's mstatus_init also opens the counters to U-mode (scounteren = all ones); Linux 6.1
  // never writes scounteren, and its vDSO reads `time` from U-mode (gettimeofday).
  set(CSR_SCOUNTEREN, SBI_MCOUNTEREN);
  set(CSR_MSTATUS, MSTATUS_FS_INITIAL);
  hart.setGpr(10, a0);
  hart.setGpr(11, a1);
  hart.setPriv(Priv.S);
}
