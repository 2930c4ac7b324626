/**
 * The guest's disk I/O as the host kernel sees it: `strace -f` of a `vtrace run` of the default
 * guest (guest/default/checks/blk.c: write sectors 0-7, write the last sector, flush, read both
 * back) on a 1 MiB raw image.
 *
 * What must hold (DESIGN.md §1-2; QEMU 7.2 makes the same calls for the same command line):
 * - the image is opened as QEMU opens it: a probe `O_RDONLY|O_NONBLOCK|O_CLOEXEC`, closed; then
 *   `O_RDONLY|O_CLOEXEC` (bdrv_open, read-only until a writer attaches); then, when the device
 *   takes the write permission (raw_reopen_prepare), `O_RDWR|O_CLOEXEC` on a new fd, after which
 *   the read-only fd is closed (raw_reopen_commit);
 * - every guest read, write and flush is a pread64/preadv/pwrite64/pwritev/fdatasync on the O_RDWR
 *   fd, made by a thread-pool worker: neither the process's main thread (front end) nor the
 *   emulator thread (vCPU + main loop + block graph);
 * - the bytes those calls carry are what the guest wrote: "vtrace-blk %08x\n" at sectors 0-7 and
 *   at the last sector (2047) of the 2048-sector disk — and that is what the file holds afterwards.
 *
 * Which tid is which, from the log alone:
 * - main thread: the tid of the log's first line. strace starts the command itself, so the first
 *   traced call (the dynamic loader's openat) is made by the exec'd process, whose tid is its pid.
 *   Checked: that tid also opens bin/vtrace (the CLI script runs on the main thread).
 * - emulator thread: the tid of the probe openat of the image. The block graph is opened by
 *   createMachine on the emulator thread (src/system/emulator-thread.ts), the main loop thread of
 *   the block layer, which must also be the thread that reopens it read-write (device realize) and
 *   closes it at exit: asserted, so a change that moves opening elsewhere fails here loudly rather
 *   than passing with the wrong tid. It must not be the main thread either (asserted).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_PASSED, run, which } from '../guest/default/harness';
import { REPO, VTRACE } from '../helpers/spawn-guest';

const STRACE = which('strace');
if (!STRACE) console.warn('skipping io-strace tests: strace is not installed (apt-get install strace)');

const SECTOR = 512;
const SECTORS = 2048; // 1 MiB
const LAST = SECTORS - 1;

/** One completed system call from an `strace -f` log (unfinished/resumed halves joined). */
interface Call {
  /** Position of the call's start in the log. */
  seq: number;
  tid: number;
  name: string;
  /** Text between the parentheses. */
  args: string;
  /** Return value (NaN for '?'). */
  ret: number;
  /** Return text after '=' (e.g. "-1 ENOSPC (No space left on device)"). */
  retText: string;
}

/** Parse `strace -f -o LOG` output (lines "TID name(args) = ret", possibly split by other threads). */
function parseStrace(log: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<number, { seq: number; name: string; head: string }>();
  let seq = 0;
  for (const line of log.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    let rest = m[2];
    let name: string;
    let start: number;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(tid);
      if (!p) continue;
      pending.delete(tid);
      name = p.name;
      start = p.seq;
      rest = `${name}(${p.head}${resumed[2]}`;
    } else {
      const call = /^(\w+)\((.*)$/.exec(rest);
      if (!call) continue; // signals, exits
      name = call[1];
      start = seq++;
      const unfinished = / <unfinished \.\.\.>$/.exec(rest);
      if (unfinished) {
        pending.set(tid, { seq: start, name, head: call[2].slice(0, call[2].length - unfinished[0].length) });
        continue;
      }
    }
    const done = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(rest);
    if (!done) continue;
    const ret = /^-?\d+/.exec(done[3]);
    calls.push({ seq: start, tid, name, args: done[2], ret: ret ? Number(ret[0]) : NaN, retText: done[3] });
  }
  return calls.sort((a, b) => a.seq - b.seq);
}

/** Undo strace's C escaping of a quoted string's contents (no surrounding quotes). */
function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const c = s[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f', '"': '"', '\\': '\\' };
    if (c in simple) out += simple[c];
    else if (c === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8));
      i += oct.length - 1;
    }
  }
  return out;
}

