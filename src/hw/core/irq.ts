/**
 * An interrupt line, as QEMU's qemu_irq: the device that drives it calls `set(level)`, the
 * controller that receives it reacts. Level-triggered: devices keep the line high while their
 * condition holds (virtio-mmio while InterruptStatus != 0, the UART while an enabled condition
 * is pending).
 */
export interface IrqLine {
  /** qemu_set_irq. Called by the device model, on the machine's thread. */
  set(level: boolean): void;
}

/** A line that calls `handler(n, level)` (QEMU's qemu_allocate_irq with its n argument). */
export class Irq implements IrqLine {
  level = false;
  constructor(private readonly handler: (n: number, level: boolean) => void, readonly n: number) {}
  set(level: boolean): void {
    this.level = level;
    this.handler(this.n, level);
  }
}

/** qemu_allocate_irqs: `count` lines numbered from `first`. */
export function allocateIrqs(handler: (n: number, level: boolean) => void, count: number, first = 0): Irq[] {
  const lines: Irq[] = [];
  for (let i = 0; i < count; i++) lines.push(new Irq(handler, first + i));
  return lines;
}
