/**
 * The exporters' output file (src/trace/export/out-file.ts): buffers after the first go through the
 * writer thread, in order; a write that fails there (a full disk) surfaces as the error
 * fs.writeSync would throw, with its code, at the next flush or at close.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { FLUSH_AT, OutFile } from '../../src/trace/export/out-file';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-outfile-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Fill `f` with `n` buffers of FLUSH_AT bytes, buffer k filled with byte k. */
function fill(f: OutFile, n: number): void {
  for (let k = 0; k < n; k++) {
    f.out.ensure(FLUSH_AT);
    f.out.buf.fill(k & 0xff, f.out.pos, f.out.pos + FLUSH_AT);
    f.out.pos += FLUSH_AT;
    f.flushIfFull();
  }
}

describe('OutFile', () => {
  test('many buffers arrive whole and in order', () => {
    const file = path.join(tmp, 'out.bin');
    const fd = fs.openSync(file, 'w');
    const f = new OutFile(fd);
    fill(f, 7);
    f.out.bytes(Uint8Array.of(1, 2, 3));
    f.close();
    fs.closeSync(fd);
    const b = fs.readFileSync(file);
    expect(b.length).toBe(7 * FLUSH_AT + 3);
    for (let k = 0; k < 7; k++) expect(b[k * FLUSH_AT] === k && b[(k + 1) * FLUSH_AT - 1] === k).toBe(true);
    expect([...b.subarray(7 * FLUSH_AT)]).toEqual([1, 2, 3]);
  });

  const mnt = path.join(tmp, 'small');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=10m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status === 0) mounts.push(mnt);
  else console.warn(`skipping the full-disk OutFile test: cannot mount a tmpfs (${m.stderr.trim()})`);
  test.skipIf(m.status !== 0)('a full disk met by the writer thread: ENOSPC from write, thrown by the exporter\'s thread', () => {
    const fd = fs.openSync(path.join(mnt, 'full.bin'), 'w');
    const f = new OutFile(fd);
    let err: unknown;
    try {
      fill(f, 6);
      f.close();
    } catch (e) {
      err = e;
    } finally {
      f.abort();
      fs.closeSync(fd);
    }
    expect(err).toMatchObject({ code: 'ENOSPC', syscall: 'write' });
  });
});
