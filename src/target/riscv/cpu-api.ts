/**
 * The typed contract between a RISC-V hart and everything that drives or inspects it: the board
 * (interrupt lines, time, the built-in SBI), the machine's run loop, and the debug front ends
 * (console, gdb stub, differential tests). The front ends never reach into the interpreter's
 * internals; they use this API (DESIGN.md §4: "The core knows no front end").
 *
 * 64-bit quantities cross this API as bigint (unsigned, 0 .. 2^64-1): it is the slow, exact path.
 * The interpreter's own representation stays private to it.
 */

/** Privilege levels (RISC-V privileged spec §1.2). */
export const enum Priv {
  U = 0,
  S = 1,
  M = 3,
}

/** Interrupt-pending bits of mip (privileged spec §3.1.9). */
export const enum Mip {
  SSIP = 1 << 1,
  MSIP = 1 << 3,
  STIP = 1 << 5,
  MTIP = 1 << 7,
  SEIP = 1 << 9,
  MEIP = 1 << 11,
}

/** Why `run`/`step` returned. Typed values, not strings (DESIGN.md §4). */
export type StopReason =
  /** The instruction budget was used up; nothing special happened. */
  | { kind: 'budget' }
  /** The hart executed WFI with no enabled interrupt pending: the run loop may idle the host. */
  | { kind: 'wfi' }
  /** An execution breakpoint at `pc` (virtual) was reached; the instruction has not executed. */
  | { kind: 'breakpoint'; pc: bigint }
  /** A memory watchpoint fired: the access at virtual `addr` has completed (write) or is about to (read). */
  | { kind: 'watchpoint'; type: 'write' | 'read' | 'access'; addr: bigint; id: number }
  /** `requestStop()` was called (Ctrl-C, a debugger, another hart's stop). */
  | { kind: 'interrupted' }
  /** One instruction completed (step). */
  | { kind: 'stepped' };

/** Who handles an ECALL before it becomes a trap. Used by the built-in SBI firmware. */
export type EcallHandler = (hart: RiscvHart) => boolean;

export interface Watchpoint {
  id: number;
  /** Virtual address range [addr, addr+len). */
  addr: bigint;
  len: number;
  type: 'write' | 'read' | 'access';
}

/**
 * Instrumentation for plugins (src/plugin/tb.ts builds QEMU-style translation blocks and callbacks
 * on it; src/target/riscv/exec-hooks.ts runs it). Zero cost unless set: with `setExecHooks(null)`,
 * the default, run() and step() are the plain interpreter with its compiled blocks (one null check
 * per call). With hooks set, the hart executes one instruction per interpreter entry, compiles
 * nothing new, and calls:
 *  - `insn(hart, pc, paddr)` before each instruction that is about to execute — not when an
 *    interrupt is taken instead, not when its fetch faults, not at a breakpoint that stops. `pc` is
 *    the virtual pc as a signed double (an address ≥ 2^63 is negative), `paddr` its physical address.
 *  - `mem(hart, vaddr, paddr, size, kind)` for each data access once translated (and past any
 *    watchpoint), before it is performed: loads and stores (FP too), LR (kind 1), SC (2), AMOs (3);
 *    kind 1 read, 2 write, 3 read-modify-write. `vaddr` as `pc` above. A page-crossing access is
 *    reported once per page, with that page's part. While `mem` is set, data accesses do not use
 *    the fast TLB path (setExecHooks flushes it).
 * Hooks run on the machine's thread inside run(); they must not throw. They may read the hart
 * through this API (registers, readVirt), change nothing, and may call setExecHooks (the change
 * applies from the next instruction).
 */
export interface ExecHooks {
  insn: ((hart: RiscvHart, pc: number, paddr: number) => void) | null;
  mem: ((hart: RiscvHart, vaddr: number, paddr: number, size: number, kind: number) => void) | null;
}

