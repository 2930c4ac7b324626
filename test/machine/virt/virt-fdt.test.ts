/**
 * The generated `virt` device tree against the one QEMU 7.2 itself dumps (Debian's
 * qemu-system-misc, `-M virt,dumpdtb=FILE`), both decompiled by dtc. QEMU runs with a CPU limited
 * to our hart's extensions (-cpu rv64,h=off,...), so riscv,isa must match too. Known, deliberate
 * differences are removed from QEMU's tree before comparing:
 *   /pmu, /fw-cfg@10100000, /flash@20000000, /platform-bus@4000000, /soc/rtc@101000,
 *   /soc/pci@30000000 (not emulated), and /chosen/rng-seed (random in both).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseFdt, readCells, writeFdt, type Fdt } from '../../../src/machine/virt/fdt/fdt';
import { createVirtFdt } from '../../../src/machine/virt/virt-fdt';
import { buildVirtMachine } from '../../../src/machine/virt/board';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';
import { dtcDecompile } from './fdt/dtc';
import { FakeHart } from './fake-hart';

const QEMU = 'qemu-system-riscv64';
const haveTools = spawnSync(QEMU, ['--version']).status === 0 && spawnSync('dtc', ['--version']).status === 0;
const QEMU_CPU = 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off,Zihintpause=off';
const DEFAULT_GUEST = path.resolve(__dirname, '../../../guest/default/default.bin');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-virt-fdt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const OMITTED = ['/pmu', '/fw-cfg@10100000', '/flash@20000000', '/platform-bus@4000000', '/soc/rtc@101000', '/soc/pci@30000000'];

function qemuDtb(args: string[]): Fdt {
  const f = path.join(tmp, `q${Math.random().toString(36).slice(2)}.dtb`);
  execFileSync(QEMU, ['-M', `virt,dumpdtb=${f}`, '-cpu', QEMU_CPU, '-nographic', ...args], { stdio: 'pipe' });
  return parseFdt(fs.readFileSync(f));
}

function stripForCompare(fdt: Fdt): string {
  for (const p of OMITTED) {
    const parent = fdt.root.find(p.slice(0, p.lastIndexOf('/')) || '/')!;
    const i = parent.children.findIndex((c) => c.name === p.slice(p.lastIndexOf('/') + 1));
    if (i >= 0) parent.children.splice(i, 1);
  }
  fdt.root.find('/chosen')?.removeProp('rng-seed');
  return dtcDecompile(writeFdt(fdt));
}

describe.skipIf(!haveTools)('virt FDT vs QEMU 7.2', () => {
  test.each([
    [1, 128],
    [2, 256],
    [4, 1024],
    [8, 4096],
  ])('smp %i, %i MiB: same nodes, properties, values and phandles', (smp, mib) => {
    const ours = createVirtFdt({ smp, ramSize: mib * 2 ** 20, rngSeed: null });
    const theirs = qemuDtb(['-smp', String(smp), '-m', `${mib}M`]);
    // QEMU has exactly the nodes we leave out, no others.
    for (const p of OMITTED) expect(theirs.root.find(p), p).toBeDefined();
    expect(dtcDecompile(writeFdt(ours))).toBe(stripForCompare(theirs));
  });

  test('with -kernel, -initrd and -append: /chosen matches (bootargs, initrd placement)', () => {
    const initrd = path.join(tmp, 'initrd.img');
    fs.writeFileSync(initrd, Buffer.alloc(100_000, 7));
    const append = 'console=ttyS0 root=/dev/ram rdinit=/init';
    const dump = path.join(tmp, 'ours.dtb');
    buildVirtMachine(
      { ramSize: 256 * 2 ** 20, smp: 2, bios: 'default', kernel: DEFAULT_GUEST, initrd, append, dumpDtb: dump, serial: new MemoryCharBackend(), onShutdown: () => {}, rngSeed: null },
      (o) => new FakeHart(o.hartId, o.as),
    );
    const ours = parseFdt(fs.readFileSync(dump));
    const theirs = qemuDtb(['-smp', '2', '-m', '256M', '-kernel', DEFAULT_GUEST, '-initrd', initrd, '-append', append]);
    const chosen = ours.root.find('/chosen')!;
    expect(readCells(chosen.getProp('linux,initrd-start')!)).toEqual([0x88200000]);
    expect(readCells(chosen.getProp('linux,initrd-end')!)).toEqual([0x88200000 + 100_000]);
    expect(dtcDecompile(writeFdt(ours))).toBe(stripForCompare(theirs));
  });
});
