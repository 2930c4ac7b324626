/**
 * `vtrace run` with no guest arguments boots the embedded default guest on a scratch disk it
 * creates: every check passes (virtio-blk reads, writes and flushes included), the guest powers
 * off, vtrace exits 0, and the machine-independent part of the console output is the transcript
 * real QEMU produces for the same guest and disk (test/guest/default/expected/).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ALL_PASSED, run, stableLines } from '../guest/default/harness';
import { VTRACE } from '../helpers/spawn-guest';

const expectedDir = path.join(__dirname, '..', 'guest', 'default', 'expected');
const expected = (name: string) => fs.readFileSync(path.join(expectedDir, name), 'latin1');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-default-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scratch(name: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.alloc(1024 * 1024));
  return file;
}

test('vtrace run boots the default guest on its own scratch disk: same transcript as QEMU (legacy virtio-mmio)', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, [VTRACE, 'run'], 110_000);
  const diag = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.stdout, diag).toMatch(ALL_PASSED);
  expect(r.code, diag).toBe(0);
  expect(stableLines(r.stdout).join('\n') + '\n').toBe(expected('disk-legacy.txt'));
});

test('VTRACE_STATS=1: instructions, MIPS and the startup time on stderr at exit', { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const r = await run(process.execPath, [VTRACE, 'run'], 110_000, { VTRACE_STATS: '1' });
  const wall = Date.now() - t0;
  expect(r.stdout, r.stderr).toMatch(ALL_PASSED);
  const m = /^vtrace: (\d+) instructions in ([\d.]+) s \(([\d.]+) MIPS\), first instruction (\d+) ms after start$/m.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  const [instructions, seconds, startup] = [Number(m![1]), Number(m![2]), Number(m![4])];
  expect(instructions).toBeGreaterThan(0);
  expect(seconds).toBeGreaterThan(0);
  // The startup is part of what this test waited for, before the run's own seconds.
  expect(startup).toBeGreaterThan(0);
  expect(startup + seconds * 1000).toBeLessThanOrEqual(wall);
});

test('the guest\'s writes land in the image file given with -drive', { timeout: 120_000 }, async () => {
  const img = scratch('hd0.img');
  const r = await run(process.execPath, [VTRACE, 'run', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'], 110_000);
  expect(r.stdout, r.stderr).toMatch(ALL_PASSED);
  const data = fs.readFileSync(img);
  // checks/blk.c: sector s starts with "vtrace-blk %08x\n"; sectors 0-7 and the last are written.
  expect(data.subarray(0, 20).toString('latin1')).toBe('vtrace-blk 00000000\n');
  expect(data.subarray(2047 * 512, 2047 * 512 + 20).toString('latin1')).toBe('vtrace-blk 000007ff\n');
  expect(data.subarray(8 * 512, 2047 * 512).every((b) => b === 0)).toBe(true);
});

test('modern virtio-mmio (-global virtio-mmio.force-legacy=false): QEMU\'s transcript but for RING_RESET', { timeout: 120_000 }, async () => {
  const img = scratch('modern.img');
  const r = await run(process.execPath, [VTRACE, 'run', '-global', 'virtio-mmio.force-legacy=false', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'], 110_000);
  expect(r.stdout, r.stderr).toMatch(ALL_PASSED);
  // QEMU 7.2 also offers VIRTIO_F_RING_RESET (bit 40), which vtrace does not implement yet.
  const want = expected('disk-modern.txt').replace('features offered 0x10130006e54', 'features offered 0x130006e54');
  expect(stableLines(r.stdout).join('\n') + '\n').toBe(want);
});

test('the default guest without a disk, on -smp 2', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, [VTRACE, 'run', '-smp', '2', '-m', '256M', '-kernel', path.join(__dirname, '..', '..', 'guest', 'default', 'default.bin')], 110_000);
  expect(r.stdout, r.stderr).toMatch(ALL_PASSED);
  expect(r.code).toBe(0);
});
