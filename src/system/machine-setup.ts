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

/** A problem the user can fix (bad image, RAM too small for it): reported as one line. */
export class MachineSetupError extends Error {}

export interface MachineHostSide {
  /** Console output bytes (the UART's transmitter). */
  write(bytes: Uint8Array): void;
  /** Console input from the front end. */
  input: ByteRing;
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
  return machine;
}