/** What the board, run loop and debuggers use. Implemented by src/target/riscv/cpu.ts. */
export interface RiscvHart {
  readonly hartId: number;

  // ---- running ----
  /**
   * Execute up to `budget` instructions (trap entries count as one). Returns early on WFI idle,
   * breakpoint, watchpoint or requestStop(). Called by the machine's run loop on the machine thread.
   */
  run(budget: number): StopReason;
  /** Execute exactly one instruction (or take one pending interrupt). Ignores breakpoints at pc. */
  step(): StopReason;
  /** Ask `run` to return `{kind:'interrupted'}` at the next instruction boundary. Safe from any callback. */
  requestStop(): void;
  /** Instructions retired so far (minstret). */
  readonly instret: number;
  /** Install (or with null remove) the instrumentation hooks (ExecHooks above). */
  setExecHooks(hooks: ExecHooks | null): void;

  // ---- board side ----
  /**
   * Drive interrupt-pending bits of mip that hardware owns (MEIP/SEIP from the PLIC, MTIP/MSIP
   * from the ACLINT, STIP from the built-in SBI timer). Takes effect before the next instruction.
   */
  setInterruptPending(mask: number, level: boolean): void;
  /** The ECALL hook for the built-in SBI: called for ECALL from S-mode; true = handled (pc advanced). */
  ecallHandler: EcallHandler | null;
  /** True while halted by HSM (hart stopped) — the run loop skips it. */
  halted: boolean;
  /**
   * Drop this hart's LR reservation. The round-robin run loop calls it when it switches harts,
   * so an SC never succeeds across another hart's slice (which may have stored to the address).
   */
  clearReservation(): void;
  /**
   * Guest RAM [paddr, paddr+len) was written behind the CPU's back (virtio DMA into guest buffers,
   * worker threads, loaders, a debugger writing physical memory): forget any decoded or compiled
   * code for those bytes before the guest executes them. CPU stores need no call (the decode
   * cache is coherent with them). Cheap when the range holds no code. Any hart of the address
   * space will do: the decode cache is shared.
   */
  invalidateCode(paddr: number, len: number): void;
  /** FENCE.I on behalf of another hart (SBI remote fence.i). */
  flushIcache(): void;
  /** SFENCE.VMA (all addresses, all ASIDs) on behalf of another hart (SBI remote sfence.vma). */
  tlbFlush(): void;
  /** Reset to the boot state: pc, priv M, registers as the reset vector leaves them. */
  reset(pc: bigint): void;

  // ---- registers (debug API) ----
  readonly priv: Priv;
  setPriv(p: Priv): void;
  getPc(): bigint;
  setPc(pc: bigint): void;
  getGpr(i: number): bigint;
  setGpr(i: number, v: bigint): void;
  /** Raw 64-bit pattern of f[i] (a NaN-boxed single shows its box). */
  getFpr(i: number): bigint;
  setFpr(i: number, v: bigint): void;
  /** CSR read without side effects; undefined if the CSR does not exist. */
  getCsr(csr: number): bigint | undefined;
  /** CSR write with the architectural WARL/WPRI rules; false if the CSR does not exist. */
  setCsr(csr: number, v: bigint): boolean;

  // ---- memory (debug API) ----
  /** Translate a virtual address as a load from the current privilege would; undefined on fault. No A/D updates. */
  translate(vaddr: bigint, access: 'fetch' | 'load' | 'store'): bigint | undefined;
  /** Read guest memory by virtual address (current satp/priv); undefined if unmapped. */
  readVirt(vaddr: bigint, len: number): Uint8Array | undefined;
  writeVirt(vaddr: bigint, data: Uint8Array): boolean;

  // ---- breakpoints and watchpoints: zero cost when none is set ----
  addBreakpoint(pc: bigint): void;
  removeBreakpoint(pc: bigint): void;
  addWatchpoint(wp: Watchpoint): void;
  removeWatchpoint(id: number): void;
}
