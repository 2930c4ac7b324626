/**
 * NS16550A UART as QEMU's hw/char/serial.c models it (National Semiconductor PC16550D datasheet;
 * register names per the datasheet's Table II). On `virt` it is serial-mm with regshift 0: eight
 * byte-wide registers at base + 0..7 (QEMU maps an 8-byte region; the board's 0x100 slot is
 * otherwise unassigned).
 *
 *   0 RBR (read) / THR (write) / DLL (DLAB=1)    4 MCR
 *   1 IER / DLM (DLAB=1)                         5 LSR (read-only)
 *   2 IIR (read) / FCR (write)                   6 MSR (read-only)
 *   3 LCR (bit 7 = DLAB)                         7 SCR
 *
 * Transmit is immediate, as in QEMU with a backend that takes every byte: a THR write goes to the
 * CharBackend at once, THRE/TEMT are set again and the THRE interrupt becomes pending. Receive goes
 * through a 16-byte FIFO when FCR.FE is set (else the single RBR); the backend delivers input only
 * while `canReceive()` says there is room (serial_can_receive). The RDA interrupt is raised when the
 * FIFO holds at least the trigger level (FCR bits 7:6 → 1/4/8/14); fewer bytes raise the character
 * timeout interrupt (CTI) after 4 character times without FIFO activity (serial.c's
 * fifo_timeout_timer). Interrupt priority and IIR encoding follow serial_update_irq.
 *
 * Time: the CTI timer runs on the virtual clock; the run loop calls `update()` between slices and
 * includes `nextDeadlineNs()` in its sleep. Loopback (MCR bit 4) and modem-status changes are not
 * modelled: MSR reads DCD|DSR|CTS, as with QEMU's non-tty backends.
 */
import type { MemoryRegion } from '../../system/memory';
import type { IrqLine } from '../core/irq';
import { registerTableOps, type RegisterTable } from '../core/register-table';
import type { CharBackend, CharFrontend } from '../../chardev/char-fe';

export const UART_FIFO_LENGTH = 16;

// IER (datasheet §8.6)
const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;
// IIR
const IIR_NO_INT = 0x01;
const IIR_ID = 0x06;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FE = 0xc0;
// FCR
const FCR_FE = 0x01;
const FCR_RFR = 0x02;
const FCR_XFR = 0x04;
// LCR
const LCR_DLAB = 0x80;
// LSR
export const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e;
// MCR / MSR
const MCR_OUT2 = 0x08;
const MSR_DCD = 0x80;
const MSR_DSR = 0x20;
const MSR_CTS = 0x10;
const MSR_ANY_DELTA = 0x0f;

export interface SerialOptions {
  backend: CharBackend;
  irq: IrqLine;
  /** Input clock / 16 in Hz (QEMU's baudbase; virt passes 399193). */
  baudbase: number;
  /** Virtual clock in ns (QEMU_CLOCK_VIRTUAL), for the character timeout. */
  clockNs: () => number;
  onGuestError?: (msg: string) => void;
}

/** A byte FIFO of fixed capacity (QEMU's Fifo8). */
class Fifo8 {
  private readonly buf: Uint8Array;
  private head = 0;
  num = 0;
  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  get full(): boolean {
    return this.num === this.capacity;
  }
  push(b: number): void {
    this.buf[(this.head + this.num) % this.capacity] = b;
    this.num++;
  }
  pop(): number {
    const b = this.buf[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.num--;
    return b;
  }
  reset(): void {
    this.head = 0;
    this.num = 0;
  }
}

export class SerialState implements CharFrontend {
  readonly region: MemoryRegion;
  readonly table: RegisterTable;

  // Registers (serial.c's SerialState fields)
  private divider = 0;
  private rbr = 0;
  private thr = 0;
  private ier = 0;
  private iir = IIR_NO_INT;
  private lcr = 0;
  private mcr = 0;
  private lsr = 0;
  private msr = 0;
  private scr = 0;
  private fcr = 0;
  private thrIpending = false;
  private timeoutIpending = false;
  private recvFifoItl = 1;
  private charTransmitTimeNs = 0;
  private readonly recvFifo = new Fifo8(UART_FIFO_LENGTH);
  private readonly xmitFifo = new Fifo8(UART_FIFO_LENGTH);
  /** Virtual ns at which the character timeout fires, or null (fifo_timeout_timer). */
  private timeoutAtNs: number | null = null;
  private irqLevel: boolean | null = null;
  private readonly backend: CharBackend;
  private readonly irq: IrqLine;
  private readonly baudbase: number;
  private readonly clockNs: () => number;

