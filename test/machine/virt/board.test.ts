/**
 * The `virt` board assembled with stand-in harts (qtest style: no instructions execute): memory
 * map against QEMU's `info mtree`, interrupt wiring, boot modes, device tree handling, reset.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildVirtMachine, VirtConfigError, type VirtConfig } from '../../../src/machine/virt/board';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';
import { cells, FdtNode, parseFdt, readString, strings, writeFdt } from '../../../src/machine/virt/fdt/fdt';
import { Priv } from '../../../src/target/riscv/cpu-api';
import type { ShutdownRequest } from '../../../src/hw/misc/sifive-test';
import { FakeHart } from './fake-hart';

const GUEST_BIN = path.resolve(__dirname, '../../../guest/default/default.bin');
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const MiB = 2 ** 20;
const SEIP = 1 << 9;
const MEIP = 1 << 11;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-board-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function make(over: Partial<VirtConfig> = {}) {
  const serial = new MemoryCharBackend();
  const shutdowns: ShutdownRequest[] = [];
  let now = 0;
  const m = buildVirtMachine(
    { ramSize: 128 * MiB, smp: 2, bios: 'default', kernel: GUEST_BIN, serial, onShutdown: (r) => shutdowns.push(r), rngSeed: null, clock: { nowNs: () => now }, ...over },
    (o) => new FakeHart(o.hartId, o.as, o.getTime),
  );
  return { m, serial, shutdowns, harts: m.harts as FakeHart[], setNow: (ns: number) => (now = ns) };
}

describe('virt board', () => {
  const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;
  test.skipIf(!haveQemu)('maps every emulated region where QEMU 7.2 does, with QEMU\'s names and sizes', () => {
    const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-m', '128M', '-bios', 'none', '-display', 'none', '-monitor', 'stdio', '-S'], {
      input: 'info mtree -f\nquit\n',
      encoding: 'latin1',
      timeout: 20_000,
    });
    const qemu = new Map<string, string[]>();
    const section = r.stdout.replace(/\r/g, "").split(/\n\s*\n/).find((s) => /FlatView #\d+[\s\S]*AS "memory"/.test(s)) ?? r.stdout;
    for (const line of section.split('\n')) {
      const mm = /^\s+([0-9a-f]+)-([0-9a-f]+) \(prio \d+, [^)]+\): (\S+)/.exec(line);
      if (mm) qemu.set(mm[3], [...(qemu.get(mm[3]) ?? []), `${Number.parseInt(mm[1], 16).toString(16)}-${Number.parseInt(mm[2], 16).toString(16)}`]);
    }
    const { m } = make();
    const ours = new Map<string, string[]>();
    for (const { base, region } of m.as.regions()) ours.set(region.name, [...(ours.get(region.name) ?? []), `${base.toString(16)}-${(base + region.size - 1).toString(16)}`]);
    ours.set('riscv_virt_board.ram', [`80000000-${(0x80000000 + 128 * MiB - 1).toString(16)}`]);
    for (const [name, ranges] of ours) expect(qemu.get(name)?.sort(), name).toEqual(ranges.sort());
  });

  test('UART interrupts reach the hart through the PLIC S-mode context', () => {
    const { m, serial, harts } = make();
    const as = m.as;
    as.ioWrite(0xc000000 + 4 * 10, 4, 1); // priority of source 10
    as.ioWrite(0xc000000 + 0x2000 + 0x80 * 1, 4, 1 << 10); // context 1 = hart 0 S
    as.ioWrite(0x10000001, 1, 0x01); // IER: RDA
    serial.feed('k');
    expect(harts[0].mip & SEIP).toBe(SEIP);
    expect(harts[0].mip & MEIP).toBe(0);
    expect(as.ioRead(0xc200004 + 0x1000, 4)).toBe(10); // claim
    expect(harts[0].mip & SEIP).toBe(0);
    expect(as.ioRead(0x10000000, 1)).toBe(0x6b);
    as.ioWrite(0xc200004 + 0x1000, 4, 10); // complete; the line is low now
    expect(harts[0].mip & SEIP).toBe(0);
  });

  test('virtio-mmio slots answer as empty (legacy, as QEMU 7.2) transports; their IRQ lines are PLIC sources 1..8', () => {
    const { m, harts } = make();
    for (let i = 0; i < 8; i++) {
      const base = 0x10001000 + 0x1000 * i;
      expect(m.as.ioRead(base, 4)).toBe(0x74726976);
      expect(m.as.ioRead(base + 4, 4)).toBe(1);
      expect(m.as.ioRead(base + 8, 4)).toBe(0);
      expect(m.as.ioRead(base + 0xc, 4)).toBe(0x554d4551);
    }
    m.as.ioWrite(0xc000000 + 4 * 3, 4, 1);
    m.as.ioWrite(0xc000000 + 0x2000 + 0x80 * 2, 4, 1 << 3); // hart 1 M
    m.virtioIrqs[2].set(true);
    expect(harts[1].mip & MEIP).toBe(MEIP);
  });

  test('sifive_test shutdown halts every hart and reports once', () => {
    const { m, harts, shutdowns } = make();
    m.as.ioWrite(0x100000, 4, (3 << 16) | 0x3333);
    m.as.ioWrite(0x100000, 4, 0x5555);
    expect(shutdowns).toEqual([{ kind: 'fail', code: 3 }]);
    expect(harts.every((h) => h.halted)).toBe(true);
    m.reset();
    expect(harts[0].halted).toBe(false);
    m.as.ioWrite(0x100000, 4, 0x5555);
    expect(shutdowns).toHaveLength(2);
  });

  test('built-in SBI boot: hart 0 in S-mode at the Image entry with a0 = 0, a1 = FDT; others stopped', () => {
    const { m, harts } = make({ append: 'console=ttyS0' });
    expect(m.boot.mode).toBe('builtin-sbi');
    expect(m.boot.kernelEntry).toBe(0x80200000);
    expect(m.boot.fdtAddr).toBe(0x87e00000);
    const [h0, h1] = harts;
    expect(h0.priv).toBe(Priv.S);
    expect(h0.pc).toBe(0x80200000n);
    expect(h0.gpr[10]).toBe(0n);
    expect(h0.gpr[11]).toBe(0x87e00000n);
    expect(h0.halted).toBe(false);
    expect(h1.halted).toBe(true);
    expect(h0.csr.get(0x303)).toBe(0x222n); // mideleg
    expect(h0.csr.get(0x306)).toBe(7n); // mcounteren
    expect(h0.csr.get(0x3a0)).toBe(0x1fn); // pmpcfg0: NAPOT RWX
    expect((h0.csr.get(0x302)! >> 9n) & 1n).toBe(0n); // ECALL from S is not delegated
    expect(h0.ecallHandler).not.toBeNull();
    const inRam = new Uint8Array(m.fdt.length);
    m.as.readPhys(0x87e00000, inRam);
    expect(inRam).toEqual(m.fdt);
    expect(readString(parseFdt(m.fdt).root.find('/chosen')!.getProp('bootargs')!)).toBe('console=ttyS0');
  });

  test('-bios none: every hart starts in M-mode at the mask ROM, which jumps to the kernel', () => {
    const { m, harts } = make({ bios: 'none' });
    expect(m.boot.kernelEntry).toBe(0x80000000); // QEMU loads a raw kernel at RAM base without firmware
    for (const h of harts) {
      expect(h.pc).toBe(0x1000n);
      expect(h.priv).toBe(Priv.M);
      expect(h.halted).toBe(false);
      expect(h.ecallHandler).toBeNull();
    }
    expect(m.as.ioRead(0x1000 + 24, 4)).toBe(0x80000000);
    expect(m.as.ioRead(0x1000 + 32, 4)).toBe(m.boot.fdtAddr);
    m.as.ioWrite(0x1000, 4, 0); // ROM ignores writes
    expect(m.as.ioRead(0x1000, 4)).toBe(0x00000297);
  });

  test.skipIf(!fs.existsSync(FW))('-bios FILE: firmware at RAM base, kernel at the next 2 MiB, fw_dynamic_info for it', () => {
    const { m } = make({ bios: FW });
    expect(m.boot.firmware!.low).toBe(0x80000000);
    expect(m.boot.kernelEntry).toBe(0x80200000);
    expect(m.as.ioRead(0x1000 + 24, 4)).toBe(0x80000000); // jump to the firmware
    expect(m.as.ioRead(0x1000 + 40, 4)).toBe(0x4942534f);
    expect(m.as.ioRead(0x1000 + 56, 4)).toBe(0x80200000); // next_addr
  });

  test('reset restores the boot images (QEMU\'s ROM list) and boot state', () => {
    const { m, harts } = make();
    m.as.writePhys(0x80200000, new Uint8Array(16));
    m.as.writePhys(m.boot.fdtAddr, new Uint8Array(16));
    harts[0].pc = 0x1234n;
    m.reset();
    const b = new Uint8Array(16);
    m.as.readPhys(0x80200000, b);
    expect(b).toEqual(new Uint8Array(fs.readFileSync(GUEST_BIN).subarray(0, 16)));
    m.as.readPhys(m.boot.fdtAddr, b);
    expect(b).toEqual(m.fdt.subarray(0, 16));
    expect(harts[0].pc).toBe(0x80200000n);
    expect(harts[0].icacheFlushes).toBeGreaterThan(0);
  });

  test('RAM written behind the harts (loaders, debuggers, DMA) reaches invalidateCode of the shared decode cache', () => {
    const { m, harts } = make();
    harts[0].invalidated.length = 0;
    m.as.writePhys(0x80300000, new Uint8Array(12));
    m.as.ram.invalidate_and_set_dirty(m.as.ram.u8.subarray(0x1000, 0x1800), 0x100);
    expect(harts[0].invalidated).toEqual([
      [0x80300000, 12],
      [0x80001000, 0x100],
    ]);
    expect(harts[1].invalidated).toEqual([]);
  });

  test('-dtb FILE: used as given, /chosen patched with -append and -initrd; no /chosen is an error', () => {
    const root = new FdtNode('');
    root.addProp('model', strings('mine'));
    root.addChild('chosen').addProp('stdout-path', strings('/x'));
    const dtb = path.join(tmp, 'user.dtb');
    fs.writeFileSync(dtb, writeFdt({ root, bootCpuidPhys: 0, memReserve: [] }));
    const initrd = path.join(tmp, 'rd');
    fs.writeFileSync(initrd, Buffer.alloc(10));
    const { m } = make({ dtb, append: 'quiet', initrd });
    const chosen = parseFdt(m.fdt).root.find('/chosen')!;
    expect(chosen.props.map((p) => p.name)).toEqual(['linux,initrd-end', 'linux,initrd-start', 'bootargs', 'stdout-path']);
    expect(readString(parseFdt(m.fdt).root.getProp('model')!)).toBe('mine');
    const bare = new FdtNode('');
    bare.addProp('x', cells(1));
    fs.writeFileSync(dtb, writeFdt({ root: bare, bootCpuidPhys: 0, memReserve: [] }));
    expect(() => make({ dtb, append: 'quiet' })).toThrow(/\/chosen/);
    expect(make({ dtb }).m.fdt.length).toBeGreaterThan(0); // nothing to patch: fine
    fs.writeFileSync(dtb, 'garbage');
    expect(() => make({ dtb })).toThrow(VirtConfigError);
  });

  test('dumpdtb writes the final tree; bad inputs are VirtConfigErrors with one line', () => {
    const out = path.join(tmp, 'dump.dtb');
    const { m } = make({ dumpDtb: out });
    expect(m.dtbDumpedTo).toBe(out);
    expect(new Uint8Array(fs.readFileSync(out))).toEqual(m.fdt);
    expect(() => make({ kernel: path.join(tmp, 'nope') })).toThrow(/-kernel .*No such file/);
    expect(() => make({ kernel: undefined })).toThrow(VirtConfigError);
    expect(make({ kernel: undefined, dumpDtb: out }).m.boot.kernelEntry).toBe(0);
    const big = path.join(tmp, 'big');
    fs.writeFileSync(big, Buffer.alloc(70 * MiB));
    expect(() => make({ kernel: GUEST_BIN, initrd: big })).toThrow(VirtConfigError);
  });

  test('timers: deadlines cover the CLINT, the SBI timer and the UART timeout', () => {
    const { m, harts, setNow } = make();
    m.as.ioWrite(0x2004000, 8, 0xffffffff, 0xffffffff);
    m.as.ioWrite(0x2004008, 8, 0xffffffff, 0xffffffff);
    expect(m.nextDeadlineNs()).toBe(Infinity);
    harts[0].ecall(0x54494d45, 0, 100); // SBI set_timer at 100 ticks = 10 us
    expect(m.nextDeadlineNs()).toBe(10_000);
    expect(m.msUntilNextDeadline()).toBe(0.01);
    setNow(10_000);
    m.updateTimers();
    expect(harts[0].mip & (1 << 5)).toBe(1 << 5);
  });
});
