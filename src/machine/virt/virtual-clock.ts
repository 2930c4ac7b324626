/**
 * QEMU_CLOCK_VIRTUAL for the board: host monotonic time that starts at 0 when the machine is
 * created and stands still while the machine is paused (a debugger stop must really stop, guest
 * time included — QEMU stops the virtual clock in vm_stop).
 *
 * Contract: `nowNs` is called by devices (ACLINT mtime, UART timeouts) on the machine thread;
 * `pause`/`resume` by whoever stops the machine (debugger, -S). Nanoseconds as a double: exact
 * for 104 days of guest time, far beyond any run.
 *
 * When the timer subsystem (src/util, QEMU's util/qemu-timer.c) lands this belongs there.
 */
import { performance } from 'node:perf_hooks';

export class VirtualClock {
  /** Host ms (performance.now) that corresponds to virtual time 0. */
  private originMs: number;
  private pausedAtNs: number | null = null;

  constructor(private readonly hostMs: () => number = () => performance.now()) {
    this.originMs = hostMs();
  }

  /** Virtual nanoseconds since creation (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL)). */
  nowNs(): number {
    if (this.pausedAtNs !== null) return this.pausedAtNs;
    return (this.hostMs() - this.originMs) * 1e6;
  }

  get paused(): boolean {
    return this.pausedAtNs !== null;
  }

  /** Freeze virtual time (vm_stop). Idempotent. */
  pause(): void {
    if (this.pausedAtNs === null) this.pausedAtNs = this.nowNs();
  }

  /** Let virtual time run again from where it stopped (vm_start). Idempotent. */
  resume(): void {
    if (this.pausedAtNs === null) return;
    this.originMs = this.hostMs() - this.pausedAtNs / 1e6;
    this.pausedAtNs = null;
  }
}
