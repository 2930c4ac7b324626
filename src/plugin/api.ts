/**
 * The plugin API (`vtrace run --plugin PATH[,key=value...]`, as QEMU's `-plugin`): the types a
 * plugin sees. docs/plugins.md is the user's guide; plugins/ holds the bundled ones.
 *
 * A plugin is a CommonJS module exporting `install(api, args)` (or being that function). vtrace
 * calls it on the emulator thread before the machine is built, so a plugin sees the machine come
 * up (the drives' openat, the first instruction). Everything a plugin registers runs on the
 * emulator thread too: tracepoint callbacks (events of pool workers are relayed to it), CPU
 * callbacks, console commands, pane renderers, the exit report.
 *
 * Mapping to QEMU's plugin API (include/qemu/qemu-plugin.h):
 *   qemu_plugin_install(id, info, argc, argv)   install(api, args)
 *   qemu_plugin_register_vcpu_tb_trans_cb       api.onTbTrans(cb)  → cb(tb)
 *   qemu_plugin_register_vcpu_tb_exec_cb        tb.onExec(cb)      → cb(vcpu)
 *   qemu_plugin_register_vcpu_insn_exec_cb      insn.onExec(cb)    → cb(vcpu)
 *   qemu_plugin_register_vcpu_mem_cb            insn.onMem(cb)     → cb(vcpu, access)
 *   qemu_plugin_register_vcpu_init_cb           api.onStart(cb)    (once, all vCPUs exist)
 *   qemu_plugin_register_atexit_cb              api.onExit(cb)
 *   qemu_plugin_outs                            api.print(text)
 *   qemu_plugin_insn_disas / _vaddr / _data     insn.disas() / insn.vaddr / insn.opcode
 *   qemu_plugin_get_hwaddr + _device_name       access.paddr / access.device
 * and, beyond QEMU's: tracepoint subscriptions (api.on), registers and memory (api.vcpus(),
 * api.readPhys), counters, tracepoints of the plugin's own, TUI panes and console commands.
 *
 * Costs: nothing is instrumented until asked. Tracepoints are turned on only while subscribed; the
 * CPU runs its normal path (compiled blocks included) until some plugin calls onTbTrans, and then
 * one instruction per interpreter entry, calling the hooks (src/target/riscv/cpu-api.ts ExecHooks).
 *
 * Faults: a plugin that throws — at load, in install, in any callback, in its report — is unloaded
 * with one line on stderr naming it and what threw; the machine goes on without it. Bad plugin
 * arguments (PluginArgs' checks, or api.error(...) thrown from install) end the run before it
 * starts, with one line, as any bad command-line argument does.
 */
import type { FormatValue } from '../trace/format';
import type { AnyTracepoint, Tracepoint } from '../trace/tracepoint';
import type * as TP from '../trace/generated/tracepoints';

/** Version of this API; a plugin may check `api.version.startsWith('1.')`. */
export const PLUGIN_API_VERSION = '1.0';

/** The value of one tracepoint argument (`void *` arguments are vtrace object ids, src/trace/ptr.ts). */
export type TraceValue = FormatValue;

/** Names of the catalog's tracepoints (traces/*.trace-events). */
export type TracepointName = {
  [K in keyof typeof TP]: (typeof TP)[K] extends AnyTracepoint ? K : never;
}[keyof typeof TP];

/** The argument tuple of tracepoint N, as its emitter declares it. */
export type ArgsOf<N extends TracepointName> = (typeof TP)[N] extends Tracepoint<infer A> ? A : readonly TraceValue[];

/** Correlation ids an event carries, explicit or from the emitting thread's ambient state. */
export interface EventCorrelation {
  /** The virtio request (its VirtQueueElement id; = virtio_blk_*'s `req` and virtqueue_pop's `elem` low bits). */
  req?: number;
  /** The coroutine running when the event happened. */
  co?: number;
  /** The thread-pool job (pool workers: the job being run). */
  job?: number;
  /** The descriptor chain's head index. */
  head?: number;
  /** The host fd a syscall used. */
  fd?: number;
}

