/**
 * Linux with its root filesystem on virtio-blk (the recipe's ext4 image, `root=/dev/vda`): the
 * guest writes a file, syncs and powers off; on the host `e2fsck -fn` is clean and the file holds
 * what the guest wrote. The same through a qcow2 overlay made by `qemu-img create -b base -F raw`:
 * `qemu-img check` clean, the base image untouched. And the guest's `blkdiscard` on a qcow2 drive
 * with discard=unmap: the clusters are freed (qemu-img map), the image checks clean; and
 * snapshot=on: the guest's writes are visible to it, the image is untouched afterwards; and root
 * on a compressed qcow2 under snapshot=on.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { linuxGuestDir, spawnGuest, VTRACE } from '../helpers/spawn-guest';
import { which } from '../guest/default/harness';

const dir = linuxGuestDir();
if (!dir) {
  const msg = 'Linux guest not built (VTRACE_GUEST_DIR unset: run `npm test`, which builds it, or `npm run guest:build`)';
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping Linux virtio-blk tests: ${msg}`);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-linux-blk-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function bootWriteSync(driveArg: string, token: string, iothread = false) {
  const g = spawnGuest(process.execPath, [
    VTRACE, 'run', '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'),
    '-append', 'root=/dev/vda rw console=ttyS0', '-drive', driveArg,
    ...(iothread ? ['-object', 'iothread,id=io0', '-device', 'virtio-blk-device,drive=hd0,iothread=io0'] : ['-device', 'virtio-blk-device,drive=hd0']),
  ]);
  await g.waitFor('vtrace-guest: root=ext4', 240_000);
  await g.waitFor(/# $/, 60_000);
  g.type(`echo ${token} > /from-guest.txt; sync; poweroff -f\n`);
  const code = await g.exited(120_000);
  return { code, out: g.output(), err: g.stderr() };
}

function fileInExt4(image: string, name: string): string {
  const r = spawnSync('debugfs', ['-R', `cat ${name}`, image], { encoding: 'latin1' });
  return r.stdout;
}

describe.skipIf(!dir)('Linux root on virtio-blk', () => {
  test('ext4 on a raw image: e2fsck clean, the file the guest wrote is there', { timeout: 420_000 }, async () => {
    const img = path.join(tmp, 'root.img');
    fs.copyFileSync(path.join(dir!, 'rootfs.ext4'), img);
    const token = `raw-${process.pid}`;
    const r = await bootWriteSync(`file=${img},format=raw,id=hd0,if=none`, token);
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    const fsck = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fileInExt4(img, '/from-guest.txt')).toBe(`${token}\n`);
  });

  test('dataplane (-object iothread, iothread=io0): the same, served by the iothread', { timeout: 420_000 }, async () => {
    const img = path.join(tmp, 'root-dp.img');
    fs.copyFileSync(path.join(dir!, 'rootfs.ext4'), img);
    const token = `dataplane-${process.pid}`;
    const r = await bootWriteSync(`file=${img},format=raw,id=hd0,if=none`, token, true);
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    const fsck = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fileInExt4(img, '/from-guest.txt')).toBe(`${token}\n`);
  });

  test.skipIf(!which('qemu-img'))('discard=unmap on qcow2: the guest\'s blkdiscard frees clusters (qemu-img map: zero, no data), qemu-img check clean', { timeout: 420_000 }, async () => {
    const img = path.join(tmp, 'scratch.qcow2');
    const mk = spawnSync('qemu-img', ['create', '-f', 'qcow2', img, '8M'], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);
    const g = spawnGuest(process.execPath, [
      VTRACE, 'run', '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'), '-initrd', path.join(dir!, 'initramfs.cpio.gz'),
      '-append', 'console=ttyS0', '-drive', `file=${img},format=qcow2,id=hd0,if=none,discard=unmap`, '-device', 'virtio-blk-device,drive=hd0',
    ]);
    await g.waitFor('vtrace-guest: init reached', 240_000);
    g.type('dd if=/dev/urandom of=/dev/vda bs=64k count=64 2>/dev/null; sync; blkdiscard -o 1048576 -l 1048576 /dev/vda && echo discard-rc=$?; dd if=/dev/vda bs=64k skip=16 count=16 2>/dev/null | od -An -tx1 | sort -u | tr -d " \n"; echo; sync; poweroff -f\n');
    const code = await g.exited(120_000);
    expect(code, g.stderr() + g.output().slice(-2000)).toBe(0);
    expect(g.output()).toContain('discard-rc=0');
    expect(g.output()).toMatch(/\n0{32}\*\r?\n/); // the discarded MiB reads as zeroes in the guest
    const check = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const map = JSON.parse(spawnSync('qemu-img', ['map', '--output=json', img], { encoding: 'utf8' }).stdout) as { start: number; length: number; zero: boolean; data: boolean }[];
    const at = (o: number) => map.find((e) => e.start <= o && o < e.start + e.length)!;
    expect(at(0)).toMatchObject({ data: true, zero: false });
    expect(at(1 << 20)).toMatchObject({ data: false, zero: true });
    expect(at((2 << 20) - 1)).toMatchObject({ data: false, zero: true });
    expect(at(2 << 20)).toMatchObject({ data: true, zero: false });
  });

  test('-drive snapshot=on: the guest reads back what it wrote; after exit the image is untouched and no overlay is left', { timeout: 420_000 }, async () => {
    const img = path.join(tmp, 'snap.img');
    fs.writeFileSync(img, Buffer.alloc(4 << 20, 0x5a));
    const before = sha256(img);
    const tmpdir = fs.mkdtempSync(path.join(tmp, 'tmpdir-'));
    const g = spawnGuest(process.execPath, [
      VTRACE, 'run', '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'), '-initrd', path.join(dir!, 'initramfs.cpio.gz'),
      '-append', 'console=ttyS0', '-drive', `file=${img},format=raw,id=hd0,if=none,snapshot=on`, '-device', 'virtio-blk-device,drive=hd0',
    ], { TMPDIR: tmpdir });
    await g.waitFor('vtrace-guest: init reached', 240_000);
    g.type('echo snapshot-data-$((6*7)) | dd of=/dev/vda bs=512 seek=100 conv=fsync 2>/dev/null; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=512 skip=100 count=1 2>/dev/null | head -c 16; echo; poweroff -f\n');
    const code = await g.exited(120_000);
    expect(code, g.stderr() + g.output().slice(-2000)).toBe(0);
    expect(g.output()).toContain('snapshot-data-42');
    expect(sha256(img)).toBe(before);
    expect(fs.readdirSync(tmpdir).filter((f) => f.startsWith('vl.'))).toEqual([]);
  });

  test.skipIf(!which('qemu-img'))('root on a compressed qcow2 (qemu-img convert -c) with snapshot=on: boots, writes, and the image is untouched', { timeout: 420_000 }, async () => {
    const img = path.join(tmp, 'root-c.qcow2');
    const conv = spawnSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', path.join(dir!, 'rootfs.ext4'), img], { encoding: 'utf8' });
    expect(conv.status, conv.stderr).toBe(0);
    const before = sha256(img);
    const r = await bootWriteSync(`file=${img},format=qcow2,id=hd0,if=none,snapshot=on`, `compressed-${process.pid}`);
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    expect(sha256(img)).toBe(before);
  });

  test.skipIf(!which('qemu-img'))('ext4 through a qcow2 overlay on a raw base: qemu-img check clean, base untouched', { timeout: 420_000 }, async () => {
    const base = path.join(tmp, 'base.img');
    const overlay = path.join(tmp, 'overlay.qcow2');
    fs.copyFileSync(path.join(dir!, 'rootfs.ext4'), base);
    const before = sha256(base);
    const mk = spawnSync('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);
    const token = `qcow2-${process.pid}`;
    const r = await bootWriteSync(`file=${overlay},format=qcow2,id=hd0,if=none`, token);
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    const check = spawnSync('qemu-img', ['check', overlay], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(sha256(base)).toBe(before);
    const flat = path.join(tmp, 'flat.img');
    const conv = spawnSync('qemu-img', ['convert', '-O', 'raw', overlay, flat], { encoding: 'utf8' });
    expect(conv.status, conv.stderr).toBe(0);
    const fsck = spawnSync('e2fsck', ['-fn', flat], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fileInExt4(flat, '/from-guest.txt')).toBe(`${token}\n`);
  });
});
