/**
 * From parsed options to a running-ready machine (the part of QEMU's system/vl.c that creates the
 * board): the `virt` machine with the console on a ByteRing/output callback. Runs on the
 * emulator thread.
 */
import type { MachineOptions } from '../cli/qemu-options';
import { RingCharBackend } from '../chardev/char-ring';
import { createVirtMachine, VirtConfigError, type VirtMachine } from '../machine/virt/virt';
import type { ByteRing } from '../util/byte-ring';
import type { RunExit } from './cpus';
import { bdrv_close_all, blockdevOpen, blockErrorText } from '../block/blockdev';
import { strerror } from '../block/errno';
import { raw_lock_release_all } from '../block/image-lock';
import { BlockError } from '../block/block-int';
import { registerGuestRam } from '../block/guest-ram';
import { qemu_get_aio_context } from '../util/main-loop';
import { VirtIOBlock, VirtioBlkConfigError } from '../hw/block/virtio-blk';
import { blockBackendOps } from '../hw/block/block-backend-ops';
import { DATAPLANE_IOTHREAD_MODULE, DataPlaneError, dataPlaneBlockOps, virtio_blk_data_plane_create } from '../hw/block/dataplane/virtio-blk';
import { iothread_create, iothread_destroy, iothread_get_aio_context, type IOThread } from '../util/iothread';
import { aio_wait_bh_oneshot } from '../util/aio-wait';
import { WORKER_ENV, tracingThreadModule } from '../trace/setup';
import { agentModulePath } from '../debug/agent-shared';
import { attachIOThreadAgent, detachIOThreadAgent } from '../debug/iothread-agents';

/** A problem the user can fix (bad image, RAM too small for it): reported as one line. */
export class MachineSetupError extends Error {}

export interface MachineHostSide {
  /** Console output bytes (the UART's transmitter). */
  write(bytes: Uint8Array): void;
  /** Console input from the front end. */
  input: ByteRing;
  /** Warnings for the user (QEMU prints them on stderr), e.g. the raw-probing warning. */
  warn(text: string): void;
  /** The guest powered off, failed (sifive_test) or asked for a reset the caller handles. */
  onShutdown(exit: RunExit): void;
}

/** Build the machine, or return 'dtb-dumped' after `-machine dumpdtb=FILE` (QEMU exits then). */
export function createMachine(o: MachineOptions, host: MachineHostSide): VirtMachine | 'dtb-dumped' {
  let machine: VirtMachine;
  try {
    machine = createVirtMachine({
      ramSize: o.ramSize,
      smp: o.smp,
      kernel: o.kernel,
      initrd: o.initrd,
      append: o.append,
      bios: o.bios,
      dtb: o.dtb,
      dumpDtb: o.dumpDtb,
      virtioMmioForceLegacy: o.virtioMmioForceLegacy,
      serial: new RingCharBackend(host.input, (d) => host.write(d)),
      onShutdown: (r) => {
        // A reset is handed to the run loop's owner, which resets the machine and goes on, as
        // QEMU does by default (-no-reboot would exit instead).
        host.onShutdown(r.kind === 'reset' ? { kind: 'reset' } : { kind: 'poweroff', code: r.code });
      },
    });
  } catch (e) {
    if (e instanceof VirtConfigError) throw new MachineSetupError(e.message);
    throw e;
  }
  if (o.dumpDtb !== undefined) return 'dtb-dumped';
  attachBlockDevices(o, machine, host);
  return machine;
}

/**
 * -drive + -device virtio-blk-device: open each drive (BlockBackend over the format and
 * protocol nodes) and plug a virtio-blk device into the virtio-mmio slots from the top down,
 * as QEMU's virt assigns them.
 */