  constructor(opts: SerialOptions) {
    this.backend = opts.backend;
    this.irq = opts.irq;
    this.baudbase = opts.baudbase;
    this.clockNs = opts.clockNs;
    this.table = registerTableOps(
      'serial',
      [
        { offset: 0, size: 1, name: 'RBR/THR/DLL', read: () => this.readRbr(), write: (v) => this.writeThr(v) },
        { offset: 1, size: 1, name: 'IER/DLM', read: () => (this.lcr & LCR_DLAB ? (this.divider >>> 8) & 0xff : this.ier), write: (v) => this.writeIer(v) },
        { offset: 2, size: 1, name: 'IIR/FCR', read: () => this.readIir(), write: (v) => this.writeFcr(v) },
        { offset: 3, size: 1, name: 'LCR', read: () => this.lcr, write: (v) => this.writeLcr(v) },
        { offset: 4, size: 1, name: 'MCR', read: () => this.mcr, write: (v) => (this.mcr = v & 0x1f) },
        { offset: 5, size: 1, name: 'LSR', read: () => this.readLsr() },
        { offset: 6, size: 1, name: 'MSR', read: () => this.readMsr() },
        { offset: 7, size: 1, name: 'SCR', read: () => this.scr, write: (v) => (this.scr = v) },
      ],
      opts.onGuestError,
    );
    this.region = { name: 'serial', size: 8, ops: this.table.ops };
    this.reset();
    this.backend.setFrontend(this);
  }

  /** serial_reset: 9600 8N1, FIFOs off and empty, transmitter empty, OUT2 set. */
  reset(): void {
    this.rbr = 0;
    this.ier = 0;
    this.iir = IIR_NO_INT;
    this.lcr = 0;
    this.lsr = LSR_TEMT | LSR_THRE;
    this.msr = MSR_DCD | MSR_DSR | MSR_CTS;
    this.divider = 0x0c;
    this.mcr = MCR_OUT2;
    this.scr = 0;
    this.fcr = 0;
    this.recvFifoItl = 1;
    this.charTransmitTimeNs = Math.floor(1e9 / 9600) * 10;
    this.timeoutIpending = false;
    this.timeoutAtNs = null;
    this.recvFifo.reset();
    this.xmitFifo.reset();
    this.thrIpending = false;
    this.irqLevel = null;
    this.updateIrq();
  }

  // ---------------------------------------------------------------- registers

  private readRbr(): number {
    if (this.lcr & LCR_DLAB) return this.divider & 0xff;
    let ret: number;
    if (this.fcr & FCR_FE) {
      ret = this.recvFifo.num === 0 ? 0 : this.recvFifo.pop();
      if (this.recvFifo.num === 0) {
        this.lsr &= ~(LSR_DR | LSR_BI);
        this.timeoutAtNs = null;
      } else this.timeoutAtNs = this.clockNs() + this.charTransmitTimeNs * 4;
      this.timeoutIpending = false;
    } else {
      ret = this.rbr;
      this.lsr &= ~(LSR_DR | LSR_BI);
    }
    this.updateIrq();
    this.backend.acceptInput();
    return ret;
  }

  private writeThr(v: number): void {
    if (this.lcr & LCR_DLAB) {
      this.divider = (this.divider & 0xff00) | v;
      this.updateParameters();
      return;
    }
    this.thr = v;
    if (this.fcr & FCR_FE) {
      if (this.xmitFifo.full) this.xmitFifo.pop();
      this.xmitFifo.push(v);
    }
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.thrIpending = false;
    this.updateIrq();
    this.xmit();
  }

  /** serial_xmit: the backend takes every byte, so the shift register drains at once. */
  private xmit(): void {
    do {
      let tsr: number;
      if (this.fcr & FCR_FE) {
        tsr = this.xmitFifo.pop();
        if (this.xmitFifo.num === 0) this.lsr |= LSR_THRE;
      } else {
        tsr = this.thr;
        this.lsr |= LSR_THRE;
      }
      if (this.lsr & LSR_THRE && !this.thrIpending) {
        this.thrIpending = true;
        this.updateIrq();
      }
      this.backend.write(Uint8Array.of(tsr));
    } while (!(this.lsr & LSR_THRE));
    this.lsr |= LSR_TEMT;
  }

  private writeIer(v: number): void {
    if (this.lcr & LCR_DLAB) {
      this.divider = (this.divider & 0x00ff) | (v << 8);
      this.updateParameters();
      return;
    }
    const changed = (this.ier ^ v) & 0x0f;
    this.ier = v & 0x0f;
    // Enabling THRI while THR is empty raises THRE again even if IIR was read (QEMU, after Bochs).
    if (changed & IER_THRI) this.thrIpending = (this.ier & IER_THRI) !== 0 && (this.lsr & LSR_THRE) !== 0;
    if (changed) this.updateIrq();
  }

  private readIir(): number {
    const ret = this.iir;
    // Reading IIR while it reports THRE clears that interrupt (datasheet Table IV).
    if ((ret & IIR_ID) === IIR_THRI) {
      this.thrIpending = false;
      this.updateIrq();
    }
    return ret;
  }

