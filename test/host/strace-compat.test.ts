/**
 * The syscall layer against the real strace: a small Node program makes the calls through the
 * wrappers (compiled from src/host) while `strace` traces it; each record, formatted by
 * strace-format, must appear in strace's output as the same line (buffer addresses aside: JavaScript
 * cannot know them), from the same thread id, in the same order. Skipped, with a message, where
 * strace is missing or cannot trace.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SyscallRecord } from '../../src/host/record';
import { formatStrace, formatStraceLine } from '../../src/host/strace-format';
import { formatSummary } from '../../src/host/strace-summary';
import { compileHost, removeCompiledHost } from './compile-host';

const TRACE_SET = 'openat,pread64,preadv,pwrite64,pwritev,fdatasync,close,statx,ftruncate,unlink';

function straceUsable(): string | null {
  const v = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'strace is not installed (apt-get install strace)';
  const t = spawnSync('strace', ['-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (t.status !== 0) return `strace cannot trace here: ${t.stderr.trim()}`;
  return null;
}
const whyNot = straceUsable();
if (whyNot) console.warn(`strace-compat tests skipped: ${whyNot}`);

/** The traced program. argv: hostDir, mode ('main' | 'threads'), work dir, records JSON path. */
const PROGRAM = String.raw`
const fs = require('node:fs');
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const [hostDir, mode, dir, out] = isMainThread ? process.argv.slice(2) : workerData.argv;
const sys = require(hostDir + '/syscalls.js');
const rec = require(hostDir + '/record.js');
const tid = require(hostDir + '/thread-id.js');
const records = [];
rec.setSyscallRecorder((r) => records.push(r));
const AT = -100;
function pattern(view, seed) { for (let i = 0; i < view.length; i++) view[i] = (i * 13 + seed) & 0xff; return view; }
function save(all) {
  fs.writeFileSync(out, JSON.stringify(all, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

if (!isMainThread) {
  tid.setThreadName('worker-0');
  const { fd, ram } = workerData;
  const v = (off, len) => new Uint8Array(ram, off, len);
  sys.preadv(fd, [v(0, 512), v(4096, 512)], 0);
  sys.pread64(fd, v(8192, 4096), 4096);
  sys.pwritev(fd, [pattern(v(12288, 512), 1), pattern(v(16384, 1024), 2)], 8192);
  sys.pwrite64(fd, pattern(v(20480, 512), 3), 65536);
  sys.fdatasync(fd);
  parentPort.postMessage({ records, self: fs.readlinkSync('/proc/thread-self') });
} else if (mode === 'main') {
  const ram = new SharedArrayBuffer(1 << 16);
  const v = (off, len) => new Uint8Array(ram, off, len);
  const img = dir + '/disk.img';
  sys.openat(AT, dir + '/missing.img', ['O_RDONLY']);
  const fd = sys.openat(AT, img, ['O_RDWR', 'O_CREAT', 'O_TRUNC'], 0o644);
  const text = new TextEncoder().encode('QFI\xfb hello "disk"\\\n\t\x07\x1b0123 end');
  const head = pattern(v(0, 4096), 7); head.set(text, 0);
  sys.pwrite64(fd, head, 0);
  sys.pwritev(fd, [pattern(v(4096, 512), 1), pattern(v(8192, 100), 2)], 4096);
  sys.pread64(fd, v(16384, 512), 0);
  sys.pread64(fd, v(16384, 300), 4600);
  sys.preadv(fd, [v(20000, 16), v(20016, 16), v(20032, 16)], 4690);
  sys.preadv(fd, Array.from({ length: 40 }, (_, i) => v(24000 + i, 1)), 0);
  sys.statx(fd, sys.newStatBuf());
  sys.ftruncate(fd, 1 << 20);
  sys.fdatasync(fd);
  const probe = sys.openat(AT, img, ['O_RDONLY', 'O_NONBLOCK']);
  sys.pwrite64(probe, v(0, 16), 0);
  sys.close(probe);
  const d = sys.openat(AT, dir, ['O_RDONLY', 'O_DIRECTORY']);
  sys.pread64(d, v(100, 16), 0);
  sys.preadv(d, [v(100, 8), v(200, 8)], 0);
  sys.close(d);
  sys.close(fd);
  sys.close(fd);
  sys.statx(fd, sys.newStatBuf());
  sys.fdatasync(fd);
  sys.ftruncate(fd, 0);
  const odd = sys.openat(AT, dir + '/we<i>rd "n\\ame" ü', ['O_WRONLY', 'O_CREAT', 'O_EXCL'], 0);
  sys.close(odd);
  sys.unlink(dir + '/we<i>rd "n\\ame" ü');
  sys.unlink(dir + '/missing.img');
  const ws = sys.openat(AT, img, ['O_RDWR', 'O_DSYNC']);
  sys.close(ws);
  save(records);
} else {
  const img = dir + '/disk.img';
  fs.writeFileSync(img, Buffer.alloc(1 << 17, 0x5a));
  const probe = sys.openat(AT, img, ['O_RDONLY', 'O_NONBLOCK']);
  sys.statx(probe, sys.newStatBuf());
  sys.close(probe);
  const fd = sys.openat(AT, img, ['O_RDWR', 'O_DSYNC']);
  const ram = new SharedArrayBuffer(1 << 16);
  const w = new Worker(__filename, { workerData: { argv: process.argv.slice(2), fd, ram } });
  w.on('message', (m) => {
    sys.close(fd);
    save({ main: records, worker: m.records, workerSelf: m.self, mainTid: tid.gettid() });
    w.terminate();
  });
}
`;

