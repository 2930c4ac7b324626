/**
 * DataTlb.flushRamPage (tlb.ts): drops every entry mapping a RAM page, in every slot, and nothing
 * else; its per-page bit (which lets it skip the scan) must never make it miss an entry, whatever
 * flushes happened in between.
 */
import { expect, test } from 'vitest';
import { DataTlb, dataSlot, MmuIdx } from '../../../src/target/riscv/tlb';

/** Entries of `tlb` whose tag is valid and that map RAM page offset `ramOff`. */
function live(tlb: DataTlb, ramOff: number): number {
  return tlb.entriesOf(ramOff).length;
}

test('flushRamPage drops the entries of that page in every slot and keeps the others', () => {
  const tlb = new DataTlb();
  tlb.set(dataSlot(MmuIdx.S, 0), 0x1000, -1, 0x5000);
  tlb.set(dataSlot(MmuIdx.U, 3), 0x7000, 0, 0x5000);
  tlb.set(dataSlot(MmuIdx.M, 0), 0x80005000 | 0, 0, 0x5000);
  tlb.set(dataSlot(MmuIdx.S, 0), 0x2000, -1, 0x6000);
  expect(live(tlb, 0x5000)).toBe(3);
  tlb.flushRamPage(0x5000);
  expect(live(tlb, 0x5000)).toBe(0);
  expect(live(tlb, 0x6000)).toBe(1);
  // A page no entry maps, one beyond any seen so far: nothing happens.
  tlb.flushRamPage(0x9000);
  tlb.flushRamPage(0x10000000);
  expect(live(tlb, 0x6000)).toBe(1);
});

test('after other flushes and new entries, flushRamPage still finds every entry of the page', () => {
  const tlb = new DataTlb();
  tlb.set(dataSlot(MmuIdx.S, 1), 0x3000, -1, 0x8000);
  tlb.flushRamPage(0x8000);
  expect(live(tlb, 0x8000)).toBe(0);
  // Mapped again after the page's bit was cleared; then a bank flush that leaves another slot's entry.
  tlb.set(dataSlot(MmuIdx.S, 1), 0x3000, -1, 0x8000);
  tlb.set(dataSlot(MmuIdx.S, 2), 0x4000, -1, 0x8000);
  tlb.flushBank(1);
  expect(live(tlb, 0x8000)).toBe(1);
  tlb.flushRamPage(0x8000);
  expect(live(tlb, 0x8000)).toBe(0);
  // flushAll, then new entries.
  tlb.set(dataSlot(MmuIdx.U, 0), 0x5000, 0, 0x8000);
  tlb.flushAll();
  tlb.set(dataSlot(MmuIdx.U, 0), 0x6000, 0, 0x8000);
  tlb.flushRamPage(0x8000);
  expect(live(tlb, 0x8000)).toBe(0);
});
