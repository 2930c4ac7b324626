/**
 * The console's QEMU-format views against QEMU itself (qemu-system-riscv64's HMP monitor) for the
 * same drive and device: `info block` and `info blockstats` read the same, and every property
 * vtrace shows for the virtio-blk-device in `info qtree` is QEMU's line for it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { which } from '../guest/default/harness';
import { REPO, VTRACE } from '../helpers/spawn-guest';

const QEMU = which('qemu-system-riscv64');
let dir: string;
let img: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-info-oracle-'));
  img = path.join(dir, 'disk.img');
  fs.writeFileSync(img, Buffer.alloc(1 << 20));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const machine = (drive = '') => ['-M', 'virt', '-m', '128M', '-drive', `file=${img},format=raw,id=hd0,if=none${drive}`, '-device', 'virtio-blk-device,drive=hd0'];

/** QEMU's HMP output for `cmds`, without the monitor's line-editing escapes. */
function qemuMonitor(cmds: string[], drive = ''): string {
  const r = spawnSync(QEMU!, [...machine(drive), '-nographic', '-bios', 'none', '-S', '-monitor', 'stdio', '-serial', 'none'], {
    input: cmds.join('\n') + '\nquit\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** The lines from `start` up to the next line indented no deeper than it. */
function section(text: string, start: RegExp): string[] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => start.test(l));
  if (i < 0) return [];
  const indent = /^ */.exec(lines[i])![0].length;
  const out = [lines[i]];
  for (let j = i + 1; j < lines.length && (lines[j] === '' ? false : /^ */.exec(lines[j])![0].length > indent); j++) out.push(lines[j]);
  return out;
}

describe.skipIf(!QEMU)('info views against QEMU 7.2', () => {
  test('info block, info blockstats and the virtio-blk-device of info qtree', () => {
    const q = qemuMonitor(['info block', 'info blockstats', 'info qtree']);
    // vtrace: stop at the guest's first virtio-mmio access (the device exists, no I/O yet).
    const v = spawnSync(
      process.execPath,
      [VTRACE, 'debug', '-batch', '-tty=/dev/null', '-ex', 'tbreak virtio_mmio_read', '-ex', 'run', '-ex', 'info block', '-ex', 'info blockstats', '-ex', 'info qtree', '--', ...machine()],
      { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
    );
    expect(v.stderr).toBe('');
    const norm = (s: string) => s.replace(/#block\d+/, '#blockN');
    const qBlock = section(q, /^hd0 \(#block\d+\): /).map(norm);
    expect(qBlock.length).toBeGreaterThan(1);
    expect(section(v.stdout, /^hd0 \(#block\d+\): /).map(norm)).toEqual(qBlock);
    const stats = (s: string) => s.split('\n').find((l) => l.startsWith('hd0: rd_bytes='));
    expect(stats(v.stdout)).toBe(stats(q));
    const qDev = section(q, /^ +dev: virtio-blk-device, id ""/);
    const vDev = section(v.stdout, /^ +dev: virtio-blk-device, id ""/);
    expect(vDev.length).toBeGreaterThan(15);
    const qLines = new Set(qDev.map((l) => l.trim()));
    for (const l of vDev) expect(qLines, `QEMU has no line "${l.trim()}"`).toContain(l.trim());
    // The transport around it: the same slot, address and bus.
    for (const l of ['mmio 0000000010008000/0000000000000200', 'bus: virtio-mmio-bus.7', 'force-legacy = true']) {
      expect(q).toContain(l);
      expect(v.stdout).toContain(l);
    }
  });

  /** `info block`'s lines for hd0 with `drive` options, from QEMU's monitor and from vtrace, normalized. */
  function infoBlockBoth(drive: string): { qemu: string[]; vtrace: string[] } {
    const q = qemuMonitor(['info block'], drive);
    const v = spawnSync(process.execPath, [VTRACE, 'debug', '-batch', '-tty=/dev/null', '-ex', 'tbreak virtio_mmio_read', '-ex', 'run', '-ex', 'info block', '--', ...machine(drive)], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(v.stderr).toBe('');
    const norm = (s: string) => s.replace(/#block\d+/, '#blockN').replace(/vl\.[A-Za-z0-9]{6}/, 'vl.XXXXXX');
    return { qemu: section(q, /^hd0 \(#block\d+\): /).map(norm), vtrace: section(v.stdout, /^hd0 \(#block\d+\): /).map(norm) };
  }

  test('info block with cache.no-flush=on (the cache= modes split): as QEMU', () => {
    const { qemu, vtrace } = infoBlockBoth(',cache.no-flush=on');
    expect(qemu.join('\n')).toContain('Cache mode:       writeback, ignore flushes');
    expect(vtrace).toEqual(qemu);
  });

  test('info block of a snapshot=on, detect-zeroes=on drive: the temporary overlay as QEMU names it, flushes ignored, the image as its backing file, detect zeroes', () => {
    const { qemu, vtrace } = infoBlockBoth(',snapshot=on,detect-zeroes=on');
    expect(qemu.join('\n')).toContain('ignore flushes');
    expect(qemu.join('\n')).toContain('Detect zeroes:    on');
    expect(vtrace).toEqual(qemu);
  });
});
