/**
 * Test helper: a .vtr recording written event by event with the real codec (event-codec.ts) and
 * chunk layout (vtr-format.ts), with the times, threads and arguments a test chooses. The catalog
 * is this build's (generated/tracepoints.ts), as a recording made now would carry.
 *
 * spineScenario(n) gives n virtio-blk reads as they travel (DESIGN.md §1): the vCPU's QueueNotify
 * store, the main loop's dispatch, the coroutine, the pool worker's pread64, the completion BH and
 * the interrupt — on three threads (the emulator thread running vcpu0 and the main loop, one pool
 * worker), plus instants whose arguments exercise every encoding (escapes, UTF-8, NULL, bigints).
 */
import * as fs from 'node:fs';
import { ByteWriter } from '../../src/trace/varint';
import { argKinds, encodeRecord, type RecordedCorrelation } from '../../src/trace/event-codec';
import { EVTS_HEADER, encodeChunk, encodeHeader, encodeJsonChunk, VTR_MAJOR, VTR_MINOR, type VtrHeader, type VtrThread } from '../../src/trace/vtr-format';
import { allTracepoints } from '../../src/trace/generated/tracepoints';
import type { FormatValue } from '../../src/trace/format';

export interface SynthEvent {
  thread: number;
  ns: number;
  name: string;
  args: FormatValue[];
  corr?: RecordedCorrelation;
}

export const THREADS: VtrThread[] = [
  { index: 0, tid: 1000, name: 'emulator', kind: 'emulator' },
  { index: 1, tid: 1001, name: 'worker-1', kind: 'pool-worker' },
];

const catalog = allTracepoints.map((tp) => ({ ...tp.info, argNames: [...tp.info.argNames], argTypes: [...tp.info.argTypes] }));
const byName = new Map(catalog.map((c, i) => [c.name, i]));

