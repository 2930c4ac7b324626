/**
 * QEMU's `virt` board (hw/riscv/virt.c: virt_machine_init + virt_machine_done, QEMU 7.2 layout):
 * RAM, mask ROM, CLINT, PLIC, NS16550A, sifive_test, eight virtio-mmio slots, the device tree and
 * the boot images, wired to `smp` harts made by `createHart`.
 *
 * Who calls what (all on the emulator thread):
 *  - the front end builds a VirtConfig and calls createVirtMachine (./virt.ts) once;
 *  - the run loop (src/system/cpus.ts) runs `harts[i].run(budget)` round-robin and, between
 *    rounds, `updateTimers()` then `pollInput()`; when every hart waits in WFI it sleeps at most
 *    `msUntilNextDeadline()` (or until console input arrives), then calls `updateTimers()` again;
 *  - guest shutdown requests (sifive_test, SBI SRST/legacy shutdown) halt every hart and call
 *    `config.onShutdown` once; the loop leaves at the end of the round. For a reset request the
 *    owner may call `reset()` and go on (QEMU's qemu_system_reset), or exit (-no-reboot).
 */
import { AddressSpace, GuestRam, type MemoryRegion } from '../../system/memory';
import type { IrqLine } from '../../hw/core/irq';
import { Mip } from '../../target/riscv/cpu-api';
import { SifiveClint, type TimerComparator } from '../../hw/intc/riscv-aclint';
import { plicHartConfig, SifivePlic } from '../../hw/intc/sifive-plic';
import { SerialState } from '../../hw/char/serial';
import { SifiveTest, type ShutdownRequest } from '../../hw/misc/sifive-test';
import type { CharBackend } from '../../chardev/char-fe';
import { romRegion } from '../../hw/riscv/rom';
import { virt_load_boot_images, VirtConfigError, type VirtBootInfo } from './virt-boot';
import {
  UART0_IRQ,
  VIRT_IRQCHIP_NUM_PRIORITIES,
  VIRT_IRQCHIP_NUM_SOURCES,
  VIRT_TIMEBASE_FREQ,
  VIRT_UART_BAUDBASE,
  VIRTIO_COUNT,
  VIRTIO_IRQ,
  VIRTIO_MMIO_REGION_SIZE,
  virt_memmap,
} from './memmap';
import { VirtualClock } from './virtual-clock';
import { VirtIOMMIOProxy } from '../../hw/virtio/virtio-mmio';
import { bootBuiltinSbi, type BuiltinSbi, enterSupervisor, type SbiHart, type SbiPlatform } from './sbi';

export type { ShutdownRequest } from '../../hw/misc/sifive-test';
export { VirtConfigError, type VirtBootInfo } from './virt-boot';

/** A source of virtual nanoseconds (QEMU_CLOCK_VIRTUAL). */
export interface ClockSource {
  nowNs(): number;
}

export interface VirtConfig {
  /** -m, bytes (multiple of 4 KiB). */
  ramSize: number;
  /** -smp, 1..8. */
  smp: number;
  /** -kernel FILE: ELF, RISC-V Image or raw binary. */
  kernel?: string;
  /** -initrd FILE */
  initrd?: string;
  /** -append: the kernel command line (/chosen/bootargs). */
  append?: string;
  /** -bios: 'default' = the built-in SBI (no guest firmware), 'none', or a firmware file. */
  bios: 'default' | 'none' | string;
  /** -dtb FILE: use this device tree instead of generating one (QEMU still patches /chosen). */
  dtb?: string;
  /** -machine dumpdtb=FILE: write the final device tree there (the caller then exits, as QEMU). */
  dumpDtb?: string;
  /**
   * virtio-mmio transports report Version 1 (legacy) when true, as QEMU 7.2 does by default
   * (`-global virtio-mmio.force-legacy=on`); false gives Version 2 (modern). Default true.
   */
  virtioMmioForceLegacy?: boolean;
  /** The UART's host side. */
  serial: CharBackend;
  /** Guest asked to power off, fail (sifive_test 0x3333) or reset. Called at most once per request. */
  onShutdown: (r: ShutdownRequest) => void;
  /** QEMU's LOG_GUEST_ERROR sink (unknown registers, bad values). Default: ignore. */
  onGuestError?: (msg: string) => void;
  /** /chosen/rng-seed: default random (as QEMU); null = leave out (reproducible blobs). */
  rngSeed?: Uint8Array | null;
  /**
   * Guest time in ns (QEMU_CLOCK_VIRTUAL): mtime and the UART's timeout count on it. Default: a
   * VirtualClock starting now. Pass the process-wide one (src/util/qemu-timer.ts) to share stops.
   */
  clock?: ClockSource;
}

