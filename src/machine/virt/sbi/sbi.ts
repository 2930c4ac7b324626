/**
 * vtrace's built-in SBI firmware (`-bios default`): no guest firmware code runs; the harts start in
 * S-mode and every ECALL from S-mode lands in `BuiltinSbi.handle` (RiscvHart.ecallHandler), which
 * implements the RISC-V Supervisor Binary Interface spec v1.0 natively: Base, TIME, IPI, RFENCE,
 * HSM, SRST and the legacy v0.1 extensions (one file per extension in this folder).
 *
 * Calling convention (SBI spec §3): a7 = EID, a6 = FID, a0..a5 = arguments; v0.2+ extensions return
 * a0 = error code, a1 = value; legacy extensions return a0 only and leave a1 alone.
 *
 * Contract with the hart (cpu-api.ts EcallHandler): called on the machine thread from inside
 * `hart.run()` for an ECALL executed in S-mode, with pc at the ECALL. The handler writes the result
 * registers and returns true (unknown calls answer SBI_ERR_NOT_SUPPORTED); the hart then advances
 * pc past the ECALL. Calls that stop the calling hart (HSM hart_stop, SRST) set `hart.halted`; the
 * hart then leaves run() with { kind: 'wfi' } before executing another instruction.
 */
import type { RiscvHart } from '../../../target/riscv/cpu-api';
import type { TimerComparator } from '../../../hw/intc/riscv-aclint';
import type { ShutdownRequest } from '../../../hw/misc/sifive-test';

// SBI spec v1.0 §3.2, Table 1: standard error codes.
export const SBI_SUCCESS = 0;
export const SBI_ERR_FAILED = -1;
export const SBI_ERR_NOT_SUPPORTED = -2;
export const SBI_ERR_INVALID_PARAM = -3;
export const SBI_ERR_DENIED = -4;
export const SBI_ERR_INVALID_ADDRESS = -5;
export const SBI_ERR_ALREADY_AVAILABLE = -6;
export const SBI_ERR_ALREADY_STARTED = -7;
export const SBI_ERR_ALREADY_STOPPED = -8;

/** What the SBI needs of a hart beyond the RiscvHart contract: remote fences (RiscvCpu has both). */
export interface SbiHart extends RiscvHart {
  /** SFENCE.VMA on the hart's behalf: drop every cached translation. */
  tlbFlush(): void;
  /** FENCE.I on the hart's behalf: drop decoded instructions. */
  flushIcache(): void;
}

/** The board services the SBI uses. Provided by the machine (virt.ts). */
export interface SbiPlatform {
  readonly harts: readonly SbiHart[];
  /** Per hart: the supervisor timer comparator (drives STIP) on the CLINT's clock. */
  readonly stimer: readonly TimerComparator[];
  /** Console output byte (legacy console_putchar): straight to the UART's backend. */
  putchar(byte: number): void;
  /** Console input byte or -1 (legacy console_getchar), polled from the UART as OpenSBI does. */
  getchar(): number;
  /** System reset / shutdown (SRST, legacy shutdown). */
  shutdown(r: ShutdownRequest): void;
  /** True when [addr, addr+len) is RAM (valid HSM start addresses). */
  isRam(addr: number, len: number): boolean;
  /** Put `hart` in the state OpenSBI leaves before entering S-mode at `pc` with a0, a1 (./boot-state.ts). */
  enterSupervisor(hart: SbiHart, pc: bigint, a0: bigint, a1: bigint): void;
}

/** A call's arguments and result. Values are unsigned 64-bit bigints. */
export interface SbiCall {
  hart: SbiHart;
  eid: number;
  fid: number;
  args: bigint[]; // a0..a5
}

export interface SbiRet {
  error: number;
  value: bigint;
}

export const ok = (value: bigint | number = 0n): SbiRet => ({ error: SBI_SUCCESS, value: BigInt(value) });
export const err = (error: number): SbiRet => ({ error, value: 0n });

/** One extension: its EIDs and its function dispatcher. */
export interface SbiExtension {
  readonly name: string;
  /** Extension IDs served (the legacy extension serves 0x00..0x08). */
  readonly eids: readonly number[];
  /** Legacy (v0.1) calling convention: only a0 is written. */
  readonly legacy?: boolean;
  call(sbi: BuiltinSbi, c: SbiCall): SbiRet;
}

const U64 = (1n << 64n) - 1n;

/** Decode SBI spec §3.3 (hart_mask, hart_mask_base) into hart ids; undefined when a hart id is invalid. */
export function hartMaskTargets(sbi: BuiltinSbi, mask: bigint, base: bigint): number[] | undefined {
  const n = sbi.platform.harts.length;
  if (base === U64) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0n; mask >> i !== 0n; i++) {
    if (((mask >> i) & 1n) === 0n) continue;
    const id = base + i;
    if (id >= BigInt(n)) return undefined;
    out.push(Number(id));
  }
  return out;
}

export class BuiltinSbi {
  private readonly byEid = new Map<number, SbiExtension>();
  /** HSM state per hart (SBI spec §9: STARTED 0, STOPPED 1, ...). */
  readonly hsmState: number[];

  constructor(
    readonly platform: SbiPlatform,
    extensions: readonly SbiExtension[],
  ) {
    for (const e of extensions) for (const id of e.eids) this.byEid.set(id, e);
    this.hsmState = platform.harts.map(() => 0);
  }

  /** Base probe_extension. */
  has(eid: number): boolean {
    return this.byEid.has(eid);
  }

  /** The EcallHandler: install with `hart.ecallHandler = (h) => sbi.handle(h as SbiHart)`. */
  handle(hart: SbiHart): boolean {
    const eid = Number(hart.getGpr(17) & 0xffffffffn);
    const fid = Number(hart.getGpr(16) & 0xffffffffn);
    const args = [10, 11, 12, 13, 14, 15].map((r) => hart.getGpr(r));
    const ext = this.byEid.get(eid);
    const r = ext === undefined ? err(SBI_ERR_NOT_SUPPORTED) : ext.call(this, { hart, eid, fid, args });
    hart.setGpr(10, BigInt.asUintN(64, BigInt(r.error === SBI_SUCCESS && ext?.legacy ? r.value : BigInt(r.error))));
    if (!ext?.legacy) hart.setGpr(11, BigInt.asUintN(64, r.value));
    return true;
  }
}