/** One tracepoint event, as a plugin receives it. */
export interface PluginEvent<A extends readonly TraceValue[] = readonly TraceValue[]> {
  readonly name: string;
  /** Host monotonic time, ns (process.hrtime.bigint() as a number: exact below 2^53 ns). */
  readonly ns: number;
  /** vtrace's name of the emitting thread: emulator, worker-N, iothread-ID. */
  readonly thread: string;
  /** The emitting thread's Linux tid (what strace -f prints). */
  readonly tid: number;
  readonly args: A;
  /** The catalog's argument names, in the order of `args`. */
  readonly argNames: readonly string[];
  readonly corr: Readonly<EventCorrelation>;
  /** One argument by its catalog name (undefined for a name the tracepoint does not have). */
  arg(name: string): TraceValue;
  /** QEMU's log line for the event: `name args-formatted-by-the-catalog's-format`. */
  text(): string;
}

/** A vCPU (hart) as plugins see it: registers and memory through the hart's debug API. */
export interface PluginVcpu {
  readonly index: number;
  pc(): bigint;
  /** x0..x31 by number, ABI name (`a0`, `sp`) or `xN`; `pc` too. */
  reg(name: string | number): bigint;
  /** f0..f31 raw bits by number, ABI name (`fa0`) or `fN`. */
  fpr(name: string | number): bigint;
  /** A CSR by number or name (`satp`, `mstatus`); undefined when it does not exist. */
  csr(name: string | number): bigint | undefined;
  /** Current privilege level. */
  priv(): 'U' | 'S' | 'M';
  /** Instructions retired so far. */
  instret(): number;
  /** Guest memory by virtual address as this vCPU sees it; undefined when unmapped. */
  readVirt(addr: bigint, len: number): Uint8Array | undefined;
}

/** One guest data access (QEMU's qemu_plugin_meminfo_t + hwaddr). */
export interface MemAccess {
  readonly vaddr: bigint;
  /** Guest-physical address. */
  readonly paddr: number;
  /** Bytes (1, 2, 4, 8; a page-crossing access is reported once per page, with that page's part). */
  readonly size: number;
  readonly store: boolean;
  /** Part of an AMO, which is reported as a load then a store (QEMU's way); LR is a load, SC a store. */
  readonly atomic: boolean;
  /** `RAM`, or the MMIO region's name (QEMU's qemu_plugin_hwaddr_device_name). */
  readonly device: string;
}

/** One instruction of a translation block. */
export interface PluginInsn {
  readonly vaddr: bigint;
  readonly paddr: number;
  /** 2 (compressed) or 4. */
  readonly size: 2 | 4;
  /** The encoding (a 16-bit parcel for compressed instructions). */
  readonly opcode: number;
  /** objdump's text (src/target/riscv/disas). */
  disas(): string;
  /** Before this instruction executes (each time). */
  onExec(cb: (vcpu: PluginVcpu) => void): void;
  /** Each data access this instruction makes, once translated, before it is performed (an AMO: its load, then its store). */
  onMem(cb: (vcpu: PluginVcpu, access: MemAccess) => void): void;
}

/**
 * A translation block: straight-line code from `vaddr` up to and including the first branch,
 * jump, SYSTEM instruction (ecall, xret, wfi, csr*, sfence.vma) or fence.i, the end of the page,
 * or 512 instructions (QEMU's TCG cuts its blocks at the same places). Blocks are keyed by
 * physical address, translated on first execution and again when their code changed.
 */
export interface PluginTb {
  readonly vaddr: bigint;
  readonly paddr: number;
  readonly insns: readonly PluginInsn[];
  /** At the start of each execution of this block. */
  onExec(cb: (vcpu: PluginVcpu) => void): void;
}

/** A virtio-blk disk of the machine. */
export interface PluginDisk {
  /** The device's id (the drive id unless -device id= says otherwise): hd0, virtio0... */
  readonly id: string;
  /** Its `vdev` pointer value in virtio tracepoints on the emulator thread. */
  readonly vdev: number;
  /** 512-byte sectors. */
  readonly sectors: number;
  /**
   * With `iothread=` (dataplane): the iothread's id. The device's requests are then handled there:
   * their events come from thread `iothread-ID` and carry `iothreadVdev` as their `vdev`.
   */
  readonly iothread?: string;
  /** With `iothread=`: the `vdev` value in virtio/virtio-blk tracepoints on that iothread. */
  readonly iothreadVdev?: number;
}

export interface PluginCounter {
  readonly name: string;
  add(n?: number): void;
  set(v: number): void;
  readonly value: number;
}

