/**
 * -drive file.locking=off and -device share-rw=on against another process that holds the image
 * for writing (a node process with a BlockBackend open on it, as another vtrace would): without
 * either option vtrace refuses with QEMU's "Failed to get shared "write" lock"; with file.locking=off it
 * does not look at locks; with share-rw=on it writes beside the other writer (which shares write
 * too), as QEMU.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-lock-opts-'));
const img = path.join(tmp, 'shared.img');
let holder: ChildProcess;

beforeAll(async () => {
  fs.writeFileSync(img, Buffer.alloc(1 << 20));
  // The other writer shares write (share-rw=on), so that share-rw=on here can coexist with it.
  const script = `
    const { blockdevOpen } = require(${JSON.stringify(path.join(REPO, 'dist/block/blockdev.js'))});
    blockdevOpen({ file: ${JSON.stringify(img)}, format: 'raw', id: 'other', shareRw: true });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    holder.on('exit', (c) => reject(new Error(`the holder exited (${c})`)));
  });
});
afterAll(async () => {
  holder.kill('SIGKILL');
  await new Promise((r) => holder.on('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(drive: string, device: string) {
  return spawnSync(process.execPath, [VTRACE, 'run', '--no-tui', '-drive', `file=${img},format=raw,id=hd0,if=none${drive}`, '-device', `virtio-blk-device,drive=hd0${device}`], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    input: '',
  });
}

describe('image locks from the command line', () => {
  test('another writer holds the image: refused with QEMU\'s message', () => {
    const r = run('', '');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Failed to get shared "write" lock'); // it writes; we would not share that
    expect(r.stderr).toContain(`Is another process using the image [${img}]?`);
  });

  test('file.locking=off: locks are not looked at; the default guest runs', () => {
    const r = run(',file.locking=off', '');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('all 9 checks passed');
  });

  test('share-rw=on: writes beside the other writer, which shares write too', () => {
    const r = run('', ',share-rw=on');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('all 9 checks passed');
  });
});
