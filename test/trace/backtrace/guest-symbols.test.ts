/**
 * The guest end of a backtrace: walking the guest's frame pointers on a real hart (RiscvCpu over
 * guest RAM, through its debug API) the way Linux's walk_stackframe does, and symbolizing the
 * addresses from a System.map or an ELF (through binutils' nm).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { RiscvCpu } from '../../../src/target/riscv/cpu';
import { guestContextOf, guestFromText, guestToText } from '../../../src/trace/backtrace/guest';
import { GuestSymbolsError, findGuestSymbols, kernelOfCommandLine, loadGuestSymbols, parseSystemMap } from '../../../src/trace/backtrace/symbols';
import { linuxGuestDir } from '../../helpers/spawn-guest';
import { REPO } from './bt-test-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-bt-sym-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RAM = 0x80000000;
function hart(): RiscvCpu {
  return new RiscvCpu({ hartId: 3, as: new AddressSpace(new GuestRam(RAM, 1 << 20)), getTime: () => 0 });
}
function put64(h: RiscvCpu, addr: number, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  expect(h.writeVirt(BigInt(addr), b)).toBe(true);
}
function put32(h: RiscvCpu, addr: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  expect(h.writeVirt(BigInt(addr), b)).toBe(true);
}

const JAL_RA = 0x000000ef; // jal ra, 0
const JALR_RA_T0 = 0x000280e7; // jalr ra, 0(t0)
const C_JALR_T0 = 0x9282; // c.jalr t0

/** Three call sites (jal, jalr, c.jalr) and the return addresses after them. */
function callSites(h: RiscvCpu): bigint[] {
  put32(h, RAM + 0x100, JAL_RA);
  put32(h, RAM + 0x200, JALR_RA_T0);
  put32(h, RAM + 0x2fc, 0x00000013); // nop, then the compressed call at 0x300
  h.writeVirt(BigInt(RAM + 0x300), new Uint8Array([C_JALR_T0 & 0xff, C_JALR_T0 >> 8]));
  return [BigInt(RAM + 0x104), BigInt(RAM + 0x204), BigInt(RAM + 0x302)];
}

describe('guestContextOf: frame-pointer walk', () => {
  test('follows {fp, ra} records while each ra follows a call, and stops at the first that does not', () => {
    const h = hart();
    const [r1, r2, r3] = callSites(h);
    const sp = RAM + 0x8010;
    const fp = [RAM + 0x8100, RAM + 0x8200, RAM + 0x8300, RAM + 0x8400];
    put64(h, fp[0] - 16, BigInt(fp[1]));
    put64(h, fp[0] - 8, r1);
    put64(h, fp[1] - 16, BigInt(fp[2]));
    put64(h, fp[1] - 8, r2);
    put64(h, fp[2] - 16, BigInt(fp[3]));
    put64(h, fp[2] - 8, r3);
    put64(h, fp[3] - 16, 0n);
    put64(h, fp[3] - 8, BigInt(RAM + 0x1235)); // not after a call: the walk ends
    h.setPc(BigInt(RAM + 0x400));
    h.setGpr(2, BigInt(sp));
    h.setGpr(8, BigInt(fp[0]));
    h.setGpr(1, 0n);
    const g = guestContextOf(h);
    expect(g).toMatchObject({ hart: 3, pc: BigInt(RAM + 0x400), priv: 'M' });
    expect(g.callers).toEqual([r1, r2, r3]);
    expect(guestFromText(guestToText(g))).toEqual(g);
  });

  test('a leaf (only s0 saved, in the ra slot): the caller is still in ra', () => {
    const h = hart();
    const [r1, r2] = callSites(h);
    const sp = RAM + 0x8010;
    const fp0 = RAM + 0x8020;
    const fp1 = RAM + 0x8100;
    put64(h, fp0 - 8, BigInt(fp1)); // leaf prologue: sd s0, 8(sp)
    put64(h, fp1 - 16, 0n);
    put64(h, fp1 - 8, r2);
    h.setGpr(2, BigInt(sp));
    h.setGpr(8, BigInt(fp0));
    h.setGpr(1, r1);
    expect(guestContextOf(h).callers).toEqual([r1, r2]);
  });

  test('no frame pointer (s0 outside the stack): the pc alone', () => {
    const h = hart();
    h.setGpr(2, BigInt(RAM + 0x8010));
    h.setGpr(8, 0x1234n);
    expect(guestContextOf(h).callers).toEqual([]);
    h.setGpr(8, BigInt(RAM + 0x8011)); // misaligned
    expect(guestContextOf(h).callers).toEqual([]);
    expect(guestFromText('garbage')).toBeNull();
  });
});