/** Write `events` (any order; each thread's are sorted by time) as a complete recording. */
export function writeRecording(file: string, events: SynthEvent[], opts: { chunkEvents?: number; complete?: boolean; threads?: VtrThread[] } = {}): void {
  const threads = opts.threads ?? THREADS;
  const header: VtrHeader = {
    format: 'vtrace-recording',
    version: `${VTR_MAJOR}.${VTR_MINOR}`,
    producer: 'vtrace test',
    created: new Date(0).toISOString(),
    pid: 4242,
    cwd: '/',
    argv: ['vtrace', 'run'],
    realtimeOffsetNs: '0',
    clock: 'CLOCK_MONOTONIC',
    catalog,
    enabled: catalog.map((c) => c.name),
    ringBytes: 1 << 20,
  };
  const parts: Uint8Array[] = [encodeHeader(header)];
  for (const t of threads) parts.push(encodeJsonChunk('THRD', t));
  const per = opts.chunkEvents ?? 1000;
  let count = 0;
  let lastNs = 0;
  for (const t of threads) {
    const mine = events.filter((e) => e.thread === t.index).sort((a, b) => a.ns - b.ns);
    for (let i = 0; i < mine.length; i += per) {
      const batch = mine.slice(i, i + per);
      const w = new ByteWriter(1 << 16);
      for (const e of batch) {
        const id = byName.get(e.name);
        if (id === undefined) throw new Error(`no tracepoint ${e.name}`);
        encodeRecord(w, id, argKinds(catalog[id].argTypes), e.ns, e.corr ?? null, e.args);
      }
      const head = Buffer.alloc(EVTS_HEADER);
      head.writeUInt32LE(t.index, 0);
      head.writeUInt32LE(batch.length, 4);
      head.writeBigUInt64LE(BigInt(batch[0].ns), 8);
      head.writeBigUInt64LE(BigInt(batch[batch.length - 1].ns), 16);
      parts.push(encodeChunk('EVTS', Buffer.concat([head, w.bytes()])));
      count += batch.length;
      lastNs = Math.max(lastNs, batch[batch.length - 1].ns);
    }
  }
  if (opts.complete !== false) {
    const bytes = parts.reduce((a, p) => a + p.length, 0);
    parts.push(encodeJsonChunk('ENDS', { events: count, lost: 0, bytes, lastNs }));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

export const BASE_NS = 5_000_000_000;
export const REQUEST_NS = 100_000;
/** Strings that need escaping or are not ASCII, as instant arguments. */
export const AWKWARD = ['quote " backslash \\ tab \t newline \n', 'ünïcödé € 𝄞', '\u0001\u001f control', ''];

/** n virtio-blk reads along the spine; request r has req id r + 1, coroutine 100 + r, pool job 500 + r. */
export function spineScenario(n: number): SynthEvent[] {
  const ev: SynthEvent[] = [];
  const at = (thread: number, ns: number, name: string, args: FormatValue[], corr?: RecordedCorrelation): void => {
    ev.push({ thread, ns, name, args, corr });
  };
  for (let r = 0; r < n; r++) {
    const T = BASE_NS + r * REQUEST_NS;
    const req = r + 1;
    const co = 0x40000000 + 100 + r;
    const job = 500 + r;
    const poolreq = 0x31000000 + job;
    at(0, T, 'vcpu_run_begin', [0, 0xffffffff80001000n + BigInt(r)]);
    at(0, T + 100, 'memory_region_ops_write', [0, 0x50000001, 0x10001050, 0, 4, 'QueueNotify']);
    at(0, T + 110, 'virtio_mmio_write_offset', [0x50, 0]);
    at(0, T + 120, 'event_notifier_set', [0x14000001, 3, 'vcpu0']);
    at(0, T + 130, 'virtio_mmio_write_end', [0x50]);
    at(0, T + 1000, 'vcpu_run_end', [0, 123456, 'budget']);
    at(0, T + 1100, 'main_loop_wait_begin', [false, -1]);
    at(0, T + 1200, 'aio_dispatch_handler', [0x41000001, 0x42000002, 1, 3]);
    at(0, T + 1250, 'container_of', [AWKWARD[r % AWKWARD.length], 0x14000001, 'VirtQueue', 'host_notifier', 0x11000001, r % 5 === 0 ? null : 'vq 0 of virtio-blk hd0']);
    at(0, T + 1300, 'virtqueue_pop', [0x11000001, 0x12000000 + req, 1, 2], { req, head: r % 128 });
    at(0, T + 1400, 'coroutine_create', [co, 'blk_aio_read_entry', r % 2 === 1], { co: co - 0x40000000 });
    at(0, T + 1500, 'qemu_aio_coroutine_enter', [0x41000001, 0x40000000, co, 0x50000004], { co: co - 0x40000000, req });
    at(0, T + 1600, 'thread_pool_submit', [0x30000001, poolreq, 0x50000005], { job, req });
    at(0, T + 1700, 'qemu_coroutine_yield', [co, 0x40000000], { co: co - 0x40000000 });
    at(0, T + 1800, 'aio_dispatch_handler_end', [0x41000001, 0x42000002]);
    at(0, T + 1900, 'main_loop_wait_end', [true]);
    at(1, T + 1650, 'worker_thread_job_begin', ['worker-1', poolreq, 'handle_aiocb_rw'], { job });
    at(1, T + 1660, 'syscall_entry', [1001, 'pread64', `5, 0x8000${r}, 4096, ${r * 4096}`], { job, fd: 5 });
    at(1, T + 1700, 'syscall_exit', [1001, 'pread64', `5, 0x8000${r}, 4096, ${r * 4096}`, '4096', 40, 5, r === 3 ? -(2n ** 62n) : 4096, '/img "x".raw'], { job, fd: 5 });
    at(1, T + 1750, 'worker_thread_job_end', ['worker-1', poolreq, 'handle_aiocb_rw', 0], { job });
    at(0, T + 2000, 'main_loop_wait_begin', [false, 1_000_000]);
    at(0, T + 2100, 'aio_bh_call', [0x41000001, 0x43000001, 'thread_pool_completion_bh']);
    at(0, T + 2200, 'thread_pool_complete', [0x30000001, poolreq, 0x50000005, 0], { job, req });
    at(0, T + 2300, 'qemu_aio_coroutine_enter', [0x41000001, 0x40000000, co, 0x50000004], { co: co - 0x40000000, req });
    at(0, T + 2400, 'virtio_blk_req_complete', [0x10000001, 0x12000000 + req, 0], { req });
    at(0, T + 2450, 'virtqueue_fill', [0x11000001, 0x12000000 + req, 4097, 0], { req, head: r % 128 });
    at(0, T + 2500, 'virtio_notify', [0x10000001, 0x11000001]);
    at(0, T + 2600, 'qemu_coroutine_terminate', [co], { co: co - 0x40000000, req });
    at(0, T + 2700, 'aio_bh_call_end', [0x41000001, 0x43000001]);
    at(0, T + 2800, 'main_loop_wait_end', [true]);
  }
  // The vCPU runs again: the last request's flow ends there.
  at(0, BASE_NS + n * REQUEST_NS, 'vcpu_run_begin', [0, 0xffffffff80002000n]);
  at(0, BASE_NS + n * REQUEST_NS + 500, 'vcpu_run_end', [0, 99, 'exit']);
  return ev;
}
