/**
 * The built-in SBI firmware (SBI spec v1.0) driven through ECALLs on stand-in harts of a real
 * board: return registers, error codes, and the effects on harts, timers, console and shutdown.
 */
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildVirtMachine } from '../../../../src/machine/virt/board';
import { MemoryCharBackend } from '../../../../src/chardev/char-memory';
import type { ShutdownRequest } from '../../../../src/hw/misc/sifive-test';
import { Priv } from '../../../../src/target/riscv/cpu-api';
import { FakeHart } from '../fake-hart';

const GUEST_BIN = path.resolve(__dirname, '../../../../guest/default/default.bin');
const BASE = 0x10;
const TIME = 0x54494d45;
const IPI = 0x735049;
const RFENCE = 0x52464e43;
const HSM = 0x48534d;
const SRST = 0x53525354;
const SSIP = 1 << 1;
const STIP = 1 << 5;
const ALL = (1n << 64n) - 1n;

function boot(smp = 4) {
  const serial = new MemoryCharBackend();
  const shutdowns: ShutdownRequest[] = [];
  let now = 0;
  const m = buildVirtMachine(
    { ramSize: 64 * 2 ** 20, smp, bios: 'default', kernel: GUEST_BIN, serial, onShutdown: (r) => shutdowns.push(r), rngSeed: null, clock: { nowNs: () => now } },
    (o) => new FakeHart(o.hartId, o.as, o.getTime),
  );
  return { m, serial, shutdowns, h: m.harts as FakeHart[], setNow: (ns: number) => (now = ns) };
}

