/**
 * A recording of a dataplane disk (`-object iothread,id=io0 ... iothread=io0`) holds the syscalls
 * of the iothread's own pool workers: the default guest's reads and writes of its disk appear in
 * `vtrace strace`, as they do for a disk on the main loop.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { VTRACE } from '../helpers/spawn-guest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dp-rec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('recording a dataplane disk', () => {
  test("the iothread's pool workers' preads and pwrites are in the recording", () => {
    const img = path.join(tmp, 'd.img');
    fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
    const vtr = path.join(tmp, 'x.vtr');
    const args = ['-object', 'iothread,id=io0', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0,iothread=io0', '--trace-out', vtr];
    const r = spawnSync(process.execPath, [VTRACE, 'run', ...args], { encoding: 'utf8', timeout: 120_000, input: '' });
    expect(r.status, r.stderr).toBe(0);
    const s = spawnSync(process.execPath, [VTRACE, 'strace', '-f', '-e', 'trace=preadv,pread64,pwritev,pwrite64', vtr], { encoding: 'utf8', timeout: 60_000 });
    expect(s.status, s.stderr).toBe(0);
    const lines = s.stderr.split('\n').filter((l) => l.length > 0); // strace's output goes to stderr, as strace's
    // The default guest writes its pattern, then reads it back and checks it.
    expect(lines.some((l) => /pwrite(64|v)\(\d+, .*vtrace-blk 00000000/.test(l))).toBe(true);
    expect(lines.some((l) => /pread(64|v)\(\d+, .*vtrace-blk 00000000/.test(l))).toBe(true);
  });
});
