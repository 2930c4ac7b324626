/**
 * -drive snapshot=on (src/block/temp-snapshot.ts, qcow2-create.ts): the guest's writes go to a
 * temporary qcow2 overlay in $TMPDIR (vl.XXXXXX, unlinked right after it is opened), the image is
 * opened read-only and never written; the overlay qemu-img would have made checks clean. Real
 * files, real thread-pool workers; qemu-img as the oracle.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { BlockBackend } from '../../src/block/block-backend';
import { BDRV_O_NO_FLUSH } from '../../src/block/block-int';
import { blockdevClose, blockdevOpen } from '../../src/block/blockdev';
import { qcow2_create } from '../../src/block/qcow2/qcow2-create';
import { parseQemuArgs } from '../../src/cli/qemu-options';
import { aio, cleanupTempDirs, installWorkerRecorder, makeImage, pattern, run, tempDir } from './block-test-helpers';

const MiB = 1 << 20;
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const haveQemuImg = run('qemu-img', ['--version']).status === 0;
const opened: BlockBackend[] = [];
let savedTmp: string | undefined;

beforeAll(() => {
  installWorkerRecorder();
  savedTmp = process.env.TMPDIR;
});
afterEach(() => {
  for (const b of opened.splice(0)) blockdevClose(b);
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});
afterAll(() => cleanupTempDirs());

function shared(bytes: Uint8Array): Uint8Array {
  const b = new Uint8Array(new SharedArrayBuffer(bytes.length));
  b.set(bytes);
  return b;
}

describe('snapshot=on', () => {
  test.skipIf(!haveQemuImg)('qcow2_create: qemu-img check is clean and info reads the size back', () => {
    const dir = tempDir();
    for (const size of [MiB, 3 * MiB + 512, 700 * 1024 * MiB]) {
      const f = path.join(dir, `new-${size}.qcow2`);
      expect(qcow2_create(f, size)).toBe(0);
      const chk = run('qemu-img', ['check', f]);
      expect(chk.stdout + chk.stderr).toContain('No errors were found on the image.');
      const info = JSON.parse(run('qemu-img', ['info', '--output=json', f]).stdout) as { 'virtual-size': number; format: string; 'format-specific': { data: { compat: string } } };
      expect(info).toMatchObject({ 'virtual-size': size, format: 'qcow2' });
      expect(info['format-specific'].data.compat).toBe('1.1');
    }
  });

  test.each(['raw', 'qcow2'] as const)('%s image: writes land in a temporary overlay in $TMPDIR, removed at once; reads see them; the image is untouched', (fmt) => {
    if (fmt === 'qcow2' && !haveQemuImg) return;
    const dir = tempDir();
    const tmp = tempDir('vtrace-tmpdir-');
    process.env.TMPDIR = tmp;
    let img = makeImage(dir, 'base.raw', 4 * MiB, 3);
    if (fmt === 'qcow2') {
      const q = path.join(dir, 'base.qcow2');
      expect(run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', img, q]).status).toBe(0);
      img = q;
    }
    const before = sha256(img);
    const blk = blockdevOpen({ file: img, format: fmt, id: `snap-${fmt}`, snapshot: true, logger: () => {} });
    opened.push(blk);
    const top = blk.root!.bs;
    expect(top.drv.format_name).toBe('qcow2');
    const overlayFile = top.file!.bs.filename;
    expect(path.dirname(overlayFile)).toBe(tmp);
    expect(path.basename(overlayFile)).toMatch(/^vl\.[A-Za-z0-9]{6}$/);
    expect(fs.existsSync(overlayFile)).toBe(false); // unlinked right after it was opened
    // QEMU's name for such a node (info block shows it), and its cache mode: flushes are ignored.
    const baseJson = fmt === 'raw' ? `{"driver": "raw", "file": {"driver": "file", "filename": ${JSON.stringify(img)}}}` : `{"driver": "qcow2", "file": {"driver": "file", "filename": ${JSON.stringify(img)}}}`;
    expect(top.filename).toBe(`json:{"backing": ${baseJson}, "driver": "qcow2", "file": {"driver": "file", "filename": ${JSON.stringify(overlayFile)}}}`);
    expect(top.file!.bs.open_flags & BDRV_O_NO_FLUSH).toBe(BDRV_O_NO_FLUSH);
    expect(top.read_only).toBe(false);
    const base = top.backing!.bs;
    expect(base.filename).toBe(img);
    expect(base.drv.format_name).toBe(fmt);
    expect(base.read_only).toBe(true);

    const expected = Buffer.from(pattern(4 * MiB, 3));
    const data = shared(pattern(100_000, 9));
    expect(aio.write(blk, MiB + 777, data)).toBe(0);
    expected.set(data, MiB + 777);
    expect(aio.write(blk, 0, shared(pattern(512, 4)))).toBe(0);
    expected.set(pattern(512, 4), 0);
    const back = new Uint8Array(new SharedArrayBuffer(4 * MiB));
    expect(aio.read(blk, 0, back)).toBe(0);
    expect(Buffer.from(back).equals(expected)).toBe(true);
    expect(aio.flush(blk)).toBe(0);

    blockdevClose(opened.pop()!);
    expect(sha256(img)).toBe(before);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('vl.'))).toEqual([]); // (image locks live in $TMPDIR too)
  });

  test('-snapshot turns snapshot=on for every drive that does not say otherwise', () => {
    const o = parseQemuArgs(['-drive', 'file=a.img,if=none,id=a', '-drive', 'file=b.img,if=none,id=b,snapshot=off', '-snapshot', '-drive', 'file=c.img,if=none,id=c']);
    expect(o.drives.map((d) => [d.id, d.snapshot])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(parseQemuArgs(['-drive', 'file=a.img,if=none,id=a,snapshot=on']).drives[0].snapshot).toBe(true);
    expect(parseQemuArgs(['-drive', 'file=a.img,if=none,id=a']).drives[0].snapshot).toBeUndefined();
  });
});
