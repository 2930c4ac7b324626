/**
 * CodeDirtyMap (src/system/memory.ts): pages of guest RAM written by DMA on another thread (an
 * iothread) marked there and taken by the CPUs' thread before its next vCPU round.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { CodeDirtyMap, GuestRam } from '../../src/system/memory';

const BASE = 0x8000_0000;

/** The CPUs' RAM and another thread's view of it over the same buffers. */
function pair(size = 1 << 20) {
  const own = new GuestRam(BASE, size);
  const taken: Array<[number, number]> = [];
  own.codeInvalidator = (paddr, len) => taken.push([paddr, len]);
  const remote = new GuestRam(BASE, size, own.buffer, own.codeDirty.buffer);
  return { own, remote, taken };
}

describe('CodeDirtyMap', () => {
  test('one bit per 4 KiB page after a generation word', () => {
    expect(CodeDirtyMap.bytesFor(4096)).toBe(8);
    expect(CodeDirtyMap.bytesFor(32 * 4096)).toBe(8);
    expect(CodeDirtyMap.bytesFor(33 * 4096)).toBe(12);
    expect(CodeDirtyMap.bytesFor(256 << 20)).toBe(4 + 8192);
  });

  test('the remote view marks the pages a DMA wrote and bumps the generation; nothing reaches a codeInvalidator there', () => {
    const { own, remote, taken } = pair();
    expect(remote.tracksCode).toBe(true);
    expect(own.codeDirty.pending()).toBe(false);
    // 100 bytes at 0x1ff0: pages 1 and 2.
    remote.invalidate_and_set_dirty(remote.u8.subarray(0x1ff0, 0x2100), 100);
    expect(taken).toEqual([]);
    expect(own.codeDirty.generation).toBe(1);
    expect(own.codeDirty.pending()).toBe(true);
    expect(own.takeRemoteInvalidations()).toBe(2);
    expect(taken).toEqual([[BASE + 0x1000, 0x2000]]);
    // Taken: the bits are clear and nothing is pending until the next mark.
    expect(own.codeDirty.pending()).toBe(false);
    expect(own.takeRemoteInvalidations()).toBe(0);
    expect([...own.codeDirty.words.subarray(1)].every((w) => w === 0)).toBe(true);
  });

  test('runs of consecutive pages are one call; separate pages separate calls; word boundaries', () => {
    const { own, remote, taken } = pair(4 << 20);
    remote.invalidate_and_set_dirty(remote.u8.subarray(31 * 4096, 34 * 4096)); // pages 31..33 (two words)
    remote.invalidate_and_set_dirty(remote.u8.subarray(100 * 4096, 100 * 4096 + 1)); // page 100
    remote.invalidate_and_set_dirty(remote.u8.subarray(1023 * 4096, 1024 * 4096)); // the last page
    expect(own.codeDirty.generation).toBe(3);
    expect(own.takeRemoteInvalidations()).toBe(5);
    expect(taken).toEqual([
      [BASE + 31 * 4096, 3 * 4096],
      [BASE + 100 * 4096, 4096],
      [BASE + 1023 * 4096, 4096],
    ]);
  });

  test('the length is clamped to the view; a zero length or another buffer marks nothing', () => {
    const { own, remote, taken } = pair();
    remote.invalidate_and_set_dirty(remote.u8.subarray(0, 16), 1 << 20);
    remote.invalidate_and_set_dirty(remote.u8.subarray(0x5000, 0x6000), 0);
    remote.invalidate_and_set_dirty(new Uint8Array(new SharedArrayBuffer(4096)));
    expect(own.takeRemoteInvalidations()).toBe(1);
    expect(taken).toEqual([[BASE, 4096]]);
  });

  test('the CPUs\' own view calls its invalidator directly and marks nothing; a view without either does nothing', () => {
    const { own, taken } = pair();
    own.invalidate_and_set_dirty(own.u8.subarray(0x3000, 0x3010));
    expect(taken).toEqual([[BASE + 0x3000, 16]]);
    expect(own.codeDirty.pending()).toBe(false);
    const bare = new GuestRam(BASE, 4096);
    expect(bare.tracksCode).toBe(false);
    bare.invalidate_and_set_dirty(bare.u8.subarray(0, 8));
    expect(bare.codeDirty.pending()).toBe(false);
  });

  test('a map of the wrong size for the RAM is refused', () => {
    const own = new GuestRam(BASE, 1 << 20);
    expect(() => new GuestRam(BASE, 2 << 20, new SharedArrayBuffer(2 << 20), own.codeDirty.buffer)).toThrow(/code-dirty map of 36 bytes given for 2097152 bytes of RAM \(needs 68\)/);
  });

  test('marks made by another thread while this one takes are all seen, in a later take at the latest', async () => {
    const { own, taken } = pair(4 << 20);
    const pages = 1024;
    const rounds = 20;
    // The other thread marks every page `rounds` times (one mark per page, generation bumped each time).
    const src = `
      const { workerData } = require('node:worker_threads');
      const w = new Int32Array(workerData.map);
      for (let r = 0; r < workerData.rounds; r++)
        for (let p = 0; p < workerData.pages; p++) { Atomics.or(w, 1 + (p >>> 5), 1 << (p & 31)); Atomics.add(w, 0, 1); }
    `;
    const worker = new Worker(src, { eval: true, workerData: { map: own.codeDirty.buffer, pages, rounds } });
    const done = new Promise<void>((resolve, reject) => {
      worker.on('exit', () => resolve());
      worker.on('error', reject);
    });
    let ended = false;
    void done.then(() => (ended = true));
    const seen = new Set<number>();
    while (!ended) {
      own.takeRemoteInvalidations();
      await new Promise((r) => setImmediate(r));
    }
    await done;
    own.takeRemoteInvalidations();
    for (const [a, l] of taken) for (let p = (a - BASE) / 4096; p < (a - BASE + l) / 4096; p++) seen.add(p);
    expect(seen.size).toBe(pages);
    expect(own.codeDirty.generation).toBe(pages * rounds);
    expect(own.codeDirty.pending()).toBe(false);
    expect([...own.codeDirty.words.subarray(1)].every((w) => w === 0)).toBe(true);
  });
});
