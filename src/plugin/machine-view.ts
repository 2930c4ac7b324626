/**
 * The machine as plugins see it: vCPUs over the hart's debug API (src/target/riscv/cpu-api.ts
 * RiscvHart: registers, CSRs, virtual memory), guest-physical RAM, and the virtio-blk disks with
 * the `vdev` value their tracepoints carry on the emulator thread (src/trace/ptr.ts) — and, for a
 * dataplane device, on its iothread.
 *
 * Contract: emulator thread; reads have no side effect on the guest (no A/D bits, no MMIO).
 */
import type { RiscvHart } from '../target/riscv/cpu-api';
import type { VirtMachine } from '../machine/virt/virt';
import { csrName } from '../target/riscv/disas/csr-names';
import { fNames, xNames } from '../target/riscv/disas/regs';
import { ptr } from '../trace/ptr';
import type { PluginDisk, PluginVcpu } from './api';

const PRIV: ReadonlyArray<'U' | 'S' | 'M'> = ['U', 'S', 'M', 'M']; // 2 is reserved
let csrByName: Map<string, number> | null = null;

function csrNumber(name: string): number | undefined {
  if (csrByName === null) {
    csrByName = new Map();
    for (let n = 0; n < 0x1000; n++) {
      const s = csrName(n);
      if (s !== undefined) csrByName.set(s, n);
    }
  }
  return csrByName.get(name);
}

function regIndex(name: string | number, abi: readonly string[], prefix: string): number {
  if (typeof name === 'number') {
    if (Number.isInteger(name) && name >= 0 && name < 32) return name;
  } else {
    const i = abi.indexOf(name);
    if (i >= 0) return i;
    if (prefix === 'x' && name === 'fp') return 8;
    const m = new RegExp(`^${prefix}(\\d+)$`).exec(name);
    if (m !== null && Number(m[1]) < 32) return Number(m[1]);
  }
  throw new Error(`no register '${String(name)}'`);
}

export class VcpuView implements PluginVcpu {
  constructor(readonly hart: RiscvHart) {}

  get index(): number {
    return this.hart.hartId;
  }

  pc(): bigint {
    return this.hart.getPc();
  }

  reg(name: string | number): bigint {
    if (name === 'pc') return this.hart.getPc();
    return this.hart.getGpr(regIndex(name, xNames(true), 'x'));
  }

  fpr(name: string | number): bigint {
    return this.hart.getFpr(regIndex(name, fNames(true), 'f'));
  }

  csr(name: string | number): bigint | undefined {
    const n = typeof name === 'number' ? name : csrNumber(name);
    return n === undefined ? undefined : this.hart.getCsr(n);
  }

  priv(): 'U' | 'S' | 'M' {
    return PRIV[this.hart.priv];
  }

  instret(): number {
    return this.hart.instret;
  }

  readVirt(addr: bigint, len: number): Uint8Array | undefined {
    return this.hart.readVirt(addr, len);
  }
}

/** Guest-physical RAM; throws for a range that is not all RAM. */
export function readPhys(m: VirtMachine, addr: number | bigint, len: number): Uint8Array {
  const a = Number(addr);
  const out = new Uint8Array(len);
  if (!m.as.readPhys(a, out)) throw new Error(`readPhys: [0x${a.toString(16)}, +${len}) is not guest RAM`);
  return out;
}

/** The virtio-blk devices plugged into the board's virtio-mmio slots. */
export function machineDisks(m: VirtMachine): PluginDisk[] {
  const out: PluginDisk[] = [];
  for (const proxy of m.virtioProxies) {
    const vdev = proxy.vdev as
      | (NonNullable<typeof proxy.vdev> & { blk?: unknown; ops?: { blk_getlength(b: unknown): number }; dataplane?: { iothread: { id: string } } | null })
      | null;
    if (vdev === null || vdev.blk === undefined || vdev.ops === undefined) continue;
    const bytes = vdev.ops.blk_getlength(vdev.blk);
    const disk: PluginDisk = { id: vdev.id, vdev: ptr('vdev', vdev), sectors: bytes > 0 ? Math.floor(bytes / 512) : 0 };
    const dp = vdev.dataplane ?? null;
    const iothreadVdev = (vdev.blk as { iothreadVdev?: unknown }).iothreadVdev;
    out.push(dp !== null && typeof iothreadVdev === 'number' ? { ...disk, iothread: dp.iothread.id, iothreadVdev } : disk);
  }
  return out;
}