/** The quoted strings of an argument list, unescaped, in order (iov_base strings for the v-calls). */
function quoted(args: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(args); m; m = re.exec(args)) out.push(unescape(m[1]));
  return out;
}

const firstArg = (c: Call) => Number(/^(-?\d+)/.exec(c.args)?.[1]);
/** Last argument: the offset of pread64/pwrite64/preadv/pwritev. */
const lastArg = (c: Call) => Number(/(\d+)\s*$/.exec(c.args)?.[1]);
/** Bytes moved by a pread64/pwrite64 (3rd argument) or a v-call (sum of iov_len). */
function length(c: Call): number {
  if (c.name === 'pread64' || c.name === 'pwrite64') return Number(/,\s*(\d+),\s*\d+\s*$/.exec(c.args)?.[1]);
  return [...c.args.matchAll(/iov_len=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
}
/** The flags argument of an openat (its third). */
const openFlags = (c: Call) => /, (O_[A-Z_|]+)(?:, 0\d+)?$/.exec(c.args)?.[1];
const tag = (sector: number) => `vtrace-blk ${sector.toString(16).padStart(8, '0')}\n`;

/** What checks/blk.c's fill() writes to `sector`. */
function sectorPattern(sector: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  for (let i = 0; i < SECTOR; i++) b[i] = (sector + i) & 0xff;
  b.write(tag(sector), 0, 'latin1');
  return b;
}

describe.skipIf(!STRACE)('strace -f of vtrace run: the guest\'s disk I/O as syscalls', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-io-strace-'));
  const img = path.join(tmp, 'hd0.img');
  const logFile = path.join(tmp, 'strace.log');
  let calls: Call[] = [];
  let stdout = '';
  let code: number | null = null;
  let diag = '';

  beforeAll(async () => {
    fs.writeFileSync(img, Buffer.alloc(SECTORS * SECTOR));
    const r = await run(STRACE!, [
      '-f', '-qq', '-e', 'trace=openat,pread64,preadv,pwrite64,pwritev,fdatasync,close', '-o', logFile,
      process.execPath, VTRACE, 'run', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0',
    ], 170_000);
    stdout = r.stdout;
    code = r.code;
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'latin1') : '';
    calls = parseStrace(log);
    diag = `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}\n--- strace log (image lines)\n${log
      .split('\n')
      .filter((l) => l.includes(img) || /pread64|preadv|pwrite|fdatasync/.test(l))
      .slice(-60)
      .join('\n')}`;
  }, 180_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Image opens, threads and the fds, derived once. */
  function derive() {
    const mainTid = calls[0]?.tid;
    const opens = calls.filter((c) => c.name === 'openat' && quoted(c.args)[0] === img);
    const probe = opens[0];
    const emulatorTid = probe?.tid;
    const rdonly = opens.find((c) => openFlags(c) === 'O_RDONLY|O_CLOEXEC');
    const rdwr = opens.find((c) => openFlags(c) === 'O_RDWR|O_CLOEXEC');
    const ioNames = new Set(['pread64', 'preadv', 'pwrite64', 'pwritev', 'fdatasync']);
    // Guest I/O: calls on the O_RDWR fd while it is open (fds are reused after close).
    const rdwrClose = rdwr ? calls.find((c) => c.seq > rdwr.seq && c.name === 'close' && firstArg(c) === rdwr.ret) : undefined;
    const io = rdwr ? calls.filter((c) => ioNames.has(c.name) && c.seq > rdwr.seq && (!rdwrClose || c.seq < rdwrClose.seq) && firstArg(c) === rdwr.ret) : [];
    return { mainTid, opens, probe, emulatorTid, rdonly, rdwr, rdwrClose, io, ioNames };
  }

  test('the default guest passes under strace and vtrace exits 0', () => {
    expect(stdout, diag).toMatch(ALL_PASSED);
    expect(code, diag).toBe(0);
    expect(calls.length, diag).toBeGreaterThan(0);
  });

  test('openat sequence on the image is QEMU\'s: probe (closed), O_RDONLY, then O_RDWR on a new fd', () => {
    const { opens, probe, rdonly, rdwr } = derive();
    expect(opens.map(openFlags), diag).toEqual([
      'O_RDONLY|O_NONBLOCK|O_CLOEXEC',
      'O_RDONLY|O_CLOEXEC',
      'O_RDWR|O_CLOEXEC',
    ]);
    for (const o of opens) expect(o.ret, diag).toBeGreaterThanOrEqual(0);
    // The probe's fd is closed before the read-only open.
    const probeClose = calls.find((c) => c.seq > probe!.seq && c.name === 'close' && firstArg(c) === probe!.ret);
    expect(probeClose, diag).toBeDefined();
    expect(probeClose!.seq, diag).toBeLessThan(rdonly!.seq);
    // The writer's fd is a new one, opened while the read-only fd is still open; then the
    // read-only fd is closed (raw_reopen_commit), before any guest I/O.
    expect(rdwr!.ret, diag).not.toBe(rdonly!.ret);
    const closesOfRdonly = calls.filter((c) => c.seq > rdonly!.seq && c.name === 'close' && firstArg(c) === rdonly!.ret);
    expect(closesOfRdonly.length, diag).toBeGreaterThan(0);
    expect(closesOfRdonly[0].seq, diag).toBeGreaterThan(rdwr!.seq);
    const firstIo = derive().io[0];
    expect(firstIo, diag).toBeDefined();
    expect(closesOfRdonly[0].seq, diag).toBeLessThan(firstIo.seq);
    // Nothing reads or writes through the probe or read-only fds while they refer to the image.
    const { ioNames } = derive();
    for (const [fd, from, to] of [[probe!.ret, probe!.seq, probeClose!.seq], [rdonly!.ret, rdonly!.seq, closesOfRdonly[0].seq]]) {
      const stray = calls.filter((c) => ioNames.has(c.name) && c.seq > from && c.seq < to && firstArg(c) === fd);
      expect(stray, diag).toEqual([]);
    }
  });

  test('main thread and emulator thread are told apart: the emulator thread owns the image fds', () => {
    const { mainTid, opens, emulatorTid, rdwr, rdwrClose } = derive();
    // The main thread runs the CLI script.
    const script = calls.find((c) => c.name === 'openat' && quoted(c.args)[0] === path.join(REPO, 'bin', 'vtrace'));
    expect(script?.tid, diag).toBe(mainTid);
    expect(emulatorTid, diag).toBeDefined();
    expect(emulatorTid, diag).not.toBe(mainTid);
    // Every open of the image, and the final close of the O_RDWR fd, on that one thread.
    expect(opens.map((c) => c.tid), diag).toEqual(opens.map(() => emulatorTid));
    expect(rdwrClose, diag).toBeDefined();
    expect(rdwrClose!.tid, diag).toBe(emulatorTid);
    expect(rdwrClose!.seq, diag).toBeGreaterThan(rdwr!.seq);
    // The guest's own binary is loaded there too (createMachine on the emulator thread).
    const kernel = calls.find((c) => c.name === 'openat' && quoted(c.args)[0] === path.join(REPO, 'guest', 'default', 'default.bin'));
    expect(kernel?.tid, diag).toBe(emulatorTid);
  });

  test('guest reads, writes and the flush are made on the O_RDWR fd by pool worker threads', () => {
    const { mainTid, emulatorTid, io } = derive();
    const names = io.map((c) => c.name);
    expect(names.filter((n) => n === 'pwrite64' || n === 'pwritev').length, diag).toBeGreaterThanOrEqual(2);
    expect(names.filter((n) => n === 'pread64' || n === 'preadv').length, diag).toBeGreaterThanOrEqual(2);
    expect(names.filter((n) => n === 'fdatasync').length, diag).toBeGreaterThanOrEqual(1);
    for (const c of io) {
      expect(c.tid, `${c.name}(${c.args}) on the main thread\n${diag}`).not.toBe(mainTid);
      expect(c.tid, `${c.name}(${c.args}) on the emulator thread\n${diag}`).not.toBe(emulatorTid);
      expect(c.ret, `${c.name}(${c.args}) = ${c.retText}\n${diag}`).toBe(c.name === 'fdatasync' ? 0 : length(c));
    }
    // The flush comes after both writes, and the reads after the flush (one request in flight).
    const seqOf = (pred: (c: Call) => boolean) => io.find(pred)?.seq ?? -1;
    const lastWrite = Math.max(...io.filter((c) => c.name.startsWith('pwrite')).map((c) => c.seq));
    const flush = seqOf((c) => c.name === 'fdatasync');
    expect(flush, diag).toBeGreaterThan(lastWrite);
    // No syscall at all on the image from the main thread; the emulator thread only opens/closes.
    const { rdwr, rdwrClose } = derive();
    const onFd = calls.filter((c) => c.seq > rdwr!.seq && c.seq <= rdwrClose!.seq && firstArg(c) === rdwr!.ret);
    for (const c of onFd) if (c.tid === emulatorTid) expect(c.name, diag).toBe('close');
  });

  test('the data at the offsets is what the guest wrote: "vtrace-blk %08x\\n" at sectors 0-7 and 2047', () => {
    const { io } = derive();
    const at = (kind: 'pwrite' | 'pread', offset: number) => io.filter((c) => c.name.startsWith(kind) && lastArg(c) === offset);
    // Writes: 4 KiB at 0 (sectors 0-7), 512 bytes at the last sector.
    const w0 = at('pwrite', 0);
    expect(w0.length, diag).toBe(1);
    expect(length(w0[0]), diag).toBe(8 * SECTOR);
    expect(quoted(w0[0].args)[0].startsWith(tag(0)), diag).toBe(true);
    const wl = at('pwrite', LAST * SECTOR);
    expect(wl.length, diag).toBe(1);
    expect(length(wl[0]), diag).toBe(SECTOR);
    expect(quoted(wl[0].args)[0].startsWith(tag(LAST)), diag).toBe(true);
    // Reads: sectors 0-7 into two 2 KiB descriptors (a preadv of two iovecs, as QEMU), the last sector.
    // The first read at 0 is the device's realize reading the MBR (hd_geometry_guess, as QEMU
    // does): 512 bytes, before the guest runs; then the guest's read.
    const reads0 = at('pread', 0);
    expect(reads0.map((c) => c.name), diag).toEqual(['pread64', 'preadv']);
    expect(length(reads0[0]), diag).toBe(SECTOR);
    const r0 = reads0.slice(1);
    expect([...r0[0].args.matchAll(/iov_len=(\d+)/g)].map((m) => Number(m[1])), diag).toEqual([2048, 2048]);
    const bases = quoted(r0[0].args);
    expect(bases[0].startsWith(tag(0)), diag).toBe(true);
    expect(bases[1].startsWith(tag(4)), diag).toBe(true);
    const rl = at('pread', LAST * SECTOR);
    expect(rl.length, diag).toBe(1);
    expect(length(rl[0]), diag).toBe(SECTOR);
    expect(quoted(rl[0].args)[0].startsWith(tag(LAST)), diag).toBe(true);
    // The file afterwards: the full pattern there, zeros elsewhere.
    const data = fs.readFileSync(img);
    expect(data.length).toBe(SECTORS * SECTOR);
    for (const s of [0, 1, 2, 3, 4, 5, 6, 7, LAST]) {
      expect(data.subarray(s * SECTOR, (s + 1) * SECTOR).equals(sectorPattern(s)), `sector ${s}`).toBe(true);
    }
    expect(data.subarray(8 * SECTOR, LAST * SECTOR).every((b) => b === 0)).toBe(true);
  });

  test('the log parser joins calls split by other threads ("<unfinished ...>" / "<... resumed>")', () => {
    const log = [
      '10 openat(AT_FDCWD, "/x", O_RDONLY|O_CLOEXEC) = 3',
      '11 pread64(3,  <unfinished ...>',
      '12 close(4)                          = 0',
      '11 <... pread64 resumed>"ab\\n\\0c", 5, 512) = 5',
    ].join('\n');
    const c = parseStrace(log);
    expect(c.map((x) => [x.tid, x.name, x.ret])).toEqual([[10, 'openat', 3], [11, 'pread64', 5], [12, 'close', 0]]);
    expect(quoted(c[1].args)).toEqual(['ab\n\0c']);
    expect(lastArg(c[1])).toBe(512);
    expect(length(c[1])).toBe(5);
  });
});