/** What a hart must offer the board: the RiscvHart contract plus the remote fences (RiscvCpu). */
export type VirtHart = SbiHart;

export type CreateHart = (opts: { hartId: number; as: AddressSpace; getTime: () => number }) => VirtHart;

export interface VirtMachine {
  readonly config: VirtConfig;
  readonly as: AddressSpace;
  readonly harts: readonly VirtHart[];
  readonly clock: ClockSource;
  readonly clint: SifiveClint;
  readonly plic: SifivePlic;
  readonly uart: SerialState;
  readonly test: SifiveTest;
  /** PLIC inputs of the virtio-mmio slots 0..7 (sources 1..8), for the virtio transport. */
  readonly virtioIrqs: readonly IrqLine[];
  /** The MMIO regions mapped at the slots (one virtio-mmio transport each). */
  readonly virtioSlots: ReadonlyArray<{ base: number; region: MemoryRegion }>;
  /**
   * The virtio-mmio transports of slots 0..7; `plug(vdev)` attaches a device. QEMU fills the
   * slots from the highest down (the first -device lands in slot 7, at 0x10008000, IRQ 8).
   */
  readonly virtioProxies: readonly VirtIOMMIOProxy[];
  /** The flattened device tree placed in RAM. */
  readonly fdt: Uint8Array;
  readonly boot: VirtBootInfo;
  /** The built-in SBI (mode 'builtin-sbi'), else null. */
  readonly sbi: BuiltinSbi | null;
  /** Set when config.dumpDtb was written. */
  readonly dtbDumpedTo?: string;
  /** qemu_system_reset: devices to reset state, boot images restored, harts at the boot state. */
  reset(): void;
  /** Bring time-driven state up to date (CLINT comparators → MTIP/STIP, UART timeout). */
  updateTimers(): void;
  /** Virtual ns until the next timer deadline (0 = due, Infinity = none armed). */
  nextDeadlineNs(): number;
  /** Same in ms, for the run loop's idle sleep (src/system/cpus.ts RunTarget). */
  msUntilNextDeadline(): number;
  /** Deliver console input that arrived from the host (CharBackend.poll). */
  pollInput(): void;
}