export function attachBlockDevices(o: MachineOptions, machine: VirtMachine, host: MachineHostSide): void {
  if (o.devices.length === 0) return;
  registerGuestRam(machine.as.ram, qemu_get_aio_context());
  const iothreads = startIOThreads(o);
  o.devices.forEach((dev, i) => {
    const d = o.drives.find((x) => x.id === dev.drive)!;
    try {
      const drive = {
        file: d.file,
        format: d.format,
        id: d.id,
        cache: d.cache,
        aio: d.aio,
        readOnly: d.readOnly,
        rerror: d.rerror,
        werror: d.werror,
        discard: d.discard,
        snapshot: d.snapshot,
        detectZeroes: d.detectZeroes,
        locking: d.locking,
        cacheDirect: d.cacheDirect,
        cacheNoFlush: d.cacheNoFlush,
        shareRw: dev.shareRw,
        nodeName: d.nodeName,
      };
      const props = { id: dev.id ?? d.id, serial: dev.serial, num_queues: dev.numQueues, queue_size: dev.queueSize };
      const iothread = dev.iothread === undefined ? undefined : iothreads.get(dev.iothread)!;
      // iothread=: the drive is opened in the iothread and the device's requests are served there
      // (dataplane); otherwise both live on this thread's main loop.
      const vdev =
        iothread === undefined
          ? new VirtIOBlock({ ...props, blk: blockdevOpen({ ...drive, logger: (text) => host.warn(text) }), ops: blockBackendOps, ram: machine.as.ram })
          : dataplaneDevice(iothread, drive, props, machine, host);
      machine.virtioProxies[machine.virtioProxies.length - 1 - i].plug(vdev);
    } catch (e) {
      if (e instanceof DataPlaneError) throw new MachineSetupError(`-drive ${d.file}: ${e.message}`);
      if (e instanceof BlockError) throw new MachineSetupError(`-drive ${d.file}: ${blockErrorText(e)}`);
      if (e instanceof VirtioBlkConfigError) throw new MachineSetupError(`-device ${dev.driver}: ${e.message}`);
      throw e;
    }
  });
}

/** The iothreads this thread started (qemu_cleanup stops them). */
const started: IOThread[] = [];

/**
 * A guest poweroff leaves at once (as QEMU's exit()), without qemu_cleanup: only the image locks
 * go, as the kernel drops QEMU's OFD locks at exit — this thread's and every iothread's.
 */
export function qemu_poweroff_release_locks(): void {
  raw_lock_release_all();
  for (const t of started) {
    try {
      if (t.running) aio_wait_bh_oneshot(iothread_get_aio_context(t), 'raw_lock_release_all', null);
    } catch {
      // an iothread that does not answer keeps its holder files; they are recognised as dead later
    }
  }
}

/**
 * qemu_cleanup, the block part: once the machine has stopped for good, every drive is flushed and
 * closed — the iothreads' (dataplane) in their own threads, then this thread's — and the iothreads
 * stop. Returns one warning line per drive whose flush failed.
 */
export function qemu_cleanup(): string[] {
  const warnings: string[] = [];
  const report = (failed: Array<{ id: string; ret: number }>) => {
    for (const f of failed) warnings.push(`vtrace: flushing drive ${f.id} at exit failed: ${strerror(-f.ret)}`);
  };
  for (const t of started.splice(0)) {
    detachIOThreadAgent(t);
    try {
      if (t.running) report(aio_wait_bh_oneshot<Array<{ id: string; ret: number }>>(iothread_get_aio_context(t), 'bdrv_close_all', null));
    } catch (e) {
      warnings.push(`vtrace: iothread ${t.id}: closing its drives failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    iothread_destroy(t);
  }
  report(bdrv_close_all());
  return warnings;
}

/** -object iothread,id=ID: start each iothread, with the dataplane module loaded. */
function startIOThreads(o: MachineOptions): Map<string, IOThread> {
  const out = new Map<string, IOThread>();
  for (const id of o.iothreads) {
    try {
      // Tracing first, so the dataplane's events on this thread are traced and recorded too.
      // The debug agent last: the console reaches this thread's drives through it (src/debug).
      const modules = [...(process.env[WORKER_ENV] !== undefined ? [tracingThreadModule()] : []), DATAPLANE_IOTHREAD_MODULE, agentModulePath()];
      const t = iothread_create(id, { modules });
      started.push(t);
      out.set(id, t);
      attachIOThreadAgent(t, o);
    } catch (e) {
      throw new MachineSetupError(`-object iothread,id=${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

/** A virtio-blk-device whose queues and drive live in `iothread` (hw/block/dataplane). */
function dataplaneDevice(
  iothread: IOThread,
  drive: Parameters<typeof virtio_blk_data_plane_create>[1],
  props: Parameters<typeof virtio_blk_data_plane_create>[2],
  machine: VirtMachine,
  host: MachineHostSide,
): VirtIOBlock {
  const handle = virtio_blk_data_plane_create(iothread, drive, props, machine.as.ram, (text) => host.warn(text));
  const vdev = new VirtIOBlock({ ...props, blk: handle, ops: dataPlaneBlockOps, ram: machine.as.ram, geometry: handle.geometry });
  vdev.dataplane = handle.dp;
  handle.dp.s = vdev;
  return vdev;
}
