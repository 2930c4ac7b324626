/**
 * CodeDirtyMap (src/system/memory.ts): pages of guest RAM written by DMA on another thread (an
 * iothread) marked there and taken by the CPUs' thread before its next vCPU round or at a FENCE.I.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DATAPLANE_IOTHREAD_MODULE, dataPlaneBlockOps, virtio_blk_data_plane_create } from '../../src/hw/block/dataplane/virtio-blk';
import { VirtIOBlock } from '../../src/hw/block/virtio-blk';
import { VIRTIO_BLK_T_IN } from '../../src/hw/block/virtio-blk-config';
import { VIRTIO_MMIO_QUEUE_NOTIFY } from '../../src/hw/virtio/virtio-mmio';
import { runRoundRobin } from '../../src/system/cpus';
import { CodeDirtyMap, GuestRam } from '../../src/system/memory';
import { RiscvCpu } from '../../src/target/riscv/cpu';
import { getJitThresholds, setJitThreshold } from '../../src/target/riscv/jit';
import { iothread_create, iothread_destroy, type IOThread } from '../../src/util/iothread';
import { blkHeader, blkStart } from '../hw/block/blk-driver';
import { MMIO_BASE, RAM_BASE, VirtioMmioTestDriver } from '../hw/virtio/qtest-virtio';
import { assemble, haveBinutils } from '../target/riscv/helpers/asm';
import { requireFreshDist } from '../util/util-test-helpers';

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

/**
 * A guest that reads code from a dataplane disk (`iothread=`) into a page it ran before, polls the
 * used ring (no interrupt), executes FENCE.I and calls the code must run the new code within the
 * same vCPU round: the run loop's take before each round comes too late for it, so FENCE.I takes
 * the marks (target/riscv/code-cache.ts fenceI). The page also holds a data word the guest stores
 * to, so the FENCE.I content-hash net (checkFence) cannot help: a page a CPU store touched since its
 * last check has no valid hash.
 */
