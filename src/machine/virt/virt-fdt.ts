/**
 * The `virt` board's device tree, generated as QEMU 7.2's create_fdt (hw/riscv/virt.c) does for
 * one socket, the devices vtrace emulates and the default `rv64` CPU restricted to what our hart
 * implements. Nodes and properties are written in the order QEMU's blob holds them (libfdt
 * prepends, so QEMU's blob lists them in reverse creation order), and phandles are allocated in
 * QEMU's order (cpus from the last hart down: cpu, its intc; then the PLIC; then the test device),
 * so `dtc -I dtb -O dts` of both blobs lines up.
 *
 * Left out on purpose (not emulated): pmu, fw-cfg, flash, platform-bus, rtc, pci. See the tests
 * (test/machine/virt/virt-fdt.test.ts) for the comparison with QEMU's own dump.
 */
import { randomBytes } from 'node:crypto';
import { cells, cells64, empty, strings, type Fdt, FdtNode } from './fdt/fdt';
import {
  UART0_IRQ,
  VIRT_IRQCHIP_NUM_SOURCES,
  VIRT_TIMEBASE_FREQ,
  VIRT_UART_CLOCK_FREQ,
  VIRTIO_COUNT,
  VIRTIO_IRQ,
  virt_memmap,
} from './memmap';
import { FINISHER_PASS, FINISHER_RESET } from '../../hw/misc/sifive-test';

/** Our hart: RV64IMAFDC with Zicsr/Zifencei; QEMU 7.2 prints exactly this for such a CPU. */
export const VIRT_RISCV_ISA = 'rv64imafdc_zicsr_zifencei';
/** Highest translation mode our hart implements (Sv39 and Sv48); QEMU's rv64 default too. */
export const VIRT_MMU_TYPE = 'riscv,sv48';

const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

export interface VirtFdtConfig {
  ramSize: number;
  smp: number;
  /** -append: /chosen/bootargs when non-empty. */
  cmdline?: string;
  /** /chosen/rng-seed (QEMU: 32 random bytes per boot). Default: random; null leaves it out. */
  rngSeed?: Uint8Array | null;
  isa?: string;
  mmuType?: string;
}

