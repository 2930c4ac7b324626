/**
 * qtest-style CLINT tests: msip, mtimecmp → MTIP, mtime from a controllable clock, extra
 * comparators (the SBI timer), deadlines (RISC-V ACLINT spec; QEMU riscv_aclint.c).
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { SifiveClint } from '../../../src/hw/intc/riscv-aclint';

const BASE = 0x2000000;
const MSIP = 1 << 3;
const MTIP = 1 << 7;
const STIP = 1 << 5;

class PinHart {
  mip = 0;
  setInterruptPending(mask: number, level: boolean) {
    this.mip = level ? this.mip | mask : this.mip & ~mask;
  }
}

let now = 0; // virtual ns
let harts: PinHart[];
let clint: SifiveClint;
let as: AddressSpace;
const r = (off: number) => as.ioRead(BASE + off, 4);
const w = (off: number, v: number) => as.ioWrite(BASE + off, 4, v);

beforeEach(() => {
  now = 0;
  harts = [new PinHart(), new PinHart()];
  clint = new SifiveClint(harts, 10_000_000, () => now);
  as = new AddressSpace(new GuestRam(0x80000000, 4096));
  for (const [b, reg] of clint.regions(BASE)) as.addRegion(b, reg);
  clint.reset();
});

describe('ACLINT (SiFive CLINT layout)', () => {
  test('msip per hart drives MSIP', () => {
    w(0x4, 1);
    expect(harts[1].mip & MSIP).toBe(MSIP);
    expect(harts[0].mip & MSIP).toBe(0);
    expect(r(0x4)).toBe(1);
    w(0x4, 0xfffffffe); // only bit 0 counts
    expect(harts[1].mip & MSIP).toBe(0);
    expect(r(0x4)).toBe(0);
  });

  test('mtime counts at 10 MHz from the virtual clock, in two 32-bit halves', () => {
    now = 1_000_000_000; // 1 s
    expect(r(0xbff8)).toBe(10_000_000);
    expect(r(0xbffc)).toBe(0);
    now = 500 * 1e9; // 500 s = 5e9 ticks
    expect(r(0xbff8)).toBe(5e9 % 2 ** 32);
    expect(r(0xbffc)).toBe(1);
    expect(as.ioRead(BASE + 0xbff8, 8)).toBe(5e9 % 2 ** 32);
    expect(as.ioHigh).toBe(1);
  });

  test('reset leaves mtimecmp 0, so MTIP is pending until software programs it (as QEMU)', () => {
    expect(harts[0].mip & MTIP).toBe(MTIP);
    w(0x4004, 0xffffffff); // mtimecmp_hi = max → far future
    expect(harts[0].mip & MTIP).toBe(0);
    expect(harts[1].mip & MTIP).toBe(MTIP);
  });

  test('mtimecmp in the future fires on update() once mtime reaches it; rewriting lowers MTIP', () => {
    as.ioWrite(BASE + 0x4000, 8, 1000, 0); // hart 0: 1000 ticks = 100 us
    expect(harts[0].mip & MTIP).toBe(0);
    expect(clint.nextDeadlineNs()).toBe(100_000);
    now = 99_999;
    clint.update();
    expect(harts[0].mip & MTIP).toBe(0);
    now = 100_000;
    expect(clint.nextDeadlineNs()).toBe(0);
    clint.update();
    expect(harts[0].mip & MTIP).toBe(MTIP);
    expect(r(0x4000)).toBe(1000);
    expect(r(0x4004)).toBe(0);
    w(0x4000, 5000); // low half: still in the future → lowered
    expect(harts[0].mip & MTIP).toBe(0);
    w(0x4000, 10); // in the past → raised at once
    expect(harts[0].mip & MTIP).toBe(MTIP);
  });

  test('writing mtime re-evaluates every comparator', () => {
    as.ioWrite(BASE + 0x4008, 8, 500, 0); // hart 1
    as.ioWrite(BASE + 0x4000, 8, 0xffffffff, 0xffffffff); // hart 0 never
    expect(harts[1].mip & MTIP).toBe(0);
    w(0xbff8, 600);
    expect(r(0xbff8)).toBe(600);
    expect(harts[1].mip & MTIP).toBe(MTIP);
    expect(harts[0].mip & MTIP).toBe(0);
    now = 1e9;
    expect(r(0xbff8)).toBe(600 + 10_000_000);
  });

  test('extra comparators (SBI stimecmp) share the clock, update and deadline', () => {
    as.ioWrite(BASE + 0x4000, 8, 0xffffffff, 0xffffffff);
    as.ioWrite(BASE + 0x4008, 8, 0xffffffff, 0xffffffff);
    const st = clint.mtimer.addComparator(harts[1], STIP);
    expect(clint.nextDeadlineNs()).toBe(Infinity);
    st.set(20);
    expect(harts[1].mip & STIP).toBe(0);
    expect(clint.nextDeadlineNs()).toBe(2000);
    now = 2000;
    clint.update();
    expect(harts[1].mip & STIP).toBe(STIP);
    expect(clint.nextDeadlineNs()).toBe(Infinity);
    st.set(2 ** 64 - 1);
    expect(harts[1].mip & STIP).toBe(0);
  });

  test('unknown offsets read 0 and are reported', () => {
    const errs: string[] = [];
    const c = new SifiveClint([new PinHart()], 10_000_000, () => 0, (m) => errs.push(m));
    expect(c.swi.region.ops.read(0x8, 4)).toBe(0); // msip of hart 2 does not exist
    expect(c.mtimer.region.ops.read(0x10, 4)).toBe(0);
    expect(errs).toHaveLength(2);
  });
});