describe('guest symbols', () => {
  test('System.map text: code symbols only, nearest at or below, nothing past the last', () => {
    const s = parseSystemMap(['ffffffff80000000 T _start', 'ffffffff80000100 t vm_notify', 'ffffffff80000140 D some_data', 'ffffffff80000180 W weak_fn', 'ffffffff80000200 T _etext', 'junk line'].join('\n'));
    expect(s.size).toBe(4);
    expect(s.lookup(0xffffffff80000120n)).toEqual({ name: 'vm_notify', offset: 0x20n });
    expect(s.lookup(0xffffffff80000150n)?.name).toBe('vm_notify'); // data symbols do not split code
    expect(s.lookup(0xffffffff80000180n)).toEqual({ name: 'weak_fn', offset: 0n });
    expect(s.lookup(0xffffffff7fffffffn)).toBeNull();
    expect(s.lookup(0xffffffff80000300n)).toBeNull();
  });

  test('loading: a missing file and a file without symbols are one-line errors', () => {
    expect(() => loadGuestSymbols(path.join(tmp, 'nope.map'))).toThrow(GuestSymbolsError);
    const empty = path.join(tmp, 'empty.map');
    fs.writeFileSync(empty, 'nothing here\n');
    expect(() => loadGuestSymbols(empty)).toThrow(/no code symbols/);
    const notElf = path.join(tmp, 'bad.elf');
    fs.writeFileSync(notElf, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    expect(() => loadGuestSymbols(notElf)).toThrow(GuestSymbolsError);
  });

  const elf = path.join(REPO, 'guest', 'default', 'build', 'default.elf');
  test.skipIf(!fs.existsSync(elf))('the default guest\'s ELF through nm: the same addresses nm prints', () => {
    const syms = loadGuestSymbols(elf);
    const nm = spawnSync('riscv64-linux-gnu-nm', [elf], { encoding: 'utf8' });
    const line = nm.stdout.split('\n').find((l) => / T virtio_blk_request$/.test(l))!;
    const addr = BigInt(`0x${line.split(' ')[0]}`);
    expect(syms.lookup(addr + 4n)).toEqual({ name: 'virtio_blk_request', offset: 4n });
    expect(findGuestSymbols(path.join(REPO, 'guest', 'default', 'default.bin'))?.lookup(addr)?.name).toBe('virtio_blk_request');
  });

  const linux = linuxGuestDir();
  test.skipIf(!linux)('the Linux guest: System.map beside Image', () => {
    const syms = findGuestSymbols(path.join(linux!, 'Image'))!;
    const line = fs.readFileSync(path.join(linux!, 'System.map'), 'utf8').split('\n').find((l) => / [Tt] vm_notify$/.test(l))!;
    expect(syms.lookup(BigInt(`0x${line.split(' ')[0]}`) + 2n)?.name).toBe('vm_notify');
  });

  test('the kernel of a recorded command line', () => {
    expect(kernelOfCommandLine(['node', 'vtrace', 'run', '-kernel', 'Image'], '/x')).toBe('/x/Image');
    expect(kernelOfCommandLine(['node', 'vtrace', 'run'], '/x')).toBe(path.join(REPO, 'guest', 'default', 'default.bin'));
    expect(findGuestSymbols(path.join(tmp, 'no-such-kernel'))).toBeNull();
  });
});