describe.skipIf(!haveBinutils())('FENCE.I after a dataplane read the guest polled for', () => {
  let io: IOThread;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-code-dirty-'));
  const thresholds = getJitThresholds();
  beforeAll(() => {
    requireFreshDist();
    io = iothread_create('io-fencei', { modules: [DATAPLANE_IOTHREAD_MODULE] });
    setJitThreshold(50_000, 1000); // the defaults, whatever the environment says: the loop compiles
  });
  afterAll(() => {
    setJitThreshold(...thresholds);
    iothread_destroy(io);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const A0 = 10;
  const T0 = 5;
  const addi = (rd: number, rs1: number, imm: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13) >>> 0;
  /** a0 = 2000 * step in a loop ending in its back jump (the shape the JIT compiles once hot); ret. */
  const loopWords = (step: number) => [addi(A0, 0, 0), addi(T0, 0, 2000), addi(A0, A0, step), addi(T0, T0, -1), 0x00028463 /* beqz t0, .+8 */, 0xff5ff06f /* j .-12 */, 0x00008067 /* ret */];
  const ROUNDS = 3;
  const SPIN = 50_000_000;

  // params: avail, used, queue size, QueueNotify address, round count, then one head per round.
  // results: per round, what the code returned before the read (hot, compiled) and after FENCE.I.
  const PROGRAM = `
  .section .text.start, "ax"
  .globl _start
_start:
  la s0, params
  la s1, results
  li s2, 0
  ld s3, 32(s0)
round:
  call code                # (a) decoded
  la t0, counter
  sd s2, 0(t0)             # (b) a store to the page: decoded code dropped, its content hash too
  li s4, 4
1: call code               # (c) decoded again and hot: its loop is compiled
  addi s4, s4, -1
  bnez s4, 1b
  slli t0, s2, 4
  add t0, t0, s1
  sd a0, 0(t0)             # results[i].before
  ld t0, 0(s0)             # (d) publish heads[i] in the avail ring, kick
  ld t1, 16(s0)
  lhu t2, 2(t0)
  remu t3, t2, t1
  slli t3, t3, 1
  add t3, t3, t0
  slli t4, s2, 3
  add t4, t4, s0
  ld t4, 40(t4)
  sh t4, 4(t3)
  fence w, w
  addi t2, t2, 1
  sh t2, 2(t0)
  fence iorw, iorw
  ld t5, 24(s0)
  sw zero, 0(t5)
  ld t0, 8(s0)             # poll the used idx until it is i + 1
  addi t2, s2, 1
  li t6, ${SPIN}
2: lhu t3, 2(t0)
  beq t3, t2, 3f
  addi t6, t6, -1
  bnez t6, 2b
  li a0, -1
  j 4f
3: fence r, r
  fence.i                  # (e) what the device wrote is code now
  call code
4: slli t0, s2, 4
  add t0, t0, s1
  sd a0, 8(t0)             # results[i].after
  addi s2, s2, 1
  blt s2, s3, round
  wfi
  j .
  .balign 4096
code:
  .word ${loopWords(1).join(', ')}
  .balign 2048
counter:
  .dword 0
  .data
params:
  .space ${40 + 8 * ROUNDS}
results:
  .space ${16 * ROUNDS}
`;

  test('the code read into a page that ran compiled code before runs after FENCE.I, in the same round', () => {
    // Sector i holds the loop with step i + 2.
    const file = path.join(dir, 'code.img');
    const img = Buffer.alloc(1 << 20);
    for (let i = 0; i < ROUNDS; i++) loopWords(i + 2).forEach((w, k) => img.writeUInt32LE(w, 512 * i + 4 * k));
    fs.writeFileSync(file, img);
    const d = new VirtioMmioTestDriver({
      legacy: false,
      device: (ram: GuestRam) => {
        const h = virtio_blk_data_plane_create(io, { file, format: 'raw', id: 'fencei', readOnly: false }, { id: 'fencei' }, ram, () => {});
        const s = new VirtIOBlock({ id: 'fencei', blk: h, ops: dataPlaneBlockOps, ram, geometry: h.geometry });
        s.dataplane = h.dp;
        h.dp.s = s;
        return s;
      },
    });
    const [q] = blkStart(d);
    const prog = assemble(PROGRAM);
    const base = d.alloc(prog.bin.length, 4096);
    d.put(base, prog.bin);
    const sym = (name: string) => base + Number(prog.symbols.get(name)! - 0x8000_0000n);
    const code = sym('code');
    const params = sym('params') - RAM_BASE;
    const v = d.ram.view;
    [q.avail, q.used, q.num, MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, ROUNDS].forEach((x, k) => v.setBigUint64(params + 8 * k, BigInt(x), true));
    for (let i = 0; i < ROUNDS; i++) {
      const status = d.alloc(1);
      const head = d.addChain(q, [{ addr: blkHeader(d, VIRTIO_BLK_T_IN, i), len: 16 }, { addr: code, len: 512, write: true }, { addr: status, len: 1, write: true }], { publish: false });
      v.setBigUint64(params + 40 + 8 * i, BigInt(head), true);
    }

    const cpu = new RiscvCpu({ hartId: 0, as: d.as, getTime: () => 0 });
    const page = () => cpu.codeCache.pages[(code - RAM_BASE) >>> 12];
    // As the board does; and which takes found compiled code in the page.
    const compiledAtTake: boolean[] = [];
    d.ram.codeInvalidator = (paddr, len) => {
      if (paddr <= code && code < paddr + len) compiledAtTake.push((page()?.heads.length ?? 0) > 0);
      cpu.invalidateCode(paddr, len);
    };
    cpu.reset(BigInt(base));
    // One round of the run loop: it takes the marks only before the guest starts.
    const exit = runRoundRobin(
      { harts: [cpu], as: d.as, updateTimers() {}, msUntilNextDeadline: () => 0 },
      { poll() {}, idle() {}, shouldExit: () => ({ kind: 'quit' }) },
      { slice: 1_000_000_000 },
    );
    expect(exit.kind).toBe('quit');
    expect(cpu.wfiWaiting).toBe(true);
    const results = Array.from({ length: ROUNDS }, (_, i) => [0, 8].map((o) => v.getBigInt64(sym('results') - RAM_BASE + 16 * i + o, true)));
    // Before each read the old code ran (step 1, then the previous read's); after FENCE.I the new one.
    expect(results).toEqual(Array.from({ length: ROUNDS }, (_, i) => [2000n * BigInt(i + 1), 2000n * BigInt(i + 2)]));
    // Each FENCE.I dropped the page's compiled loop.
    expect(compiledAtTake).toEqual(Array.from({ length: ROUNDS }, () => true));
  });
});