describe('built-in SBI', () => {
  test('Base: spec v1.0, implementation, probe, machine ids', () => {
    const { h } = boot();
    h[0].csr.set(0xf12, 0x70200n);
    expect(h[0].ecall(BASE, 0)).toEqual({ error: 0n, value: 0x01000000n });
    expect(h[0].ecall(BASE, 1).value).toBe(0x7674n);
    expect(h[0].ecall(BASE, 2).error).toBe(0n);
    for (const eid of [0, 1, 8, BASE, TIME, IPI, RFENCE, HSM, SRST]) expect(h[0].ecall(BASE, 3, eid).value, `probe ${eid}`).toBe(1n);
    for (const eid of [9, 0x4442434e /* DBCN */, 0x504d55 /* PMU */]) expect(h[0].ecall(BASE, 3, eid).value).toBe(0n);
    expect(h[0].ecall(BASE, 5).value).toBe(0x70200n);
    expect(h[0].ecall(BASE, 99).error).toBe(-2n);
    expect(h[0].ecall(0x12345678, 0).error).toBe(-2n); // unknown extension
    expect(h[0].pc).toBe(0x80200000n + 4n * 18n); // the hart advanced pc past each ECALL, not the SBI
  });

  test('TIME: set_timer raises STIP at the deadline and clears it when set again', () => {
    const { m, h, setNow } = boot();
    expect(h[0].ecall(TIME, 0, 50).error).toBe(0n); // 50 ticks = 5 us
    expect(h[0].mip & STIP).toBe(0);
    setNow(5000);
    m.updateTimers();
    expect(h[0].mip & STIP).toBe(STIP);
    h[0].ecall(TIME, 0, ALL);
    expect(h[0].mip & STIP).toBe(0);
    h[0].ecall(TIME, 0, 1); // in the past: pending at once
    expect(h[0].mip & STIP).toBe(STIP);
    h[0].ecall(0x00, 0, 1000); // legacy set_timer
    expect(h[0].mip & STIP).toBe(0);
  });

  test('HSM: secondaries stopped; hart_start enters S-mode at start_addr with a0 = hartid, a1 = opaque', () => {
    const { h } = boot();
    expect(h[0].ecall(HSM, 2, 0).value).toBe(0n); // STARTED
    expect(h[0].ecall(HSM, 2, 1).value).toBe(1n); // STOPPED
    expect(h[0].ecall(HSM, 2, 9).error).toBe(-3n);
    expect(h[0].ecall(HSM, 0, 2, 0x80300000, 0xabc).error).toBe(0n);
    expect(h[2].halted).toBe(false);
    expect(h[2].priv).toBe(Priv.S);
    expect(h[2].pc).toBe(0x80300000n);
    expect([h[2].gpr[10], h[2].gpr[11]]).toEqual([2n, 0xabcn]);
    expect(h[2].csr.get(0x303)).toBe(0x222n);
    expect(h[0].ecall(HSM, 0, 2, 0x80300000, 0).error).toBe(-6n); // ALREADY_AVAILABLE
    expect(h[0].ecall(HSM, 0, 3, 0x1000, 0).error).toBe(-5n); // not RAM
    expect(h[0].ecall(HSM, 0, 4, 0x80300000, 0).error).toBe(-3n);
    h[2].ecall(HSM, 1); // hart_stop on itself
    expect(h[2].halted).toBe(true);
    expect(h[0].ecall(HSM, 2, 2).value).toBe(1n);
    expect(h[0].ecall(HSM, 3, 0).error).toBe(0n); // retentive suspend returns at once
    expect(h[0].ecall(HSM, 3, 0x80000000).error).toBe(-2n);
  });

  test('IPI: hart_mask/hart_mask_base select targets; stopped harts are skipped; bad ids fail', () => {
    const { h } = boot();
    h[0].ecall(HSM, 0, 1, 0x80200000, 0);
    h[0].ecall(HSM, 0, 3, 0x80200000, 0);
    expect(h[0].ecall(IPI, 0, 0b101, 1).error).toBe(0n); // harts 1 and 3
    expect(h.map((x) => x.mip & SSIP)).toEqual([0, SSIP, 0, SSIP]);
    h[1].mip = h[3].mip = 0;
    expect(h[0].ecall(IPI, 0, 0, ALL).error).toBe(0n); // every hart; hart 2 is stopped
    expect(h.map((x) => x.mip & SSIP)).toEqual([SSIP, SSIP, 0, SSIP]);
    expect(h[0].ecall(IPI, 0, 1, 4).error).toBe(-3n);
    h[0].ecall(0x03, 0); // legacy clear_ipi
    expect(h[0].mip & SSIP).toBe(0);
  });

  test('RFENCE: remote fence.i and sfence.vma reach the selected started harts', () => {
    const { h } = boot();
    h[0].ecall(HSM, 0, 1, 0x80200000, 0);
    const before = h.map((x) => [x.icacheFlushes, x.tlbFlushes]);
    expect(h[0].ecall(RFENCE, 0, 0b11, 0).error).toBe(0n);
    expect(h[0].ecall(RFENCE, 1, 0b10, 0, 0x1000, 0x1000).error).toBe(0n);
    expect(h[0].ecall(RFENCE, 2, 0b10, 0, 0, ALL, 5).error).toBe(0n);
    expect(h.map((x, i) => [x.icacheFlushes - before[i][0], x.tlbFlushes - before[i][1]])).toEqual([
      [1, 0],
      [1, 2],
      [0, 0],
      [0, 0],
    ]);
    expect(h[0].ecall(RFENCE, 3, 1, 0).error).toBe(-2n); // hfence: no H extension
    expect(h[0].ecall(RFENCE, 0, 1, 7).error).toBe(-3n);
  });

  test('legacy console: putchar to the UART backend, getchar from the UART (a1 untouched)', () => {
    const { h, serial } = boot();
    for (const c of 'hi\n') h[0].ecall(0x01, 0, c.charCodeAt(0));
    expect(serial.text()).toBe('hi\n');
    h[0].gpr[11] = 0x55n;
    expect(h[0].ecall(0x02, 0)).toEqual({ error: -1n, value: 0x55n });
    serial.feed('Q');
    expect(h[0].ecall(0x02, 0).error).toBe(0x51n);
  });

  test('legacy send_ipi and remote fences read the hart mask from guest memory', () => {
    const { m, h } = boot();
    h[0].ecall(HSM, 0, 1, 0x80200000, 0);
    const mask = new Uint8Array(8);
    mask[0] = 0b10;
    m.as.writePhys(0x81000000, mask);
    expect(h[0].ecall(0x04, 0, 0x81000000).error).toBe(0n);
    expect(h[1].mip & SSIP).toBe(SSIP);
    expect(h[0].ecall(0x05, 0, 0x81000000).error).toBe(0n);
    expect(h[1].icacheFlushes).toBeGreaterThan(0);
    expect(h[0].ecall(0x04, 0, 0x1000000).error).toBe(-5n); // unreadable mask
  });

  test('SRST: shutdown and reboot reach the machine and halt every hart; bad types fail', () => {
    let b = boot();
    expect(b.h[0].ecall(SRST, 0, 5, 0).error).toBe(-3n);
    expect(b.h[0].ecall(SRST, 0, 0, 7).error).toBe(-3n);
    b.h[0].ecall(SRST, 0, 0, 1);
    expect(b.shutdowns).toEqual([{ kind: 'poweroff', code: 0 }]);
    expect(b.h.every((x) => x.halted)).toBe(true);
    b = boot();
    b.h[0].ecall(SRST, 0, 1, 0);
    expect(b.shutdowns).toEqual([{ kind: 'reset', code: 0 }]);
    b = boot();
    b.h[0].ecall(0x08, 0);
    expect(b.shutdowns).toEqual([{ kind: 'poweroff', code: 0 }]);
  });
});
