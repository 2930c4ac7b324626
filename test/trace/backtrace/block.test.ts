/**
 * Stitching on the real I/O path below the device: the block layer (raw over file-posix) against a
 * temporary file, a real coroutine per request, the real thread pool (worker_threads doing pread64
 * on the file). Workers hand their syscall anchors back through a file (fixtures/record-anchors.js);
 * this thread stitches them through its live link table, and again offline from the backtrace_*
 * events both threads emitted, as a recording carries them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { qemu_get_aio_context } from '../../../src/util/main-loop';
import { aio_get_thread_pool, threadPoolAddModule, thread_pool_submit_aio } from '../../../src/util/thread-pool';
import { utilBacktraceHooks } from '../../../src/util/trace-hooks';
import { qiovOf } from '../../../src/util/iov';
import { blockdevOpen, blockdevClose } from '../../../src/block/blockdev';
import { blk_aio_preadv, type BlockBackend } from '../../../src/block/block-backend';
import { QEMU_AIO_READ, type RawPosixAIOData } from '../../../src/block/file-posix-worker';
import { openat, close } from '../../../src/host/syscalls';
import { AT_FDCWD, O_RDONLY } from '../../../src/host/flags';
import { recorderState } from '../../../src/host/record';
import { applyTraceSpecs } from '../../../src/trace/control';
import { addTraceSink } from '../../../src/trace/tracepoint';
import {
  RecordedBacktraces,
  armBacktraces,
  backtraceFunctions,
  backtraceLinks,
  formatBacktrace,
  stitchAnchor,
  stitchedBacktraceHere,
  updateBacktraceRecording,
  type Anchor,
  type Backtrace,
} from '../../../src/trace/backtrace';
import { cleanupTempDirs, makeImage, pollUntil, tempDir } from '../../block/block-test-helpers';
import { requireFreshDist } from '../../util/util-test-helpers';
import { FIXTURES, checkLocations, expectInOrder } from './bt-test-helpers';

interface Logged {
  syscall: string;
  ret: number;
  anchor: Anchor;
}
interface Ev {
  name: string;
  ns: string;
  args: unknown[];
  argNames: string[];
}

let dir = '';
let anchorLog = '';
let eventLog = '';
let img = '';
let blk: BlockBackend;
const mainEvents: Ev[] = [];
const ctx = () => qemu_get_aio_context();

beforeAll(() => {
  requireFreshDist();
  dir = tempDir('vtrace-bt-');
  anchorLog = path.join(dir, 'anchors.jsonl');
  eventLog = path.join(dir, 'events.jsonl');
  fs.writeFileSync(anchorLog, '');
  fs.writeFileSync(eventLog, '');
  process.env.VTRACE_TEST_ANCHOR_LOG = anchorLog;
  process.env.VTRACE_TEST_EVENT_LOG = eventLog;
  img = makeImage(dir, 'disk.img', 256 * 1024);
  // Armed before the pool exists, so its workers load worker.ts (and the fixture after it).
  armBacktraces(true, { thread: 'test thread' });
  threadPoolAddModule(path.join(FIXTURES, 'record-anchors.js'));
  applyTraceSpecs([{ pattern: 'backtrace_*', enable: true }]);
  updateBacktraceRecording();
  addTraceSink((ev, tp) => {
    if (ev.name.startsWith('backtrace_')) mainEvents.push({ name: ev.name, ns: ev.ns.toString(), args: [...ev.args], argNames: [...tp.info.argNames] });
  });
  blk = blockdevOpen({ file: img, format: 'raw', id: 'bt0', locking: false });
});

afterAll(() => {
  blockdevClose(blk);
  cleanupTempDirs();
});

function logged(): Logged[] {
  return fs.readFileSync(anchorLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Logged);
}

/** Wait for the worker's anchor of a read at `offset` (its line is written before the job completes). */
function readAnchor(offset: number): Logged {
  const hit = logged().find((l) => (l.syscall === 'pread64' || l.syscall === 'preadv') && l.anchor.args?.includes(`offset=${offset}`));
  if (hit === undefined) throw new Error(`no read anchor at offset ${offset} in ${anchorLog}`);
  return hit;
}