/** create_fdt: the whole tree for this configuration. */
export function createVirtFdt(cfg: VirtFdtConfig): Fdt {
  let phandle = 1;
  const cpuPhandle: number[] = [];
  const intcPhandle: number[] = [];
  for (let cpu = cfg.smp - 1; cpu >= 0; cpu--) {
    cpuPhandle[cpu] = phandle++;
    intcPhandle[cpu] = phandle++;
  }
  const plicPhandle = phandle++;
  const testPhandle = phandle++;

  const root = new FdtNode('');
  root
    .addProp('#address-cells', cells(2))
    .addProp('#size-cells', cells(2))
    .addProp('compatible', strings('riscv-virtio'))
    .addProp('model', strings('riscv-virtio,qemu'));

  const chosen = root.addChild('chosen');
  const seed = cfg.rngSeed === undefined ? randomBytes(32) : cfg.rngSeed;
  if (seed !== null) chosen.addProp('rng-seed', Uint8Array.from(seed));
  if (cfg.cmdline !== undefined && cfg.cmdline !== '') chosen.addProp('bootargs', strings(cfg.cmdline));
  const uart = virt_memmap.VIRT_UART0;
  chosen.addProp('stdout-path', strings(`/soc/serial@${uart.base.toString(16)}`));

  // create_fdt_reset: syscon-poweroff / syscon-reboot through the test device's regmap.
  root.addChild('poweroff').addProp('value', cells(FINISHER_PASS)).addProp('offset', cells(0)).addProp('regmap', cells(testPhandle)).addProp('compatible', strings('syscon-poweroff'));
  root.addChild('reboot').addProp('value', cells(FINISHER_RESET)).addProp('offset', cells(0)).addProp('regmap', cells(testPhandle)).addProp('compatible', strings('syscon-reboot'));

  const dram = virt_memmap.VIRT_DRAM;
  root
    .addChild(`memory@${dram.base.toString(16)}`)
    .addProp('device_type', strings('memory'))
    .addProp('reg', cells64(dram.base, cfg.ramSize));

  // create_fdt_socket_cpus
  const cpus = root.addChild('cpus');
  cpus.addProp('#address-cells', cells(1)).addProp('#size-cells', cells(0)).addProp('timebase-frequency', cells(VIRT_TIMEBASE_FREQ));
  for (let cpu = 0; cpu < cfg.smp; cpu++) {
    const n = cpus.addChild(`cpu@${cpu.toString(16)}`);
    n.addProp('phandle', cells(cpuPhandle[cpu]))
      .addProp('device_type', strings('cpu'))
      .addProp('reg', cells(cpu))
      .addProp('status', strings('okay'))
      .addProp('compatible', strings('riscv'))
      .addProp('riscv,isa', strings(cfg.isa ?? VIRT_RISCV_ISA))
      .addProp('mmu-type', strings(cfg.mmuType ?? VIRT_MMU_TYPE));
    n.addChild('interrupt-controller')
      .addProp('#interrupt-cells', cells(1))
      .addProp('interrupt-controller', empty())
      .addProp('compatible', strings('riscv,cpu-intc'))
      .addProp('phandle', cells(intcPhandle[cpu]));
  }
  const cluster = cpus.addChild('cpu-map').addChild('cluster0');
  for (let cpu = 0; cpu < cfg.smp; cpu++) cluster.addChild(`core${cpu}`).addProp('cpu', cells(cpuPhandle[cpu]));

  const soc = root.addChild('soc');
  soc.addProp('#address-cells', cells(2)).addProp('#size-cells', cells(2)).addProp('compatible', strings('simple-bus')).addProp('ranges', empty());

  // create_fdt_uart
  soc
    .addChild(`serial@${uart.base.toString(16)}`)
    .addProp('interrupts', cells(UART0_IRQ))
    .addProp('interrupt-parent', cells(plicPhandle))
    .addProp('clock-frequency', cells(VIRT_UART_CLOCK_FREQ))
    .addProp('reg', cells64(uart.base, uart.size))
    .addProp('compatible', strings('ns16550a'));

  const test = virt_memmap.VIRT_TEST;
  soc
    .addChild(`test@${test.base.toString(16)}`)
    .addProp('phandle', cells(testPhandle))
    .addProp('reg', cells64(test.base, test.size))
    .addProp('compatible', strings('sifive,test1', 'sifive,test0', 'syscon'));

  // create_fdt_virtio: created in slot order, so the blob lists them from the last slot down.
  const virtio = virt_memmap.VIRT_VIRTIO;
  for (let i = VIRTIO_COUNT - 1; i >= 0; i--) {
    const base = virtio.base + i * virtio.size;
    soc
      .addChild(`virtio_mmio@${base.toString(16)}`)
      .addProp('interrupts', cells(VIRTIO_IRQ + i))
      .addProp('interrupt-parent', cells(plicPhandle))
      .addProp('reg', cells64(base, virtio.size))
      .addProp('compatible', strings('virtio,mmio'));
  }

  // create_fdt_socket_plic: contexts M then S per hart.
  const plic = virt_memmap.VIRT_PLIC;
  const plicIrqs: number[] = [];
  for (let cpu = 0; cpu < cfg.smp; cpu++) plicIrqs.push(intcPhandle[cpu], IRQ_M_EXT, intcPhandle[cpu], IRQ_S_EXT);
  soc
    .addChild(`plic@${plic.base.toString(16)}`)
    .addProp('phandle', cells(plicPhandle))
    // QEMU 7.2 writes VIRT_IRQCHIP_NUM_SOURCES (96) although source 96 has no registers.
    .addProp('riscv,ndev', cells(VIRT_IRQCHIP_NUM_SOURCES))
    .addProp('reg', cells64(plic.base, plic.size))
    .addProp('interrupts-extended', cells(...plicIrqs))
    .addProp('interrupt-controller', empty())
    .addProp('compatible', strings('sifive,plic-1.0.0', 'riscv,plic0'))
    .addProp('#address-cells', cells(0))
    .addProp('#interrupt-cells', cells(1));

  // create_fdt_socket_clint
  const clint = virt_memmap.VIRT_CLINT;
  const clintIrqs: number[] = [];
  for (let cpu = 0; cpu < cfg.smp; cpu++) clintIrqs.push(intcPhandle[cpu], IRQ_M_SOFT, intcPhandle[cpu], IRQ_M_TIMER);
  soc
    .addChild(`clint@${clint.base.toString(16)}`)
    .addProp('interrupts-extended', cells(...clintIrqs))
    .addProp('reg', cells64(clint.base, clint.size))
    .addProp('compatible', strings('sifive,clint0', 'riscv,clint0'));

  return { root, bootCpuidPhys: 0, memReserve: [] };
}
