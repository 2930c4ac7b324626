/**
 * The recording commands on the default guest (fast; no Linux needed):
 * - live `vtrace strace -f -- <run arguments>` under the real `strace -f`: its lines for the image's
 *   fd equal strace's (call, fd, buffer, offset, result, thread);
 * - a full disk (a 64 KiB tmpfs) stops the recording with one clear line, the run goes on and
 *   exits 0, and the file reads up to where writing stopped;
 * - bad arguments and bad files: one line on stderr, non-zero exit, no stack trace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { VTRACE } from '../helpers/spawn-guest';
import { ALL_PASSED, which } from '../guest/default/harness';
import { openRecording } from '../../src/trace/vtr-reader';
import { imageCalls, parseStraceF } from './trace-strace-log';

const STRACE = which('strace');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-trace-cli-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 150_000, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function disk(name: string): string {
  const img = path.join(tmp, name);
  fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
  return img;
}

describe.skipIf(!STRACE)('live vtrace strace -- <run arguments>', () => {
  test('prints, for the image fd, the lines the real strace -f records of the same process', { timeout: 180_000 }, () => {
    const img = disk('live.img');
    const out = path.join(tmp, 'live.txt');
    const log = path.join(tmp, 'live-strace.log');
    const set = 'trace=openat,pread64,preadv,pwrite64,pwritev,fdatasync,close';
    const r = run(STRACE!, ['-f', '-qq', '-e', set, '-o', log, process.execPath, VTRACE, 'strace', '-f', '-o', out, '-e', set, '--',
      '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    const real = imageCalls(parseStraceF(fs.readFileSync(log, 'latin1')), img);
    const ours = imageCalls(parseStraceF(fs.readFileSync(out, 'latin1')), img);
    expect(real.filter((c) => /^p(read|write)/.test(c.name)).length).toBeGreaterThanOrEqual(4);
    const tail = real.slice(ours.length);
    expect(tail.every((c) => c.name === 'close'), JSON.stringify(tail)).toBe(true);
    expect(ours.map((c) => `${c.tid} ${c.text}`)).toEqual(real.slice(0, ours.length).map((c) => `${c.tid} ${c.text}`));
  });

  test('-c prints strace\'s summary table; -T and -tt decorate the lines', { timeout: 120_000 }, () => {
    const img = disk('c.img');
    const r = run(process.execPath, [VTRACE, 'strace', '-c', '--', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^% time +seconds +usecs\/call +calls +errors syscall\n[- ]+\n/m);
    expect(r.stderr).toMatch(/^100\.00 +[\d.]+ +\d+ +\d+ +\d* *total$/m);
    const rec = path.join(tmp, 'c.vtr');
    const r2 = run(process.execPath, [VTRACE, 'run', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0', '-trace', 'syscall_*', '--trace-out', rec]);
    expect(r2.code, r2.stderr).toBe(0);
    const r3 = run(process.execPath, [VTRACE, 'strace', '-f', '-tt', '-T', '-y', '-e', 'trace=pwrite64', rec]);
    expect(r3.code, r3.stderr).toBe(0);
    const lines = r3.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\[pid +\\d+\\] \\d\\d:\\d\\d:\\d\\d\\.\\d{6} pwrite64\\(\\d+<${img.replace(/[.]/g, '\\.')}>, ".*\\) += \\d+ <\\d+\\.\\d{6}>$`));
  });
});

describe('a full disk', () => {
  const mnt = path.join(tmp, 'small');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status === 0) mounts.push(mnt);
  else console.warn(`skipping the full-disk recording test: cannot mount a tmpfs (${m.stderr.trim()})`);
  test.skipIf(m.status !== 0)('stops the recording with one clear line; the run goes on; the file reads up to the stop', { timeout: 120_000 }, () => {
    const img = disk('full.img');
    const rec = path.join(mnt, 'full.vtr');
    const r = run(process.execPath, [VTRACE, 'run', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0', '-trace', '*', '--trace-out', rec]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    expect(r.stderr).toMatch(/--trace-out .*full\.vtr: writing stopped: (ENOSPC|short write).*; the file holds what came before/);
    expect(r.stderr).toMatch(/events were lost/);
    const rec2 = openRecording(rec);
    expect(rec2.end.complete).toBe(false);
    expect(rec2.end.events).toBeGreaterThan(0);
    expect([...rec2.events()].length).toBe(rec2.end.events);
    rec2.close();
  });
});

describe('bad input: one line, non-zero exit', () => {
  const bad = path.join(tmp, 'bad.vtr');
  fs.writeFileSync(bad, 'not a recording');
  const cases: Array<[string, string[], RegExp]> = [
    ['strace without a recording', ['strace'], /^vtrace: strace: give a recording/],
    ['strace with an unknown option', ['strace', '-Z', 'x.vtr'], /^vtrace: strace: unknown option -Z/],
    ['strace of a missing file', ['strace', path.join(tmp, 'nope.vtr')], /^vtrace: .*nope\.vtr: cannot open: No such file or directory$/],
    ['strace of a non-recording', ['strace', bad], /^vtrace: .*bad\.vtr: not a vtrace recording/],
    ['strace -e with another class', ['strace', '-e', 'signal=all', bad], /^vtrace: strace: -e signal=all: only trace= is supported$/],
    ['export without --format', ['export', bad, '-o', path.join(tmp, 'x.json')], /^vtrace: export: --format chrome\|perfetto is required$/],
    ['export with a bad format', ['export', bad, '--format', 'svg', '-o', 'x'], /^vtrace: export: unknown format 'svg'/],
    ['export with a bad time', ['export', bad, '--format', 'chrome', '-o', 'x', '--from', 'soon'], /^vtrace: export: --from soon: expected a time/],
    ['export of a non-recording', ['export', bad, '--format', 'chrome', '-o', path.join(tmp, 'x.json')], /^vtrace: .*bad\.vtr: not a vtrace recording/],
    ['run --trace-out into a missing directory', ['run', '--trace-out', path.join(tmp, 'no', 'such', 'x.vtr')], /^vtrace: --trace-out .*: cannot create .*: no directory/],
    ['run --trace-buffer too small', ['run', '--trace-buffer', '1k'], /^vtrace: --trace-buffer 1k: the buffer must be between 64K and 1G/],
  ];
  for (const [what, args, re] of cases) {
    test(what, () => {
      const r = run(process.execPath, [VTRACE, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBe(1);
      expect(r.stderr.trim()).toMatch(re);
    });
  }
});
