/**
 * The block I/O plugins (biosnoop, biolatency, blktrace, syscount) on the default guest with its
 * disk on a dataplane device (`-object iothread,id=io0 -device virtio-blk-device,...,iothread=io0`),
 * against the same guest with the disk on the main loop: the iothread's events reach the plugins
 * through the relay (src/plugin/relay.ts), so the reports show the same requests, in the same
 * order, with the same counts — only the thread that handled them differs (iothread-io0 and its
 * tid instead of the emulator thread). The dataplane run's own recording (--trace-out) is the
 * second judge. Also: a plugin that subscribes after the start (api.onStart) gets the iothread's
 * events, with the late-subscription warning only for the pool workers' tracepoint.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_PASSED, run } from '../guest/default/harness';
import { REPO, VTRACE } from '../helpers/spawn-guest';
import { parseBiosnoop, parseBlktrace, parseHistograms, parseSyscount, recordingFacts } from '../plugin/plugin-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-plugin-dataplane-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const FIX = path.join(REPO, 'test', 'plugin', 'fixtures');

/** A fresh 1 MiB disk for the default guest, on the main loop or on iothread io0. */
function disk(name: string, dataplane: boolean): string[] {
  const f = path.join(tmp, `${name}.img`);
  fs.writeFileSync(f, Buffer.alloc(1024 * 1024));
  const drive = ['-drive', `file=${f},format=raw,id=hd0,if=none`];
  return dataplane ? ['-object', 'iothread,id=io0', ...drive, '-device', 'virtio-blk-device,drive=hd0,iothread=io0'] : [...drive, '-device', 'virtio-blk-device,drive=hd0'];
}

const out = (name: string) => path.join(tmp, name);
const read = (name: string) => fs.readFileSync(out(name), 'utf8');
const vtrace = (args: string[]) => run(process.execPath, [VTRACE, 'run', ...args], 120_000);

function plugins(tag: string): string[] {
  return [
    '--plugin', `biolatency,disks=on,outfile=${out(`${tag}-biolatency.txt`)}`,
    '--plugin', `biosnoop,outfile=${out(`${tag}-biosnoop.txt`)}`,
    '--plugin', `blktrace,outfile=${out(`${tag}-blktrace.txt`)}`,
    '--plugin', `syscount,outfile=${out(`${tag}-syscount.txt`)}`,
  ];
}

