#!/usr/bin/env node
/**
 * The block layer alone (no CPU, no device): 4 KiB random reads at queue depth 32 through a
 * BlockBackend on a 256 MiB raw file that sits in the page cache, the way virtio-blk drives it:
 *
 *   blk_aio_preadv → coroutine → raw format → file-posix → thread_pool_submit_co
 *   → worker_thread: pread64 into a SharedArrayBuffer → completion BH → callback → resubmit
 *
 * with this thread running the main loop (main_loop_wait, as src/system/emulator-thread.ts does
 * when the vCPUs are idle). Two comparisons, each on the same file in the same run:
 * - random offsets against fio's psync engine with as many jobs as the pool had workers (each job
 *   one blocking pread at a time, i.e. the same number of threads in pread64 at most): the ratio
 *   vtrace/fio is issue 3's target (>= 0.8);
 * - sequential offsets (4 KiB steps, wrapping at the end of the file) against QEMU's own block
 *   layer doing the same: `qemu-img bench -f raw -t writeback -i threads -d QD -s 4096 -S 4096`,
 *   i.e. blk_aio_preadv with a callback that resubmits, from QEMU's main loop, file-posix with
 *   aio=threads and QEMU's thread pool (which grows to as many workers as requests wait, up to
 *   64). qemu-img bench has no random mode, and in the page cache sequential 4 KiB reads are
 *   faster than random ones (fio: ~1.1 M vs ~0.7 M IOPS on one 2-core machine), so vtrace runs
 *   the same sequential pattern for this row.
 *
 * Usage: node bench/io-block.js [--seconds 5] [--qd 32] [--size-mib 256] [--max-workers 64]
 *                               [--file PATH] [--no-fio] [--no-qemu]
 * (--max-workers sets the main context's thread_pool_max, QEMU's default 64.)
 * Needs a fresh build (npx tsc -p .). fio and qemu-img: installed with apt-get (fio, qemu-utils)
 * if missing and we are root; skipped with a message otherwise. fio runs with --invalidate=0 so
 * that both sides read from the page cache (fio's default drops the file's cached pages first).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..');
const DIST = path.join(REPO, 'dist');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const SECONDS = Number(arg('seconds', process.env.BENCH_IO_SECONDS || 5));
const QD = Number(arg('qd', 32));
const BS = 4096;
const SIZE = Number(arg('size-mib', 256)) * 1024 * 1024;
const WARMUP_S = 1;
const MAX_WORKERS = arg('max-workers') === undefined ? undefined : Number(arg('max-workers'));

if (!fs.existsSync(path.join(DIST, 'block', 'blockdev.js'))) {
  console.error('io-block: dist/ is missing: run `npx tsc -p .` first');
  process.exit(1);
}
const { blockdevOpen, blockdevClose } = require(path.join(DIST, 'block/blockdev'));
const { blk_aio_preadv, blk_get_aio_context } = require(path.join(DIST, 'block/block-backend'));
const { qiovOf } = require(path.join(DIST, 'util/iov'));
const { main_loop_wait, qemu_get_aio_context, qemu_init_main_loop } = require(path.join(DIST, 'util/main-loop'));
const { threadPoolStats } = require(path.join(DIST, 'util/thread-pool'));

/** A 256 MiB file of non-zero data, read once so it is in the page cache. */
function prepareFile() {
  const given = arg('file');
  if (given) return { file: given, cleanup: () => {} };
  const dir = fs.mkdtempSync(path.join(process.env.VTRACE_BLOCK_TMP || os.tmpdir(), 'vtrace-io-bench-'));
  const file = path.join(dir, 'bench.img');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 8) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let off = 0; off < SIZE; off += chunk.length) {
    chunk.writeUInt32LE(off >>> 20, 0);
    fs.writeSync(fd, chunk, 0, Math.min(chunk.length, SIZE - off), off);
  }
  fs.closeSync(fd);
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function warmPageCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let off = 0;
  while (fs.readSync(fd, buf, 0, buf.length, off) > 0) off += buf.length;
  fs.closeSync(fd);
}

/**
 * CPU time (µs, user + system) a thread of this process has used, from /proc (Linux; null
 * elsewhere). Clock-tick resolution (10 ms): fine over seconds. Under load from other processes
 * IOPS swing widely; CPU per I/O of each thread stays comparable between runs.
 */