/** A tracepoint of the plugin's own: other plugins subscribe to `PLUGIN:NAME` with api.on. */
export interface PluginTracepoint {
  /** `PLUGIN:NAME`. */
  readonly name: string;
  /** True while some plugin subscribes (test it before computing arguments). */
  readonly on: boolean;
  emit(...args: TraceValue[]): void;
}

/** Typed access to the plugin's key=value arguments. Checks throw an argument error (one line, the run does not start). */
export interface PluginArgs {
  /** key=value pairs in command-line order (a bare `key` is `key=on`). */
  readonly entries: ReadonlyArray<readonly [string, string]>;
  has(key: string): boolean;
  /** All values given for `key`, in order (QEMU's plugins accept repeated keys, e.g. execlog's ifilter). */
  all(key: string): string[];
  string(key: string, def: string): string;
  /** An integer in [min, max]; accepts 0x hex. */
  int(key: string, def: number, min?: number, max?: number): number;
  /** on/off, true/false, yes/no (QEMU's qemu_plugin_bool_parse). */
  bool(key: string, def: boolean): boolean;
  /** One of `choices`. */
  oneOf<T extends string>(key: string, choices: readonly T[], def: T): T;
  /** Refuse keys not listed (QEMU's plugins fail with "option parsing failed"). */
  only(...known: string[]): void;
}

export interface PluginApi {
  /** The plugin's name: its file name without .js. */
  readonly name: string;
  readonly version: string;

  // ---- tracepoints ----
  /**
   * Call `cb` for every event of the tracepoint(s): a name, a glob (`virtio_blk_*`, QEMU's -trace
   * syntax) or a list of them; `PLUGIN:NAME` for plugins' own tracepoints. Events of pool workers
   * (syscall_*, worker_thread_*) arrive on the emulator thread once per run-loop round, in each
   * thread's order; subscribe to those in install (workers start with the machine). Returns the
   * unsubscribe function. Throws an error naming the pattern when it matches nothing.
   */
  on<N extends TracepointName>(name: N, cb: (ev: PluginEvent<ArgsOf<N>>) => void): () => void;
  on(patterns: string | readonly string[], cb: (ev: PluginEvent) => void): () => void;
  /** Catalog names matching a glob (all when omitted). */
  tracepointNames(pattern?: string): string[];
  /** Declare a tracepoint of this plugin (`argNames`, printf-like `format` with %d %u %x %s %p). */
  addTracepoint(name: string, argNames: readonly string[], format?: string): PluginTracepoint;

  // ---- the CPU ----
  /** QEMU's vcpu_tb_trans: called when a block is translated; register its callbacks there. Returns the unsubscribe function. */
  onTbTrans(cb: (tb: PluginTb) => void): () => void;
  /** Once the machine is built, before its first instruction. */
  onStart(cb: () => void): void;
  /** The vCPUs (throws before the machine exists: use onStart or a callback). */
  vcpus(): readonly PluginVcpu[];
  /** Guest-physical memory (RAM only); throws for a range outside RAM. */
  readPhys(addr: number | bigint, len: number): Uint8Array;
  /** The virtio-blk disks (after onStart). */
  disks(): readonly PluginDisk[];
  /** objdump's text for an encoding at `pc`. */
  disas(opcode: number, pc: bigint): string;

  // ---- output and state ----
  /** Text for the user: stderr (or the plugin's outfile=), batched per run-loop round. */
  print(text: string): void;
  /** At the end of the run (after the drives are closed): print the report here. */
  onExit(cb: () => void): void;
  counter(name: string, help?: string): PluginCounter;
  /** A TUI pane (the plugins pane, key 7): `render` returns the lines for a width × height box. */
  addPane(title: string, render: (width: number, height: number) => readonly string[]): void;
  /**
   * A console command (vtrace debug, the TUI's `:`, gdb's `monitor`): `name` may have several
   * words. Throw api.error(msg) for bad input (shown as the command's error); any other throw
   * unloads the plugin.
   */
  addCommand(name: string, usage: string, help: string, run: (args: string[]) => string): void;
  /** An error for the user, not a fault: from install it is a bad-argument error, from a command its error line. */
  error(message: string): Error;
}

/** What a plugin module exports. */
export type PluginInstall = (api: PluginApi, args: PluginArgs) => void;
