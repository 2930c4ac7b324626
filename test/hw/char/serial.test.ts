/**
 * qtest-style NS16550A tests through the AddressSpace (PC16550D datasheet; QEMU serial.c):
 * transmit, divisor latch, FIFOs and trigger levels, RDA/THRE/timeout interrupts, flow control.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { SerialState } from '../../../src/hw/char/serial';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';

const BASE = 0x10000000;
const [RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 3, 4, 5, 6, 7];
const FCR = IIR;

let as: AddressSpace;
let be: MemoryCharBackend;
let uart: SerialState;
let irq: boolean;
let now: number;
const rb = (o: number) => as.ioRead(BASE + o, 1);
const wb = (o: number, v: number) => as.ioWrite(BASE + o, 1, v);

beforeEach(() => {
  as = new AddressSpace(new GuestRam(0x80000000, 4096));
  be = new MemoryCharBackend();
  irq = false;
  now = 0;
  uart = new SerialState({ backend: be, irq: { set: (l) => (irq = l) }, baudbase: 399193, clockNs: () => now });
  as.addRegion(BASE, uart.region);
});

describe('NS16550A', () => {
  test('reset state: THR empty, no interrupt, 9600 divisor, OUT2, modem lines up', () => {
    expect(rb(LSR)).toBe(0x60);
    expect(rb(IIR)).toBe(0x01);
    expect(rb(MCR)).toBe(0x08);
    expect(rb(MSR)).toBe(0xb0);
    wb(LCR, 0x80);
    expect(rb(RBR) | (rb(IER) << 8)).toBe(12);
    expect(irq).toBe(false);
  });

  test('THR writes go to the backend at once; THRE/TEMT stay set', () => {
    for (const c of 'ok\n') wb(RBR, c.charCodeAt(0));
    expect(be.text()).toBe('ok\n');
    expect(rb(LSR) & 0x60).toBe(0x60);
  });

  test('divisor latch: DLAB switches offsets 0/1 to DLL/DLM without touching IER or output', () => {
    wb(IER, 0x01);
    wb(LCR, 0x83);
    wb(RBR, 0x03);
    wb(IER, 0x00);
    expect(rb(RBR)).toBe(3);
    expect(rb(IER)).toBe(0);
    wb(LCR, 0x03);
    expect(rb(IER)).toBe(0x01);
    expect(be.output()).toHaveLength(0);
    wb(SCR, 0x5a);
    expect(rb(SCR)).toBe(0x5a);
  });

  test('THRE interrupt: raised on enable with THR empty, cleared by reading IIR, raised again after a write', () => {
    wb(IER, 0x02);
    expect(irq).toBe(true);
    expect(rb(IIR)).toBe(0x02);
    expect(irq).toBe(false);
    expect(rb(IIR)).toBe(0x01);
    wb(RBR, 0x41); // transmitted immediately → THR empty again
    expect(irq).toBe(true);
    wb(IER, 0x00);
    expect(irq).toBe(false);
  });

  test('without FIFO: one byte at a time (flow control), RDA interrupt, DR', () => {
    wb(IER, 0x01);
    be.feed('xy');
    expect(rb(LSR) & 1).toBe(1);
    expect(irq).toBe(true);
    expect(rb(IIR)).toBe(0x04);
    expect(be.pendingInput).toBe(1); // the second byte waits in the backend
    expect(rb(RBR)).toBe(0x78); // reading accepts the next byte
    expect(rb(RBR)).toBe(0x79);
    expect(rb(LSR) & 1).toBe(0);
    expect(irq).toBe(false);
    expect(rb(RBR)).toBe(0x79); // RBR keeps the last byte
  });

  test('FIFO with trigger level 8: RDA at 8 bytes, IIR shows FIFO bits, backend holds the rest', () => {
    wb(FCR, 0x81); // enable, ITL = 8
    wb(IER, 0x01);
    expect(rb(IIR) & 0xc0).toBe(0xc0);
    be.feed('0123456789abcdefXYZ');
    expect(irq).toBe(true);
    expect(rb(IIR)).toBe(0xc4);
    expect(be.pendingInput).toBe(11); // QEMU offers exactly ITL bytes first
    let s = '';
    while (rb(LSR) & 1) s += String.fromCharCode(rb(RBR));
    expect(s).toBe('0123456789abcdefXYZ');
    expect(irq).toBe(false);
  });

  test('FIFO below the trigger level: character timeout interrupt after 4 character times', () => {
    wb(LCR, 0x83); // 8N1, DLAB
    wb(RBR, 3); // 399193 / 3 = 133064 baud → 10 bits ≈ 75.15 us per character
    wb(LCR, 0x03);
    wb(FCR, 0xc1); // ITL 14
    wb(IER, 0x01);
    now = 1000;
    be.feed('ab');
    expect(irq).toBe(false);
    const deadline = uart.nextDeadlineNs();
    expect(deadline).toBeGreaterThan(4 * 75_000);
    expect(deadline).toBeLessThan(4 * 76_000);
    now += deadline - 1;
    uart.update();
    expect(irq).toBe(false);
    now += 1;
    uart.update();
    expect(irq).toBe(true);
    expect(rb(IIR)).toBe(0xcc);
    expect(rb(RBR)).toBe(0x61); // reading clears the timeout, restarts the timer
    expect(irq).toBe(false);
    expect(uart.nextDeadlineNs()).toBeGreaterThan(0);
    expect(rb(RBR)).toBe(0x62);
    expect(uart.nextDeadlineNs()).toBe(Infinity);
  });

  test('FCR flushes: receive FIFO reset clears DR; toggling FE flushes both', () => {
    wb(FCR, 0x01);
    be.feed('q');
    expect(rb(LSR) & 1).toBe(1);
    wb(FCR, 0x03);
    expect(rb(LSR) & 1).toBe(0);
    wb(FCR, 0x00);
    expect(rb(IIR) & 0xc0).toBe(0);
  });

  test('registers beyond offset 7 are not part of the device', () => {
    as.ioRead(BASE + 8, 1);
    expect(as.lastAccessFailed).toBe(true);
    expect(uart.table.nameAt(0)).toBe('RBR/THR/DLL');
  });

  test('pollGetchar reads like a polling firmware console', () => {
    expect(uart.pollGetchar()).toBe(-1);
    be.feed('z');
    expect(uart.pollGetchar()).toBe(0x7a);
    expect(uart.pollGetchar()).toBe(-1);
  });
});