/** virt_machine_init + virt_machine_done. Throws VirtConfigError for bad images or sizes. */
export function buildVirtMachine(config: VirtConfig, createHart: CreateHart): VirtMachine {
  if (!Number.isInteger(config.smp) || config.smp < 1) throw new VirtConfigError(`invalid number of CPUs ${config.smp}`);
  const guestError = config.onGuestError ?? (() => {});
  const m = virt_memmap;
  const ram = new GuestRam(m.VIRT_DRAM.base, config.ramSize);
  const as = new AddressSpace(ram);
  const clock = config.clock ?? new VirtualClock();

  // Harts read `time` from the CLINT, which needs the harts: late binding through a closure.
  let clint: SifiveClint | undefined;
  const getTime = () => clint!.mtime();
  const harts: VirtHart[] = [];
  for (let i = 0; i < config.smp; i++) harts.push(createHart({ hartId: i, as, getTime }));
  // DMA and loader writes drop stale decoded code (one hart will do: the decode cache is shared).
  ram.codeInvalidator = (paddr, len) => harts[0].invalidateCode(paddr, len);

  let shuttingDown = false;
  const shutdown = (r: ShutdownRequest) => {
    for (const h of harts) h.halted = true;
    if (shuttingDown) return;
    shuttingDown = true;
    config.onShutdown(r);
  };

  const mrom = romRegion('riscv_virt_board.mrom', m.VIRT_MROM.size, new Uint8Array(0));
  as.addRegion(m.VIRT_MROM.base, mrom);

  const test = new SifiveTest(shutdown, guestError);
  as.addRegion(m.VIRT_TEST.base, test.region);

  clint = new SifiveClint(harts, VIRT_TIMEBASE_FREQ, () => clock.nowNs(), guestError);
  for (const [base, region] of clint.regions(m.VIRT_CLINT.base)) as.addRegion(base, region);
  const stimer: TimerComparator[] = harts.map((h) => clint!.mtimer.addComparator(h, Mip.STIP));

  const outputs: IrqLine[] = [];
  for (const h of harts) {
    outputs.push({ set: (l) => h.setInterruptPending(Mip.MEIP, l) });
    outputs.push({ set: (l) => h.setInterruptPending(Mip.SEIP, l) });
  }
  const plic = new SifivePlic(
    {
      hartConfig: plicHartConfig(config.smp),
      numSources: VIRT_IRQCHIP_NUM_SOURCES,
      numPriorities: VIRT_IRQCHIP_NUM_PRIORITIES,
      apertureSize: m.VIRT_PLIC.size,
      onGuestError: guestError,
    },
    outputs,
  );
  as.addRegion(m.VIRT_PLIC.base, plic.region);

  const uart = new SerialState({ backend: config.serial, irq: plic.irq(UART0_IRQ), baudbase: VIRT_UART_BAUDBASE, clockNs: () => clock.nowNs(), onGuestError: guestError });
  as.addRegion(m.VIRT_UART0.base, uart.region);

  const virtioIrqs: IrqLine[] = [];
  const virtioSlots: Array<{ base: number; region: MemoryRegion }> = [];
  const virtioProxies: VirtIOMMIOProxy[] = [];
  for (let i = 0; i < VIRTIO_COUNT; i++) {
    const base = m.VIRT_VIRTIO.base + i * m.VIRT_VIRTIO.size;
    const irq = plic.irq(VIRTIO_IRQ + i);
    const proxy = new VirtIOMMIOProxy({ irq, legacy: config.virtioMmioForceLegacy ?? true, onGuestError: guestError });
    as.addRegion(base, proxy.region);
    virtioSlots.push({ base, region: proxy.region });
    virtioProxies.push(proxy);
    virtioIrqs.push(irq);
  }

  const { boot, fdt, mrom: romBytes, blobs, dtbDumpedTo } = virt_load_boot_images(as, config);
  mrom.bytes.set(romBytes);
  const { mode, kernelEntry, fdtAddr } = boot;

  const sbiPlatform: SbiPlatform | null =
    mode === 'builtin-sbi'
      ? {
          harts,
          stimer,
          putchar: (b) => config.serial.write(Uint8Array.of(b)),
          getchar: () => uart.pollGetchar(),
          shutdown,
          isRam: (addr, len) => ram.contains(addr, len),
          enterSupervisor,
        }
      : null;
  let sbi: BuiltinSbi | null = null;

  const machine: VirtMachine = {
    config,
    as,
    harts,
    clock,
    clint,
    plic,
    uart,
    test,
    virtioIrqs,
    virtioSlots,
    virtioProxies,
    fdt,
    boot,
    get sbi() {
      return sbi;
    },
    dtbDumpedTo,
    reset() {
      shuttingDown = false;
      clint!.reset();
      plic.reset();
      uart.reset();
      for (const p of virtioProxies) p.reset();
      for (const b of blobs) as.writePhys(b.addr, b.bytes);
      for (const h of harts) h.flushIcache();
      if (sbiPlatform !== null) {
        sbi = bootBuiltinSbi(sbiPlatform, BigInt(kernelEntry), BigInt(fdtAddr));
      } else {
        for (const h of harts) {
          h.ecallHandler = null;
          h.reset(BigInt(m.VIRT_MROM.base));
        }
      }
    },
    updateTimers() {
      clint!.update();
      uart.update();
    },
    nextDeadlineNs() {
      return Math.min(clint!.nextDeadlineNs(), uart.nextDeadlineNs());
    },
    msUntilNextDeadline() {
      return machine.nextDeadlineNs() / 1e6;
    },
    pollInput() {
      config.serial.poll();
    },
  };
  machine.reset();
  return machine;
}
