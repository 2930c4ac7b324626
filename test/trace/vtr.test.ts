/**
 * The .vtr recording: record codec, per-thread rings, the writer thread and the reader, with real
 * worker threads and real files. A recording made here through the tracepoints reads back event
 * for event (names, args, times, threads, correlation ids); a cut file reads up to the cut and
 * says where it ends; a damaged one is refused with the byte offset; lost events are counted.
 * Requires dist/ (the writer thread runs the compiled recorder-worker.js).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/trace/varint';
import { decodeRecord, encodeRecord } from '../../src/trace/event-codec';
import { RingConsumer, RingProducer, createRingBuffer } from '../../src/trace/ring';
import { startRecording } from '../../src/trace/recording';
import { openRecording, VtrError, arg } from '../../src/trace/vtr-reader';
import { applyTraceSpecs, disableAllTracepoints } from '../../src/trace/control';
import * as t from '../../src/trace/generated/tracepoints';
import { REPO } from '../helpers/spawn-guest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-vtr-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => disableAllTracepoints());

describe('record codec', () => {
  test('integers, bigints, bools, strings (NULL, empty, UTF-8, several KB) and correlation ids round-trip', () => {
    const w = new ByteWriter(16);
    const kinds = ['int', 'uint64', 'int64', 'ptr', 'bool', 'string', 'string', 'string', 'string'] as const;
    const big = 'x'.repeat(7000) + 'ü€𝄞';
    const args = [-5, 0xffffffff80001234n, -(2n ** 62n), 0x12000003, true, null, '', 'héllo', big];
    const n = encodeRecord(w, 7, kinds, 123456789012345, { req: 3, co: 9, job: 11, head: 0, fd: 27 }, args);
    expect(n).toBe(w.pos);
    const r = new ByteReader(w.bytes());
    const d = decodeRecord(r, (id) => (id === 7 ? kinds : undefined));
    expect(r.pos).toBe(n);
    expect(d.ns).toBe(123456789012345);
    expect(d.tpId).toBe(7);
    expect(d.corr).toEqual({ req: 3, co: 9, job: 11, head: 0, fd: 27 });
    expect(d.args).toEqual(args);
  });

  test('an index outside the catalog or a record cut short is an error, not garbage', () => {
    const w = new ByteWriter();
    encodeRecord(w, 1, ['string'], 1, null, ['abc']);
    expect(() => decodeRecord(new ByteReader(w.bytes()), () => undefined)).toThrow(/not in the recording's catalog/);
    expect(() => decodeRecord(new ByteReader(w.bytes().subarray(0, w.pos - 2)), () => ['string'])).toThrow(/past the end/);
  });
});

describe('per-thread ring', () => {
  test('whole records cross the wrap-around; a full ring drops and counts instead of blocking', () => {
    const sab = createRingBuffer(64 * 1024);
    let kicks = 0;
    const p = new RingProducer(sab, () => kicks++);
    const c = new RingConsumer(sab);
    const rec = new Uint8Array(1002);
    rec[0] = 0xe8; // varint 1000: 0xe8 0x07
    rec[1] = 0x07;
    const out = new Uint8Array(128 * 1024);
    let pushed = 0;
    for (let round = 0; round < 5; round++) {
      while (p.push(rec, rec.length)) pushed++;
      expect(c.takeLost()).toBe(1);
      const len = c.peek(out, 1 << 20);
      expect(len % 1002).toBe(0);
      c.consume(len);
    }
    expect(pushed).toBeGreaterThan(5 * 60);
    expect(kicks).toBeGreaterThan(0);
  });
});

function recordSome(file: string, workerEvents: number, bigEvery = 1): ReturnType<ReturnType<typeof startRecording>['close']> {
  applyTraceSpecs([{ pattern: '*', enable: true }]);
  const rec = startRecording({ file, threadName: 'test-main', threadKind: 'emulator', ringBytes: 256 * 1024 });
  for (let i = 0; i < 1000; i++) t.virtio_blk_rw_complete.emitCorr({ req: i }, 0x10000001, 0x12000000 + i, i % 3);
  t.container_of.emit('EventNotifier', 0x14000001, 'VirtQueue', 'host_notifier', 0x11000001, 'vq 0 of virtio-blk hd0');
  // A second thread records into its own ring through the inherited link.
  const w = new Worker(
    `const { workerData } = require('node:worker_threads');
     const c = require(workerData.dist + '/trace/control.js');
     const r = require(workerData.dist + '/trace/recorder.js');
     const t = require(workerData.dist + '/trace/generated/tracepoints.js');
     c.applyTraceSpecs([{ pattern: '*', enable: true }]);
     const me = r.startThreadRecorder(r.inheritedRecorderLink(), 'pool-worker', 'worker-7');
     for (let i = 0; i < workerData.n; i++) t.worker_thread_job_begin.emitCorr({ job: i }, 'worker-7', 0x31000000 + i, i % workerData.bigEvery === 0 ? 'x'.repeat(3000) : 'f');
     me.close();`,
    { eval: true, workerData: { dist: path.join(REPO, 'dist'), n: workerEvents, bigEvery } },
  );
  return new Promise((resolve) => w.on('exit', resolve)).then(() => rec.close()) as never;
}

describe('recording and reading back', () => {
  test('events of two threads read back in time order with args, threads and correlation; the summary matches', async () => {
    const file = path.join(tmp, 'two.vtr');
    const summary = await recordSome(file, 200, 20);
    expect(summary.error).toBeUndefined();
    expect(summary.events).toBe(1001 + 200);
    expect(summary.lost).toBe(0);
    const r = openRecording(file);
    expect(r.end.complete).toBe(true);
    expect(r.end.events).toBe(1201);
    expect([...r.threads.values()].map((x) => [x.name, x.kind])).toEqual([['test-main', 'emulator'], ['worker-7', 'pool-worker']]);
    const evs = [...r.events()];
    expect(evs.length).toBe(1201);
    for (let i = 1; i < evs.length; i++) expect(evs[i].ns).toBeGreaterThanOrEqual(evs[i - 1].ns);
    const main = evs.filter((e) => e.name === 'virtio_blk_rw_complete');
    expect(main.map((e) => e.corr?.req)).toEqual([...Array(1000).keys()]);
    expect(arg(main[5], 'req')).toBe(0x12000005);
    expect(arg(main[5], 'ret')).toBe(2);
    const jobs = evs.filter((e) => e.name === 'worker_thread_job_begin');
    expect(jobs.length).toBe(200);
    expect(jobs[0].thread.name).toBe('worker-7');
    expect(String(arg(jobs[0], 'func')).length).toBe(3000);
    expect(r.findByCorrelation('job', 17).map((e) => e.name)).toEqual(['worker_thread_job_begin']);
    const co = evs.find((e) => e.name === 'container_of')!;
    expect(co.args).toEqual(['EventNotifier', 0x14000001, 'VirtQueue', 'host_notifier', 0x11000001, 'vq 0 of virtio-blk hd0']);
    // The recording is self-describing: its catalog, not this build's, decodes it.
    expect(r.header.catalog.find((c) => c.name === 'virtio_blk_rw_complete')?.argNames).toEqual(['vdev', 'req', 'ret']);
    r.close();
  });

  test('scan(): the same events as events(), decoded in place; time and name filters skip before decoding', async () => {
    const file = path.join(tmp, 'scan.vtr');
    await recordSome(file, 300, 7);
    const r = openRecording(file);
    const evs = [...r.events()];
    const c = r.scan();
    let i = 0;
    while (c.next()) {
      const e = evs[i++];
      expect([c.view.ns, c.thread.index, r.header.catalog[c.view.tpId].name, c.view.correlation()]).toEqual([e.ns, e.thread.index, e.name, e.corr]);
      expect(Array.from({ length: c.view.nargs }, (_, k) => c.view.value(k))).toEqual(e.args);
    }
    expect(i).toBe(evs.length);
    const from = evs[100].ns;
    const to = evs[900].ns;
    const only = (n: string) => n === 'worker_thread_job_begin';
    const want = evs.filter((e) => e.ns >= from && e.ns <= to && only(e.name));
    const got: number[] = [];
    const f = r.scan({ fromNs: from, toNs: to, names: only });
    while (f.next()) got.push(f.view.ns);
    expect(got).toEqual(want.map((e) => e.ns));
    expect([...r.events({ fromNs: from, toNs: to, names: only })].map((e) => e.ns)).toEqual(got);
    r.close();
  });

  test('a thread that outruns the writer loses events, counted per thread in LOST chunks and the summary', async () => {
    const file = path.join(tmp, 'lost.vtr');
    const summary = await recordSome(file, 2000); // 2000 × 3 KB into a 256 KB ring, no pause
    expect(summary.lost).toBeGreaterThan(0);
    expect(summary.threads.find((x) => x.name === 'worker-7')!.lost).toBe(summary.lost);
    const r = openRecording(file);
    expect(r.lost.total).toBe(summary.lost);
    expect([...r.events()].filter((e) => e.name === 'worker_thread_job_begin').length).toBe(2000 - summary.lost);
    r.close();
  });

  test('a cut file reads up to the cut and says where it ends; damage and non-recordings get one-line errors', async () => {
    const file = path.join(tmp, 'whole.vtr');
    await recordSome(file, 50);
    const whole = fs.readFileSync(file);
    const all = openRecording(file);
    const total = all.end.events;
    all.close();
    for (const cut of [Math.floor(whole.length / 2), whole.length - 5, whole.length - 40]) {
      const f = path.join(tmp, `cut-${cut}.vtr`);
      fs.writeFileSync(f, whole.subarray(0, cut));
      const r = openRecording(f);
      expect(r.end.complete).toBe(false);
      expect(r.end.reason).toMatch(/byte \d+/);
      expect(r.end.validBytes).toBeLessThanOrEqual(cut);
      const n = [...r.events()].length;
      expect(n).toBe(r.end.events);
      expect(n).toBeLessThanOrEqual(total);
      r.close();
    }
    const damaged = Buffer.from(whole);
    damaged[Math.floor(whole.length / 2)] ^= 0xff;
    fs.writeFileSync(path.join(tmp, 'damaged.vtr'), damaged);
    expect(() => openRecording(path.join(tmp, 'damaged.vtr'))).toThrow(VtrError);
    expect(() => openRecording(path.join(tmp, 'damaged.vtr'))).toThrow(/corrupt recording: .* at byte \d+/);
    fs.writeFileSync(path.join(tmp, 'text.vtr'), 'hello\n');
    expect(() => openRecording(path.join(tmp, 'text.vtr'))).toThrow(/not a vtrace recording/);
    expect(() => openRecording(path.join(tmp, 'missing.vtr'))).toThrow(/cannot open: No such file/);
    const future = Buffer.from(whole);
    future.writeUInt16LE(9, 8);
    fs.writeFileSync(path.join(tmp, 'future.vtr'), future);
    expect(() => openRecording(path.join(tmp, 'future.vtr'))).toThrow(/format 9\.0 is not supported/);
  });
});