const CLK_TCK = 100;
function threadCpuUs(tid) {
  try {
    const st = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

/** xorshift32: cheap, deterministic offsets. */
let seed = 0x9e3779b9;
function rand32() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed;
}

/** Offsets of the given pattern: 'rand' (xorshift), or 'seq' (qemu-img bench's: +4 KiB, wrapping). */
function offsets(pattern, blocks) {
  let next = 0;
  if (pattern === 'seq') {
    return () => {
      const o = next * BS;
      next = next + 1 === blocks ? 0 : next + 1;
      return o;
    };
  }
  return () => (rand32() % blocks) * BS;
}

function benchVtrace(file, pattern) {
  qemu_init_main_loop();
  if (MAX_WORKERS !== undefined) qemu_get_aio_context().thread_pool_max = MAX_WORKERS;
  const blk = blockdevOpen({ file, format: 'raw', id: 'bench0', readOnly: true, logger: () => {} });
  const blocks = Math.floor(SIZE / BS);
  const nextOffset = offsets(pattern, blocks);
  const ram = new SharedArrayBuffer(QD * BS); // stands in for guest RAM
  const slots = [];
  let completed = 0;
  let errors = 0;
  let running = true;
  let inFlight = 0;
  function submit(slot) {
    inFlight++;
    blk_aio_preadv(blk, nextOffset(), slot.qiov, 0, done, slot);
  }
  function done(slot, ret) {
    inFlight--;
    if (ret < 0) errors++;
    completed++;
    if (running) submit(slot);
  }
  for (let i = 0; i < QD; i++) slots.push({ qiov: qiovOf(new Uint8Array(ram, i * BS, BS)) });
  for (const s of slots) submit(s);

  const now = () => Number(process.hrtime.bigint()) / 1e9;
  const loopUntil = (t) => {
    while (now() < t) main_loop_wait(false, 1e6);
  };
  loopUntil(now() + WARMUP_S); // the pool grows to its working size
  const c0 = completed;
  const workerTids = () => {
    const pool = blk_get_aio_context(blk).thread_pool;
    return pool ? threadPoolStats(pool).workers.map((w) => w.tid) : [];
  };
  const tids = workerTids();
  const cpu = () => [threadCpuUs(process.pid), tids.reduce((a, t) => a + (threadCpuUs(t) ?? 0), 0)];
  const cpu0 = cpu();
  const t0 = now();
  loopUntil(t0 + SECONDS);
  const t1 = now();
  const cpu1 = cpu();
  const n = completed - c0;
  running = false;
  while (inFlight > 0) main_loop_wait(false, 1e6);
  const pool = blk_get_aio_context(blk).thread_pool;
  const stats = pool ? threadPoolStats(pool) : { cur_threads: 0, workers: [] };
  const jobs = stats.workers.map((w) => w.jobs).filter((j) => j > 0);
  blockdevClose(blk);
  if (errors) throw new Error(`${errors} reads failed`);
  const mainUs = cpu0[0] === null ? null : (cpu1[0] - cpu0[0]) / n;
  const workerUs = tids.length === 0 ? null : (cpu1[1] - cpu0[1]) / n;
  return { iops: n / (t1 - t0), workers: stats.cur_threads, busyWorkers: jobs.length, seconds: t1 - t0, mainUs, workerUs };
}

/** Is `tool` runnable? If not and we are root on a Debian-like system, apt-get install `pkg`. */
function haveTool(tool, pkg) {
  if (spawnSync(tool, ['--version']).status === 0) return true;
  if (process.getuid && process.getuid() === 0 && spawnSync('which', ['apt-get']).status === 0) {
    console.log(`io-block: installing ${pkg} (apt-get)...`);
    const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', pkg], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0 && spawnSync(tool, ['--version']).status === 0) return true;
  }
  return false;
}

function benchFio(file, jobs) {
  const r = spawnSync('fio', [
    '--name=randread', `--filename=${file}`, '--ioengine=psync', '--rw=randread', `--bs=${BS}`,
    `--numjobs=${jobs}`, `--size=${SIZE}`, '--time_based', `--runtime=${SECONDS}`, '--group_reporting',
    '--invalidate=0', `--ramp_time=${WARMUP_S}`, '--output-format=json',
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`fio failed (${r.status}): ${r.stderr}`);
  const j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  return { iops: j.jobs[0].read.iops, version: spawnSync('fio', ['--version'], { encoding: 'utf8' }).stdout.trim() };
}

/**
 * QEMU's block layer on the same workload: qemu-img bench, sequential, QD requests in flight.
 * A short run first sizes the real one to about SECONDS. Samples the process's thread count
 * while it runs (QEMU's pool grows on demand). Resolves to { iops, threads, version }.
 */
function qemuImgBench(file, count) {
  return new Promise((resolve, reject) => {
    const args = ['bench', '-f', 'raw', '-t', 'writeback', '-i', 'threads', '-d', String(QD), '-s', String(BS), '-S', String(BS), '-c', String(count), file];
    const child = spawn('qemu-img', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let threads = 0;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const sample = setInterval(() => {
      try {
        const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) threads = Math.max(threads, Number(m[1]));
      } catch {
        // exited, or not Linux
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sample);
      const m = /Run completed in ([\d.]+) seconds/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`qemu-img bench failed (${code}): ${out.trim()}`));
      resolve({ iops: count / Number(m[1]), threads });
    });
  });
}