let work: string;
let program: string;
let hostDir: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'vtrace-strace-'));
  program = path.join(work, 'program.js');
  writeFileSync(program, PROGRAM);
  hostDir = compileHost();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removeCompiledHost();
});

function revive(list: SyscallRecord[]): SyscallRecord[] {
  return list.map((r) => ({ ...r, startNs: BigInt(r.startNs as unknown as string) }));
}

/** Runs the program under strace with `straceArgs`; returns strace's output and the records file. */
function traced(mode: 'main' | 'threads', straceArgs: string[]): { trace: string; json: unknown } {
  const dir = mkdtempSync(path.join(work, `${mode}-`));
  const traceFile = path.join(dir, 'strace.out');
  const jsonFile = path.join(dir, 'records.json');
  const r = spawnSync('strace', [...straceArgs, '-o', traceFile, process.execPath, program, hostDir, mode, dir, jsonFile], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return { trace: readFileSync(traceFile, 'utf8'), json: JSON.parse(readFileSync(jsonFile, 'utf8')) };
}

/** Addresses differ by nature (records hold buffer offsets); spacing before `=` differs on resumed lines. */
function normalize(line: string): string {
  return line.replace(/0x[0-9a-f]+/g, '0x?').replace(/\s+= /, ' = ');
}

/** strace -f -o lines as [tid, text], with `<unfinished ...>` / `<... resumed>` pairs joined. */
function parseStraceF(trace: string): Array<[number, string]> {
  const pending = new Map<number, string>();
  const out: Array<[number, string]> = [];
  for (const raw of trace.split('\n')) {
    const m = /^(\d+) +(.*)$/.exec(raw);
    if (!m) continue;
    const tid = Number(m[1]);
    let text = m[2]!;
    if (text.endsWith(' <unfinished ...>')) {
      pending.set(tid, text.slice(0, -' <unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(text);
    if (resumed) {
      text = (pending.get(tid) ?? '') + resumed[1]!;
      pending.delete(tid);
    }
    out.push([tid, text]);
  }
  return out;
}

/** Asserts that `wanted` occur in `lines` in order; returns the indexes found. */
function expectSubsequence(lines: string[], wanted: string[]): void {
  let at = 0;
  for (const w of wanted) {
    const i = lines.indexOf(w, at);
    expect(i, `strace did not print (after line ${at}):\n  ${w}\nnear:\n  ${lines.slice(at, at + 8).join('\n  ')}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

describe.skipIf(whyNot !== null)('records match strace 6.1', () => {
  test('one thread, strace -y: every record is the line strace printed', () => {
    const { trace, json } = traced('main', ['-y', '-e', `trace=${TRACE_SET}`]);
    const records = revive(json as SyscallRecord[]);
    expect(records.length).toBe(29); // one per call the program makes
    const ours = formatStrace(records, { y: true }).map(normalize);
    const theirs = trace.split('\n').map(normalize);
    expectSubsequence(theirs, ours);
    // The calls that matter for QEMU's flags, verbatim.
    expect(trace).toMatch(/openat\(AT_FDCWD<[^>]+>, "[^"]+\/disk\.img", O_RDONLY\|O_NONBLOCK\|O_CLOEXEC\) = \d+</);
    expect(trace).toMatch(/openat\(AT_FDCWD<[^>]+>, "[^"]+\/disk\.img", O_RDWR\|O_DSYNC\|O_CLOEXEC\) = \d+</);
    expect(trace).toMatch(/unlink\("[^"]+\/missing\.img"\) += -1 ENOENT \(No such file or directory\)/);
  });

  test('threads, strace -f: worker records carry the worker tid strace shows', () => {
    const { trace, json } = traced('threads', ['-f', '-e', `trace=${TRACE_SET}`]);
    const data = json as { main: SyscallRecord[]; worker: SyscallRecord[]; workerSelf: string; mainTid: number };
    const main = revive(data.main);
    const worker = revive(data.worker);
    const workerTid = Number(data.workerSelf.split('/').pop());
    expect(workerTid).not.toBe(data.mainTid);
    expect(worker.map((r) => r.name)).toEqual(['preadv', 'pread64', 'pwritev', 'pwrite64', 'fdatasync']);
    for (const r of worker) expect(r.tid).toBe(workerTid);
    for (const r of main) expect(r.tid).toBe(data.mainTid);

    const lines = parseStraceF(trace);
    for (const [who, recs] of [
      [data.mainTid, main],
      [workerTid, worker],
    ] as const) {
      const theirs = lines.filter(([t]) => t === who).map(([, text]) => normalize(text));
      expectSubsequence(
        theirs,
        recs.map((r) => normalize(formatStraceLine(r))),
      );
    }
    // The -f prefix as strace writes it to a file.
    const fdsync = worker[4]!;
    const straceLine = trace.split('\n').find((l) => l.startsWith(`${workerTid} `) && l.includes('fdatasync('));
    expect(straceLine).toBe(formatStraceLine(fdsync, { pid: 'column' }));
    // fd and flags: the worker used the fd main's O_RDWR|O_DSYNC open returned.
    const open = main.find((r) => r.name === 'openat' && r.args[2] === 'O_RDWR|O_DSYNC|O_CLOEXEC')!;
    for (const r of worker) expect(r.fd).toBe(open.ret);
  });

  test('strace -c -w and formatSummary agree on rows, counts and layout', () => {
    const names = 'preadv,pwritev,pwrite64,fdatasync';
    const { trace, json } = traced('threads', ['-f', '-c', '-w', '-e', `trace=${names}`]);
    const data = json as { main: SyscallRecord[]; worker: SyscallRecord[] };
    const records = revive([...data.main, ...data.worker]).filter((r) => names.split(',').includes(r.name));
    const ours = formatSummary(records).trimEnd().split('\n');
    const theirs = trace.trimEnd().split('\n');
    expect(ours.slice(0, 2)).toEqual(theirs.slice(0, 2));
    expect(ours.length).toBe(theirs.length);
    // Times differ run to run; calls, errors, names and the column each starts in must not.
    const shape = (l: string): string =>
      l.replace(/\d+\.\d+/g, (t) => 'T'.padStart(t.length)).replace(/^(.{6} .{11}) +\d+/, (_, a: string) => `${a} U`);
    const rows = (ls: string[]): string[] => ls.slice(2, -2).map((l) => shape(l).replace(/^ +T/, 'T')).sort();
    expect(rows(ours)).toEqual(rows(theirs));
    expect(ours.at(-2)).toBe(theirs.at(-2));
    expect(shape(ours.at(-1)!)).toBe(shape(theirs.at(-1)!));
  });
});
