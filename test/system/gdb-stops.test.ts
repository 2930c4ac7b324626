/**
 * What a stop means (docs/stops.md), observed from outside through the gdb stub on a real Linux
 * guest: gdb connecting to a running machine stops it even while it idles in WFI at the shell
 * prompt; while stopped no instruction retires, guest time (the `time` CSR) stands still and
 * console input is not taken; after `c` the input is processed; Ctrl-C (0x03) stops the running
 * machine with SIGINT; after `D` the guest runs on and powers off with status 0.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { linuxGuestDir } from '../helpers/spawn-guest';
import { RawRsp, startVtraceStub, type VtraceStub } from '../gdbstub/helpers';

const dir = linuxGuestDir();
if (!dir) console.warn('skipping the stop semantics test: Linux guest not built (VTRACE_GUEST_DIR)');
const le = (hex: string) => BigInt('0x' + (hex.match(/../g) ?? []).reverse().join(''));
const MINSTRET = (65 + 0xb02).toString(16);
const TIME = (65 + 0xc01).toString(16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stub: VtraceStub | undefined;
afterEach(() => stub?.g.proc.kill('SIGKILL'));

describe.skipIf(!dir)('a stop stops', () => {
  test('attach interrupts an idle guest; nothing runs while stopped; Ctrl-C; detach', { timeout: 420_000 }, async () => {
    stub = await startVtraceStub([
      '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'),
      '-initrd', path.join(dir!, 'initramfs.cpio.gz'), '-append', 'console=ttyS0',
    ]);
    const g = stub.g;
    await g.waitFor('vtrace-guest: init reached', 240_000);
    await g.waitFor(/# $/, 60_000);
    await sleep(500); // idle at the prompt: the hart waits in WFI

    const r = await RawRsp.connect(stub.port);
    expect(await r.request('?', 20_000)).toBe('T02thread:01;');
    const sample = async () => ({ instret: le(await r.request('p' + MINSTRET)), time: le(await r.request('p' + TIME)), out: g.output().length });
    const a = await sample();
    const wallA = Date.now();
    const token = `stopped-${process.pid}`;
    g.type(`echo ${token}\n`);
    await sleep(1500);
    const b = await sample();
    expect(b).toEqual(a); // no instruction, no guest time, no console output while stopped
    expect(a.time).toBeGreaterThan(0n);

    r.send('c');
    await g.waitFor(`\n${token}`, 60_000); // the input typed during the stop is taken after continue
    await sleep(300);
    r.write('\x03');
    expect(await r.next(20_000)).toBe('T02thread:01;');
    const c = await sample();
    const wallC = Date.now();
    expect(c.instret).toBeGreaterThan(a.instret);
    // Guest time (10 MHz timebase) went on only while the machine ran, not during the 1.5 s stop.
    const guestSeconds = Number(c.time - a.time) / 1e7;
    expect(guestSeconds).toBeGreaterThan(0);
    expect(guestSeconds).toBeLessThan((wallC - wallA) / 1000 - 1.0);

    expect(await r.request('D')).toBe('OK');
    r.close();
    g.type('poweroff -f\n');
    expect(await g.exited(120_000)).toBe(0);
  });
});