async function benchQemu(file) {
  const probe = await qemuImgBench(file, QD * 2000);
  const count = Math.max(QD * 2000, Math.round(probe.iops * SECONDS));
  const r = await qemuImgBench(file, count);
  const version = spawnSync('qemu-img', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].replace(/^qemu-img version (\S+).*$/, '$1');
  return { ...r, version };
}

function printVtrace(label, v) {
  console.log(`${label.padEnd(52)} ${v.iops.toFixed(0).padStart(8)} IOPS   pool workers ${v.workers} (${v.busyWorkers} did I/O)`);
  if (v.mainUs !== null) console.log(`${''.padEnd(4)}CPU per I/O: main thread ${v.mainUs.toFixed(2)} µs, pool workers ${v.workerUs === null ? '?' : v.workerUs.toFixed(2)} µs`);
}

async function main() {
  const { file, cleanup } = prepareFile();
  try {
    warmPageCache(file);
    console.log(`io-block: 4 KiB reads, QD ${QD}, ${SIZE >> 20} MiB file in the page cache, ${SECONDS} s each (vtrace after ${WARMUP_S} s warm-up), ${os.cpus().length} cores`);
    const v = benchVtrace(file, 'rand');
    printVtrace('vtrace BlockBackend, random (blk_aio_preadv)', v);
    if (!process.argv.includes('--no-fio')) {
      if (!haveTool('fio', 'fio')) {
        console.log('fio: skipped (not installed; apt-get install fio)');
      } else {
        const jobs = Math.max(1, v.workers);
        const f = benchFio(file, jobs);
        console.log(`${`fio psync randread, numjobs=${jobs} (${f.version})`.padEnd(52)} ${f.iops.toFixed(0).padStart(8)} IOPS`);
        const ratio = v.iops / f.iops;
        console.log(`ratio vtrace/fio ${ratio.toFixed(2)} (target >= 0.80: ${ratio >= 0.8 ? 'met' : 'NOT met'})`);
      }
    }
    if (process.argv.includes('--no-qemu')) return;
    if (!haveTool('qemu-img', 'qemu-utils')) {
      console.log('qemu-img: skipped (not installed; apt-get install qemu-utils)');
      return;
    }
    const vs = benchVtrace(file, 'seq');
    printVtrace('vtrace BlockBackend, sequential (blk_aio_preadv)', vs);
    const q = await benchQemu(file);
    console.log(`${`qemu-img bench, sequential, aio=threads (QEMU ${q.version})`.padEnd(52)} ${q.iops.toFixed(0).padStart(8)} IOPS   threads up to ${q.threads}`);
    console.log(`ratio vtrace/QEMU ${(vs.iops / q.iops).toFixed(2)} (higher is better)`);
  } finally {
    cleanup();
  }
}

main().catch((e) => {
  console.error(`io-block: ${e.message}`);
  process.exit(1);
});