  private writeFcr(v: number): void {
    // Toggling the enable bit flushes both FIFOs.
    if ((v ^ this.fcr) & FCR_FE) v |= FCR_XFR | FCR_RFR;
    if (v & FCR_RFR) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutAtNs = null;
      this.timeoutIpending = false;
      this.recvFifo.reset();
    }
    if (v & FCR_XFR) {
      this.lsr |= LSR_THRE;
      this.thrIpending = true;
      this.xmitFifo.reset();
    }
    // serial_write_fcr: keep FE and the trigger level (and DMA mode bit 3), not the self-clearing bits.
    this.fcr = v & 0xc9;
    if (this.fcr & FCR_FE) {
      this.iir |= IIR_FE;
      this.recvFifoItl = [1, 4, 8, 14][(v >>> 6) & 3];
    } else this.iir &= ~IIR_FE;
    this.updateIrq();
    this.backend.acceptInput();
  }

  private writeLcr(v: number): void {
    this.lcr = v;
    this.updateParameters();
  }

  private readLsr(): number {
    const ret = this.lsr;
    // Reading LSR clears the break and overrun indications.
    if (this.lsr & (LSR_BI | LSR_OE)) {
      this.lsr &= ~(LSR_BI | LSR_OE);
      this.updateIrq();
    }
    return ret;
  }

  private readMsr(): number {
    const ret = this.msr;
    if (this.msr & MSR_ANY_DELTA) {
      this.msr &= 0xf0;
      this.updateIrq();
    }
    return ret;
  }

  /** serial_update_parameters: the character time from divisor and frame format. */
  private updateParameters(): void {
    if (this.divider === 0 || this.divider > this.baudbase) return;
    const parity = this.lcr & 0x08 ? 1 : 0;
    const stopBits = this.lcr & 0x04 ? 2 : 1;
    const dataBits = (this.lcr & 0x03) + 5;
    const frameSize = 1 + parity + dataBits + stopBits;
    const speed = this.baudbase / this.divider;
    this.charTransmitTimeNs = Math.floor((1e9 / speed) * frameSize);
  }

  /** serial_update_irq: the highest-priority pending condition goes to IIR and the IRQ line. */
  private updateIrq(): void {
    let id = IIR_NO_INT;
    if (this.ier & IER_RLSI && this.lsr & LSR_INT_ANY) id = IIR_RLSI;
    else if (this.ier & IER_RDI && this.timeoutIpending) id = IIR_CTI;
    else if (this.ier & IER_RDI && this.lsr & LSR_DR && (!(this.fcr & FCR_FE) || this.recvFifo.num >= this.recvFifoItl)) id = IIR_RDI;
    else if (this.ier & IER_THRI && this.thrIpending) id = IIR_THRI;
    else if (this.ier & IER_MSI && this.msr & MSR_ANY_DELTA) id = IIR_MSI;
    this.iir = id | (this.iir & 0xf0);
    const level = id !== IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  // ---------------------------------------------------------------- CharFrontend (input)

  /** serial_can_receive: room in the FIFO, advertising only up to the trigger level. */
  canReceive(): number {
    if (this.fcr & FCR_FE) {
      const num = this.recvFifo.num;
      if (num >= UART_FIFO_LENGTH) return 0;
      // Offer (ITL - count) bytes up to the trigger level (none exactly at it) and 1 above it, so
      // the guest sees its trigger level rather than a FIFO filled in one go (QEMU's rule).
      return num <= this.recvFifoItl ? this.recvFifoItl - num : 1;
    }
    return this.lsr & LSR_DR ? 0 : 1;
  }

  /** serial_receive1 */
  receive(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.fcr & FCR_FE) {
      for (const b of data) {
        // Receive overruns do not overwrite FIFO contents.
        if (this.recvFifo.full) this.lsr |= LSR_OE;
        else this.recvFifo.push(b);
      }
      this.lsr |= LSR_DR;
      this.timeoutAtNs = this.clockNs() + this.charTransmitTimeNs * 4;
    } else {
      if (this.lsr & LSR_DR) this.lsr |= LSR_OE;
      this.rbr = data[data.length - 1];
      this.lsr |= LSR_DR;
    }
    this.updateIrq();
  }

  // ---------------------------------------------------------------- time

  /** Fire the character timeout if due (fifo_timeout_int). Run loop, between slices. */
  update(): void {
    if (this.timeoutAtNs === null || this.clockNs() < this.timeoutAtNs) return;
    this.timeoutAtNs = null;
    if (this.recvFifo.num > 0) {
      this.timeoutIpending = true;
      this.updateIrq();
    }
  }

  /** Virtual ns until the character timeout fires: 0 if due, Infinity if none is armed. */
  nextDeadlineNs(): number {
    if (this.timeoutAtNs === null) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.timeoutAtNs - this.clockNs());
  }

  // ---------------------------------------------------------------- firmware console

  /**
   * What a polled firmware console does (OpenSBI's uart8250_getc): if LSR.DR, read RBR.
   * Returns the byte or -1. Used by the built-in SBI's legacy console_getchar.
   */
  pollGetchar(): number {
    if (this.lcr & LCR_DLAB) return -1;
    if (!(this.readLsr() & LSR_DR)) return -1;
    return this.readRbr();
  }
}