describe('block I/O plugins: a dataplane disk reports as a main-loop disk does', () => {
  let main: Awaited<ReturnType<typeof vtrace>>;
  let dp: Awaited<ReturnType<typeof vtrace>>;
  let facts: ReturnType<typeof recordingFacts>;
  beforeAll(async () => {
    main = await vtrace([...disk('main', false), ...plugins('main')]);
    dp = await vtrace([...disk('dp', true), '--trace-out', out('dp.vtr'), ...plugins('dp')]);
    facts = recordingFacts(out('dp.vtr'));
  }, 300_000);

  test('both guests pass their checks; the recording of the dataplane run lost nothing', () => {
    expect(main.code, main.stderr).toBe(0);
    expect(dp.code, dp.stderr).toBe(0);
    expect(main.stdout).toMatch(ALL_PASSED);
    expect(dp.stdout).toMatch(ALL_PASSED);
    expect(facts.lost).toBe(0);
    expect(facts.completed.size).toBe(6);
    expect(dp.stderr).not.toMatch(/plugin .* (unloaded|subscribed after)/);
  });

  test('biosnoop: the same lines (disk, type, sector, bytes) in the same order, taken by the iothread', () => {
    const m = parseBiosnoop(read('main-biosnoop.txt'));
    const d = parseBiosnoop(read('dp-biosnoop.txt'));
    const shape = (ls: typeof m) => ls.map((l) => `${l.disk} ${l.t} ${l.sector} ${l.bytes}`);
    expect(shape(m)).toEqual(['hd0 W 0 4096', 'hd0 W 2047 512', 'hd0 F 0 0', 'hd0 R 0 4096', 'hd0 R 2047 512', 'hd0 R 2048 512']);
    expect(shape(d)).toEqual(shape(m));
    // The recording's reads and writes (on the iothread) are the ones biosnoop printed.
    expect(d.filter((l) => l.t === 'R' || l.t === 'W').map((l) => `${l.t} ${l.sector} ${l.bytes}`)).toEqual(facts.rw.map((x) => `${x.op} ${x.sector} ${x.bytes}`));
    for (const l of m) expect(l.comm).toBe('emulator');
    const ioTid = parseSyscount(read('dp-syscount.txt')).byThread.find((t) => t.thread === 'iothread-io0')?.tid;
    expect(ioTid).toBeGreaterThan(0);
    for (const l of d) {
      expect(l.comm).toBe('iothread-io0');
      expect(l.pid).toBe(ioTid);
      expect(l.lat).toBeGreaterThanOrEqual(0);
    }
    expect(d.map((l) => l.time)).toEqual([...d.map((l) => l.time)].sort((a, b) => a - b));
    // The header line is the same.
    const header = (t: string) => t.split('\n').find((l) => l.startsWith('TIME(s)'));
    expect(header(read('dp-biosnoop.txt'))).toBe(header(read('main-biosnoop.txt')));
  });

  test('blktrace: the same Q, D, C sequence and the same per-device summary', () => {
    const key = (t: string) => parseBlktrace(t).map((a) => `${a.dev} ${a.seq} ${a.action}${a.rwbs} ${a.sector}+${a.count}${a.action === 'C' ? ` ${a.tail}` : ''}`);
    const m = key(read('main-blktrace.txt'));
    expect(m).toHaveLength(17);
    expect(key(read('dp-blktrace.txt'))).toEqual(m);
    for (const a of parseBlktrace(read('dp-blktrace.txt'))) if (a.action !== 'C') expect(a.tail).toBe('iothread-io0');
    const summary = (t: string) => t.slice(t.indexOf('Total (hd0):'));
    expect(summary(read('dp-blktrace.txt'))).toBe(summary(read('main-blktrace.txt')));
  });

  test('biolatency: one histogram for hd0 counting every request, in both runs', () => {
    for (const tag of ['main', 'dp']) {
      const h = parseHistograms(read(`${tag}-biolatency.txt`));
      expect([...h.keys()]).toEqual(['disk = hd0']);
      expect(h.get('disk = hd0')!.reduce((a, b) => a + b.count, 0)).toBe(6);
    }
  });

  test('syscount: the same calls by name; the image is opened by the iothread and read by its pool worker', () => {
    const m = parseSyscount(read('main-syscount.txt'));
    const d = parseSyscount(read('dp-syscount.txt'));
    expect(Object.fromEntries(d.byName)).toEqual(Object.fromEntries(m.byName));
    // Every thread's calls the recording holds, syscount counts the same (the recording does not
    // hold the iothread's pool workers' calls: their pools do not load the tracing module).
    const counted = new Map(d.byThread.map((t) => [`${t.tid}/${t.thread}/${t.name}`, t.count]));
    expect(facts.syscallThreads.size).toBeGreaterThan(0);
    for (const [k, n] of facts.syscallThreads) expect(`${k} ${counted.get(k)}`).toBe(`${k} ${n}`);
    const threadOf = (s: typeof d, name: string) => [...new Set(s.byThread.filter((t) => t.name === name).map((t) => t.thread.replace(/-\d+$/, '-N')))];
    expect(threadOf(m, 'openat')).toEqual(['emulator']);
    expect(threadOf(d, 'openat')).toEqual(['iothread-io0']);
    expect(threadOf(d, 'preadv')).toEqual(['worker-N']);
  });
});

describe('subscribing after the start', () => {
  test.each([
    ['with other plugins subscribed from install', true],
    ['as the only plugin (the running iothread takes the subscription)', false],
  ])('the iothread\'s events reach a plugin that subscribes in onStart (%s)', { timeout: 150_000 }, async (_what, others) => {
    const tag = others ? 'late-others' : 'late-alone';
    const r = await vtrace([...disk(tag, true), ...(others ? ['--plugin', `biosnoop,outfile=${out(`${tag}-biosnoop.txt`)}`] : []), '--plugin', path.join(FIX, 'late-subscriber.js')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    expect(r.stderr.match(/^late: .*$/gm)).toEqual([
      'late: virtio_blk_handle_read iothread-io0 3',
      'late: virtio_blk_handle_write iothread-io0 2',
      'late: virtio_blk_req_complete iothread-io0 6',
    ]);
    // The warning names only the pool workers' tracepoint.
    expect(r.stderr.match(/subscribed after the start.*$/gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/plugin late-subscriber: syscall_exit subscribed after the start: pool workers' events reach it only from pools created later/);
  });
});