function aioRead(offset: number, bytes: number, cb: (ret: number) => void = () => {}): number {
  const ram = new SharedArrayBuffer(bytes);
  let ret: number | null = null;
  blk_aio_preadv(blk, offset, qiovOf(new Uint8Array(ram)), 0, (_o, r) => {
    cb(r);
    ret = r;
  });
  pollUntil(ctx(), () => ret !== null);
  return ret!;
}

const SPINE = ['handle_aiocb_rw', 'thread_pool_submit_aio', 'raw_co_prw', 'bdrv_co_preadv', 'blk_co_preadv', 'blk_aio_read_entry', 'qemu_coroutine_create', 'blk_aio_prwv'];

describe('a worker\'s pread64, stitched live', () => {
  let bt: Backtrace;
  beforeAll(() => {
    expect(aioRead(8192, 4096)).toBe(0);
    bt = stitchAnchor(readAnchor(8192).anchor);
  });

  test('lists worker, coroutine and creator frames in order, with their source lines', () => {
    const fns = backtraceFunctions(bt);
    expect(fns[0]).toBe('pread64');
    expectInOrder(fns, ['pread64', 'handle_aiocb_rw_linear', ...SPINE, 'blk_aio_preadv']);
    const all = bt.segments.flatMap((s) => s.frames);
    checkLocations(all, ['pread64', 'handle_aiocb_rw', 'worker_thread', ...SPINE.slice(1)]);
    expect(bt.note).toBeUndefined();
  });

  test('one separator per boundary, naming it and both sides', () => {
    expect(bt.segments.map((s) => s.boundary?.kind ?? null)).toEqual([null, 'submit', 'coroutine']);
    expect(bt.segments[0].thread).toMatch(/^worker-\d+$/);
    expect(bt.segments[1].boundary!.text).toMatch(/^thread-pool submission: coroutine (\d+) on test thread \(main-loop\) → worker-\d+$/);
    expect(bt.segments[2].boundary!.text).toMatch(/^coroutine \d+ \(blk_aio_read_entry\): created by blk_aio_prwv on test thread \(main-loop\)$/);
  });

  test('prints as gdb does: #N  fn (args) at file:line, frame numbers running on across separators', () => {
    const text = formatBacktrace(bt);
    const lines = text.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^(#\d+ +[\w$?<>.]+ \(.*\)( at \S+:\d+)?|--- .+ ---)$/);
    expect(lines[0]).toMatch(/^#0  pread64 \(fd=\d+, buf=0x[0-9a-f]+, count=4096, offset=8192\) at src\/host\/syscalls\.ts:\d+$/);
    const numbers = lines.filter((l) => l.startsWith('#')).map((l) => Number(/^#(\d+)/.exec(l)![1]));
    expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(lines.filter((l) => l.startsWith('---'))).toHaveLength(2);
    expect(text).toMatch(/#\d+ +thread_pool_submit_aio \(func="handle_aiocb_rw", req=\d+\) at src\/util\/thread-pool\.ts:\d+/);
  });

  test('the separate-stacks view: worker, coroutine and main loop each numbered from #0', () => {
    const text = formatBacktrace(bt, { three: true });
    const blocks = text.trimEnd().split('\n\n');
    expect(blocks.map((b) => b.split('\n')[0])).toEqual([
      expect.stringMatching(/^Thread worker-\d+:$/),
      expect.stringMatching(/^Coroutine \d+ \(on test thread\):$/),
      'Test thread (main-loop):',
    ]);
    expect(blocks[1].split('\n')[1]).toMatch(/^#0  thread_pool_submit_aio /);
    expect(blocks[1].trimEnd().split('\n').pop()).toMatch(/ blk_aio_read_entry \(/);
    expect(blocks[2].split('\n')[1]).toMatch(/^#0  qemu_coroutine_create \(entry=blk_aio_read_entry, co=\d+\)/);
  });
});

test('a stop in the request\'s completion callback: inside the coroutine, resumed by the completion BH', () => {
  let bt: Backtrace | null = null;
  expect(aioRead(12288, 512, () => (bt = stitchedBacktraceHere()))).toBe(0);
  const fns = backtraceFunctions(bt!);
  expectInOrder(fns, ['blk_aio_complete', 'blk_aio_read_entry', 'qemu_coroutine_create', 'blk_aio_prwv']);
  expect(bt!.segments[0].co).toBeGreaterThan(0);
  expect(bt!.segments[1].boundary!.text).toMatch(/created by blk_aio_prwv on test thread \(main-loop\); entered from thread_pool_co_cb$/);
});

test('a stop in a pool callback outside coroutines: completion → submission', () => {
  const fd = openat(AT_FDCWD, img, O_RDONLY);
  expect(fd).toBeGreaterThanOrEqual(0);
  const buf = new Uint8Array(new SharedArrayBuffer(512));
  const acb: RawPosixAIOData = { aio_type: QEMU_AIO_READ, aio_fildes: fd, aio_offset: 0, aio_nbytes: 512, io: { iov: [buf], niov: 1 } };
  let bt: Backtrace | null = null;
  function submit_from_test(): void {
    thread_pool_submit_aio(aio_get_thread_pool(ctx()), 'handle_aiocb_rw', acb, function test_completion_cb() {
      bt = stitchedBacktraceHere();
    });
  }
  submit_from_test();
  pollUntil(ctx(), () => bt !== null);
  close(fd);
  const b = bt!;
  expect(b.segments.map((s) => s.boundary?.kind ?? null)).toEqual([null, 'completion', 'submit']);
  expectInOrder(b.segments[0].frames.map((f) => f.fn), ['test_completion_cb', 'thread_pool_completion_bh', 'aio_bh_call']);
  expect(b.segments[1].boundary!.text).toMatch(/^completion: worker-\d+ → test thread \(main-loop\): req \d+ \(handle_aiocb_rw\) ret 0$/);
  expect(b.segments[2].boundary!.text).toMatch(/^thread-pool submission: test thread \(main-loop\) → worker-\d+$/);
  expectInOrder(b.segments[2].frames.map((f) => f.fn), ['thread_pool_submit_aio', 'submit_from_test']);
});

test('offline: the same backtrace from the recorded backtrace_* events of both threads', () => {
  expect(aioRead(16384, 4096)).toBe(0);
  const live = stitchAnchor(readAnchor(16384).anchor);
  const workerEvents = fs.readFileSync(eventLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Ev);
  const all = [...mainEvents, ...workerEvents].sort((a, b) => (BigInt(a.ns) < BigInt(b.ns) ? -1 : BigInt(a.ns) > BigInt(b.ns) ? 1 : 0));
  const rb = new RecordedBacktraces();
  let found: Backtrace | null = null;
  for (const ev of all) {
    const a = rb.add(ev.name, ev.args, ev.argNames);
    if (a !== null && a.what === 'pread64' && a.args?.includes('offset=16384')) found = rb.stitch(a);
  }
  expect(found).not.toBeNull();
  expect(backtraceFunctions(found!)).toEqual(backtraceFunctions(live));
  expect(found!.segments.map((s) => s.boundary?.text ?? '')).toEqual(live.segments.map((s) => s.boundary?.text ?? ''));
  expect(formatBacktrace(found!)).toBe(formatBacktrace(live));
});

test('a link evicted from the bounded table ends the walk with a note, not an error', () => {
  expect(aioRead(20480, 512)).toBe(0);
  const anchor = readAnchor(20480).anchor;
  const table = backtraceLinks();
  const cap = table.capacity;
  try {
    table.capacity = 1;
    expect(aioRead(24576, 512)).toBe(0); // pushes the first request's links out
    const bt = stitchAnchor(anchor);
    expect(bt.note).toMatch(/no longer recorded/);
    expect(bt.segments[0].frames[0].fn).toBe('pread64');
    expect(formatBacktrace(bt)).toMatch(/\(backtrace stopped: .*no longer recorded/);
  } finally {
    table.capacity = cap;
  }
});

test('disarmed (and not recording): every hook is null and requests make no links', () => {
  applyTraceSpecs([{ pattern: 'backtrace_*', enable: false }]);
  updateBacktraceRecording();
  armBacktraces(false);
  try {
    expect(Object.values(utilBacktraceHooks).filter((h, i) => Object.keys(utilBacktraceHooks)[i] !== 'worker_thread_job')).toEqual([null, null, null, null, null]);
    expect(recorderState.backtrace).toBeNull();
    const before = backtraceLinks().values().length;
    expect(aioRead(28672, 512)).toBe(0);
    expect(backtraceLinks().values().length).toBe(before);
    // The worker still gives its stack, but the job carries no link: nothing to stitch it to.
    expect(readAnchor(28672).anchor.jobLink).toBe(0);
  } finally {
    armBacktraces(true);
  }
});
