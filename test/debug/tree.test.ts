/**
 * The emulator-state tree (src/debug/tree.ts), values (values.ts), pointer ids (pointers.ts) and
 * the info views (info.ts) on a real machine: the virt board with the default guest's drive and
 * virtio-blk device, as `vtrace run` creates them (nothing runs).
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseQemuArgs } from '../../src/cli/qemu-options';
import { addScratchDisk, resolveRunOptions } from '../../src/cli/run';
import { createMachine } from '../../src/system/machine-setup';
import type { VirtMachine } from '../../src/machine/virt/virt';
import type { MachineOptions } from '../../src/cli/qemu-options';
import { blk_by_name } from '../../src/block/blockdev';
import { rawState } from '../../src/block/file-posix';
import { qemu_get_aio_context, qemu_init_main_loop } from '../../src/util/main-loop';
import { ByteRing } from '../../src/util/byte-ring';
import { StateTree } from '../../src/debug/tree';
import { objectAt } from '../../src/debug/pointers';
import { addressOf, formatValue, ptypeText, typeName } from '../../src/debug/values';
import { examine, infoBlock, infoQtree } from '../../src/debug/info';
import { ptr } from '../../src/trace/ptr';
import { requireFreshDist } from '../util/util-test-helpers';

let options: MachineOptions;
let scratch: string | undefined;
let m: VirtMachine;
let tree: StateTree;

beforeAll(() => {
  requireFreshDist();
  qemu_init_main_loop();
  options = resolveRunOptions(parseQemuArgs([]));
  scratch = addScratchDisk(options);
  const made = createMachine(options, { write: () => {}, warn: () => {}, onShutdown: () => {}, input: new ByteRing(1024) });
  if (made === 'dtb-dumped') throw new Error('unexpected');
  m = made;
  tree = new StateTree(() => m, options);
});
afterAll(() => {
  if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
});

const value = (p: string) => {
  const r = tree.resolve(p);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const error = (p: string) => {
  const r = tree.resolve(p);
  return r.ok ? undefined : { error: r.error, pending: r.pending };
};

describe('the state tree', () => {
  test('QOM paths and short forms name the same objects', () => {
    const blk = blk_by_name('hd0')!;
    const vdev = m.virtioProxies[7].vdev!;
    expect(value('machine')).toBe(m);
    expect(value('/machine/peripheral-anon/device[0]')).toBe(vdev);
    expect(value('/machine/unattached/device[11]')).toBe(m.virtioProxies[7]);
    expect(value('/machine/unattached/device[11].vq[0]')).toBe(vdev.vq[0]); // the transport → its device
    expect(value('/machine/soc0/harts[0]')).toBe(m.harts[0]);
    expect(value('hd0')).toBe(blk);
    expect(value('/block/hd0')).toBe(blk);
    expect(value('hd0.dev')).toBe(vdev);
    expect(value(`/nodes/${blk.root!.bs.node_name}`)).toBe(blk.root!.bs);
    expect(value(blk.root!.bs.node_name)).toBe(blk.root!.bs);
    expect(value('/aio/main')).toBe(qemu_get_aio_context());
    expect(value('main')).toBe(qemu_get_aio_context());
  });

  test("members a struct lacks are found one pointer further, as C's bs->file->bs->opaque->fd", () => {
    const blk = blk_by_name('hd0')!;
    const file = blk.root!.bs.file!;
    expect(value('hd0.file')).toBe(file);
    expect(value('hd0.file.fd')).toBe(rawState(file.bs).fd);
    expect(value('hd0->file->fd')).toBe(rawState(file.bs).fd);
    expect(value('hd0.file.bs.opaque.fd')).toBe(rawState(file.bs).fd);
    expect(value('hd0.node_name')).toBe(blk.root!.bs.node_name);
    expect(value('hd0.dev.vq[0].host_notifier.name')).toBe('hd0.vq0.host_notifier');
    const r = tree.resolve('hd0.file.fd');
    expect(r.ok && r.direct).toBe(true);
    expect(r.ok && r.steps.map((s) => s.key)).toEqual(['root', 'bs', 'file', 'bs', 'opaque', 'fd']);
  });

  test("missing things get gdb's messages, and say whether they may appear", () => {
    expect(error('nosuch')).toEqual({ error: 'No symbol "nosuch" in current context.', pending: false });
    expect(error('hd0.nosuch')).toEqual({ error: 'There is no member named nosuch.', pending: false });
    expect(error('hd0.file.fd.x')).toMatchObject({ error: 'Attempt to extract a component of a value that is not a structure.' });
    expect(error('machine.harts[5]')).toMatchObject({ error: 'no element 5: the array has 1', pending: true });
    expect(error('hd0.file.backing.fd')).toMatchObject({ pending: true });
    expect(error('/machine/peripheral/vblk0')).toMatchObject({ error: 'No object at /machine/peripheral/vblk0' });
    expect(error('$nothing')).toMatchObject({ error: 'No symbol "$nothing" in current context.' });
    expect(error('hd0 .. x')).toMatchObject({ error: expect.stringContaining('syntax error') });
  });

  test('completion of paths', () => {
    expect(tree.complete('hd0.fi')).toContain('hd0.file');
    expect(tree.complete('/machine/pe')).toEqual(['/machine/peripheral', '/machine/peripheral-anon']);
    expect(tree.complete('mach')).toEqual(['machine']);
    expect(tree.complete('hd0.dev.vq[0].host_')).toEqual(['hd0.dev.vq[0].host_notifier', 'hd0.dev.vq[0].host_notifier_enabled']);
  });
});

describe('values and pointers', () => {
  test("print's formats: structs, pointers named by what they point to, gdb's repeats, radix", () => {
    const s = value('hd0.file.bs.opaque') as object;
    expect(typeName(s)).toBe('BDRVRawState');
    expect(formatValue(s)).toMatch(/^\{fd = \d+, open_flags = 2, perm_change_fd = -1, .*bounced = \d+\}$/);
    expect(formatValue(value('hd0.file'))).toMatch(/^\{name = "file", bs = 0x21[0-9a-f]{6} <#block\d+>, role = \d+, perm = \d+, shared_perm = \d+, parent = 0x21[0-9a-f]{6} <#block\d+>\}$/);
    expect(formatValue(new Uint8Array(16))).toBe('{0x0 <repeats 16 times>}');
    expect(formatValue(255, { radix: 'x' })).toBe('0xff');
    expect(formatValue('a"b\n')).toBe('"a\\"b\\n"');
    expect(ptypeText(s)).toMatch(/^type = struct BDRVRawState \{\n    int fd;\n    int open_flags;\n/);
  });

  test('a tracepoint pointer id leads back to the object (what $member and $container are)', () => {
    const vq = value('hd0.dev.vq[0]') as object;
    const n = value('hd0.dev.vq[0].host_notifier') as object;
    expect(addressOf(vq)).toBe(ptr('vq', vq));
    expect(objectAt(tree, ptr('vq', vq))).toBe(vq);
    expect(objectAt(tree, ptr('notifier', n))).toBe(n);
    expect(objectAt(tree, ptr('blk', blk_by_name('hd0')))).toBe(blk_by_name('hd0'));
    expect(objectAt(tree, 0x99000001)).toBeUndefined();
  });
});

describe('info views', () => {
  test('info block and info qtree name the drive and device as QEMU does', () => {
    const blk = blk_by_name('hd0')!;
    expect(infoBlock(tree)).toBe(`hd0 (${blk.root!.bs.node_name}): ${blk.root!.bs.filename} (raw)\n    Attached to:      /machine/peripheral-anon/device[0]\n    Cache mode:       writeback\n`);
    expect(() => infoBlock(tree, 'nope')).toThrow("Device 'nope' not found");
    const q = infoQtree(tree, m).split('\n');
    expect(q.slice(0, 11)).toEqual([
      'bus: main-system-bus',
      '  type System',
      '  dev: virtio-mmio, id ""',
      '    gpio-out "sysbus-irq" 1',
      '    format_transport_address = true',
      '    force-legacy = true',
      '    ioeventfd = true',
      '    mmio 0000000010008000/0000000000000200',
      '    bus: virtio-mmio-bus.7',
      '      type virtio-mmio-bus',
      '      dev: virtio-blk-device, id ""',
    ]);
    expect(q).toContain('        drive = "hd0"');
    expect(q.filter((l) => l === '  dev: virtio-mmio, id ""')).toHaveLength(8);
  });

  test('x examines guest-physical RAM as gdb formats it, and refuses what is not RAM', () => {
    m.as.writePhys(0x80000000, Uint8Array.from([0x97, 0x02, 0x00, 0x00, 0x93, 0x82, 0x02, 0x01]));
    expect(examine(m, '8xb', 0x80000000)).toBe('0x80000000:\t0x97\t0x02\t0x00\t0x00\t0x93\t0x82\t0x02\t0x01\n');
    expect(examine(m, '2xw', 0x80000000)).toBe('0x80000000:\t0x00000297\t0x01028293\n');
    expect(examine(m, '1dh', 0x80000002)).toBe('0x80000002:\t0\n');
    expect(() => examine(m, '4xb', 0x10)).toThrow('Cannot access memory at address 0x10');
    expect(() => examine(m, 'zz', 0x80000000)).toThrow('Invalid number "zz".');
  });
});
