/**
 * qtest-style PLIC tests: registers driven through the AddressSpace at the virt addresses, inputs
 * through IrqLines, outputs observed as the harts' MEIP/SEIP (PLIC spec v1.0.0, QEMU sifive_plic.c).
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { plicHartConfig, parseHartConfig, SifivePlic, VIRT_PLIC_SIZE } from '../../../src/hw/intc/sifive-plic';

const BASE = 0xc000000;
const prio = (n: number) => BASE + 4 * n;
const pending = (w: number) => BASE + 0x1000 + 4 * w;
const enable = (ctx: number, w: number) => BASE + 0x2000 + 0x80 * ctx + 4 * w;
const threshold = (ctx: number) => BASE + 0x200000 + 0x1000 * ctx;
const claim = (ctx: number) => BASE + 0x200004 + 0x1000 * ctx;

let as: AddressSpace;
let plic: SifivePlic;
let out: boolean[];
let errors: string[];

function setup(harts: number) {
  as = new AddressSpace(new GuestRam(0x80000000, 4096));
  out = new Array(harts * 2).fill(false);
  errors = [];
  plic = new SifivePlic(
    { hartConfig: plicHartConfig(harts), numSources: 96, numPriorities: 7, apertureSize: VIRT_PLIC_SIZE(1024), onGuestError: (m) => errors.push(m) },
    out.map((_, i) => ({ set: (l: boolean) => (out[i] = l) })),
  );
  as.addRegion(BASE, plic.region);
}
const w = (a: number, v: number) => as.ioWrite(a, 4, v);
const r = (a: number) => as.ioRead(a, 4);

describe('SiFive PLIC', () => {
  beforeEach(() => setup(2));

  test('hart config "MS,MS" gives M then S contexts per hart', () => {
    expect(parseHartConfig('MS,MS')).toEqual([
      { hart: 0, mode: 'M' },
      { hart: 0, mode: 'S' },
      { hart: 1, mode: 'M' },
      { hart: 1, mode: 'S' },
    ]);
    expect(() => parseHartConfig('MM')).toThrow(/duplicate/);
  });

  test('a level input becomes pending; the context fires only when enabled with priority > threshold', () => {
    plic.irq(10).set(true);
    expect(r(pending(0))).toBe(1 << 10);
    expect(out).toEqual([false, false, false, false]);
    w(enable(1, 0), 1 << 10); // hart 0 S-mode
    expect(out[1]).toBe(false); // priority 0 never interrupts
    w(prio(10), 1);
    expect(out).toEqual([false, true, false, false]);
    w(threshold(1), 1); // priority must exceed the threshold
    expect(out[1]).toBe(false);
    w(threshold(1), 0);
    expect(out[1]).toBe(true);
    plic.irq(10).set(false); // device drops its line before the claim
    expect(r(pending(0))).toBe(0);
    expect(out[1]).toBe(false);
  });

  test('claim returns the highest priority (lowest id on ties), clears pending; complete re-pends a still-high line', () => {
    for (const n of [3, 5, 40]) {
      w(prio(n), n === 40 ? 2 : 1);
      plic.irq(n).set(true);
    }
    w(enable(0, 0), (1 << 3) | (1 << 5));
    w(enable(0, 1), 1 << (40 - 32));
    expect(out[0]).toBe(true);
    expect(r(claim(0))).toBe(40);
    expect(r(pending(1))).toBe(0);
    expect(r(claim(0))).toBe(3); // tie between 3 and 5 → lowest id
    expect(r(claim(0))).toBe(5);
    expect(out[0]).toBe(false); // everything in flight
    expect(r(claim(0))).toBe(0);
    // Source 5's device lowers its line while in flight: completion leaves it idle.
    plic.irq(5).set(false);
    w(claim(0), 5);
    expect(r(pending(0)) & (1 << 5)).toBe(0);
    // Source 3 is still high at completion: the gateway forwards a new request.
    w(claim(0), 3);
    expect(r(pending(0)) & (1 << 3)).toBe(1 << 3);
    expect(out[0]).toBe(true);
    expect(r(claim(0))).toBe(3);
  });

  test('a claimed source does not interrupt other contexts; contexts have separate enables', () => {
    w(prio(1), 7);
    w(enable(0, 0), 2);
    w(enable(3, 0), 2); // hart 1 S
    plic.irq(1).set(true);
    expect(out).toEqual([true, false, false, true]);
    expect(r(claim(3))).toBe(1);
    expect(out).toEqual([false, false, false, false]);
    expect(r(claim(0))).toBe(0);
  });

  test('priority and threshold are WARL over 3 bits; source 0 has no priority', () => {
    w(prio(7), 0xf);
    expect(r(prio(7))).toBe(7);
    w(prio(7), 9);
    expect(r(prio(7))).toBe(1);
    w(threshold(2), 0x12);
    expect(r(threshold(2))).toBe(2);
    w(prio(0), 5);
    expect(r(prio(0))).toBe(0);
    expect(plic.table.nameAt(0x28)).toBe('priority[10]');
    expect(plic.table.nameAt(0x200004 + 0x3000)).toBe('context3.claim');
  });

  test('pending is read-only; accesses to absent contexts or source 96 are guest errors', () => {
    plic.irq(2).set(true);
    w(pending(0), 0);
    expect(r(pending(0))).toBe(4);
    w(prio(96), 1); // Linux probes it: QEMU 7.2 advertises riscv,ndev = 96
    expect(r(enable(4, 0))).toBe(0); // context 4 does not exist with 2 harts
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(() => plic.irq(96)).toThrow();
    expect(() => plic.irq(0)).toThrow();
  });

  test('reset clears registers and re-samples lines that are still high', () => {
    w(prio(4), 3);
    w(enable(0, 0), 1 << 4);
    plic.irq(4).set(true);
    expect(r(claim(0))).toBe(4);
    plic.reset();
    expect(r(prio(4))).toBe(0);
    expect(r(enable(0, 0))).toBe(0);
    expect(r(pending(0))).toBe(1 << 4);
    expect(out[0]).toBe(false);
  });
});
