/**
 * A guest poweroff leaves at once, as QEMU's exit(), and drops the image locks as the kernel drops
 * QEMU's OFD locks (src/system/machine-setup.ts qemu_poweroff_release_locks): no holder file of a
 * finished vtrace is left in the lock directory — the emulator thread's drives and an iothread's.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-locks-exit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function holders(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => !fs.statSync(path.join(dir, f)).isDirectory());
}

describe('image locks at a guest poweroff', () => {
  test.each([
    ['main loop', []],
    ['iothread', ['-object', 'iothread,id=io0', '-device', 'virtio-blk-device,drive=hd0,iothread=io0']],
  ] as const)('%s: the default guest powers off and no lock holder is left', (name, dev) => {
    const locks = path.join(tmp, `locks-${name.replace(' ', '-')}`);
    const img = path.join(tmp, `${name.replace(' ', '-')}.img`);
    fs.writeFileSync(img, Buffer.alloc(1 << 20));
    const args = [VTRACE, 'run', '--no-tui', '-drive', `file=${img},format=raw,id=hd0,if=none`, ...(dev.length > 0 ? dev : ['-device', 'virtio-blk-device,drive=hd0'])];
    const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 120_000, input: '', env: { ...process.env, VTRACE_LOCK_DIR: locks } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('all 9 checks passed');
    expect(fs.existsSync(locks)).toBe(true); // the drive was locked while it ran
    expect(holders(locks)).toEqual([]);
  });
});
