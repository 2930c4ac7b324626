/**
 * Where the state tree's objects live: the QOM-like containers (/machine/..., /objects, /block,
 * /nodes, /aio), the devices of the command line with their QOM paths, the drives, and the short
 * forms a first path word may be (see tree.ts for the paths themselves). A drive being opened —
 * after `run`, before its BlockBackend exists — is an OpeningDrive: its format node over the
 * -drive's file and its protocol node, among the nodes whose driver open is in progress or done.
 *
 * Contract: emulator thread; lookups read live objects and never throw.
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { VirtMachine } from '../machine/virt/virt';
import type { BlockDriverState } from '../block/block-int';
import { BlockBackend } from '../block/block-backend';
import { blk_by_name } from '../block/blockdev';
import { bdrv_all_states, bdrv_find_node } from '../block/block';
import { qemu_get_aio_context, iohandler_get_aio_context } from '../util/main-loop';
import { iothreadList } from '../util/iothread';
import { openingNodes } from './lifecycle';

/** A QOM container or a vtrace namespace: named children, no state of its own. */
export class QomContainer {
  constructor(
    readonly path: string,
    private readonly list: () => Array<[string, unknown]>,
  ) {}
  children(): Array<[string, unknown]> {
    return this.list();
  }
  child(name: string): unknown {
    return this.list().find(([n]) => n === name)?.[1];
  }
}

/** A drive being opened, before its BlockBackend exists. */
export class OpeningDrive {
  constructor(
    readonly id: string,
    readonly nodes: BlockDriverState[],
  ) {}
  get protocol(): BlockDriverState | undefined {
    return this.nodes.find((n) => n.drv.kind === 'protocol');
  }
  get format(): BlockDriverState | undefined {
    return this.nodes.find((n) => n.drv.kind !== 'protocol') ?? this.protocol;
  }
}

/** The objects of one machine and command line, by QOM path and short form. */
export class Objects {
  readonly root: QomContainer;
  constructor(
    private readonly machine: () => VirtMachine | null,
    readonly options: MachineOptions,
  ) {
    this.root = new QomContainer('/', () => [
      ['machine', this.machineContainer()],
      ['objects', new QomContainer('/objects', () => iothreadList().map((t) => [t.id, t]))],
      ['block', new QomContainer('/block', () => this.drives().map((b) => [b.name, b]))],
      ['nodes', new QomContainer('/nodes', () => bdrv_all_states().map((bs) => [bs.node_name, bs]))],
      ['aio', new QomContainer('/aio', () => [['main', qemu_get_aio_context()], ['iohandler', iohandler_get_aio_context()]])],
    ]);
  }

  /** The drives (BlockBackends) that exist now, in -drive order. */
  drives(): BlockBackend[] {
    return this.options.drives.map((d) => blk_by_name(d.id)).filter((b): b is BlockBackend => b !== null);
  }

  /** The virtio devices with their QOM paths, in -device order. */
  devices(): Array<{ path: string; id: string | undefined; vdev: object; drive: string }> {
    const m = this.machine();
    if (m === null) return [];
    const out: Array<{ path: string; id: string | undefined; vdev: object; drive: string }> = [];
    let anon = 0;
    this.options.devices.forEach((d, i) => {
      const vdev = m.virtioProxies[m.virtioProxies.length - 1 - i]?.vdev;
      const path = d.id !== undefined ? `/machine/peripheral/${d.id}` : `/machine/peripheral-anon/device[${anon++}]`;
      if (vdev) out.push({ path, id: d.id, vdev, drive: d.drive });
    });
    return out;
  }

  /** /machine/unattached's board devices, in creation order. */
  boardDevices(): Array<[string, object]> {
    const m = this.machine();
    if (m === null) return [];
    const list: object[] = [m.clint, m.plic, m.uart, m.test, ...m.virtioProxies];
    return list.map((d, i) => [`device[${i}]`, d]);
  }

  private machineContainer(): unknown {
    const m = this.machine();
    if (m === null) return undefined;
    return new QomContainer('/machine', () => [
      ['soc0', new QomContainer('/machine/soc0', () => m.harts.map((h, i) => [`harts[${i}]`, h]))],
      ['unattached', new QomContainer('/machine/unattached', () => this.boardDevices())],
      ['peripheral', new QomContainer('/machine/peripheral', () => this.devices().filter((d) => d.id !== undefined).map((d) => [d.id!, d.vdev]))],
      [
        'peripheral-anon',
        new QomContainer('/machine/peripheral-anon', () => this.devices().filter((d) => d.id === undefined).map((d) => [d.path.slice('/machine/peripheral-anon/'.length), d.vdev])),
      ],
    ]);
  }

  /** A drive being opened (provisional), when its BlockBackend does not exist yet. */
  openingDrive(id: string): OpeningDrive | BlockBackend | undefined {
    const d = this.options.drives.find((x) => x.id === id);
    if (d === undefined) return undefined;
    const nodes = [...openingNodes(), ...bdrv_all_states()].filter((bs) => bs.filename === d.file);
    // Attached but not yet registered by blockdevOpen: the backend is already the drive.
    for (const bs of nodes) {
      for (const c of bs.parents) if (c.parent instanceof BlockBackend && c.parent.name === id && c.parent.root !== null) return c.parent;
    }
    return nodes.length > 0 ? new OpeningDrive(id, nodes) : undefined;
  }

  /** Short-form first words, in lookup order. */
  shortForm(name: string): unknown {
    if (name === 'machine') return this.machine() ?? undefined;
    const blk = blk_by_name(name);
    if (blk !== null) return blk;
    const opening = this.openingDrive(name);
    if (opening !== undefined) return opening;
    const dev = this.devices().find((d) => d.id === name);
    if (dev !== undefined) return dev.vdev;
    const bs = bdrv_find_node(name);
    if (bs !== null) return bs;
    const t = iothreadList().find((x) => x.id === name);
    if (t !== undefined) return t;
    if (name === 'main') return qemu_get_aio_context();
    if (name === 'iohandler') return iohandler_get_aio_context();
    return undefined;
  }

  /** Could `name` name something later (a -drive, -device or -object of the command line)? */
  mayAppear(name: string): boolean {
    const o = this.options;
    return (
      name === 'machine' ||
      o.drives.some((d) => d.id === name || d.nodeName === name) ||
      o.devices.some((d) => d.id === name) ||
      o.iothreads.includes(name) ||
      name.startsWith('#block')
    );
  }

  /** The device a BlockBackend is attached to, and its QOM path. */
  deviceOf(blk: BlockBackend): { path: string; vdev: object } | undefined {
    return this.devices().find((d) => d.drive === blk.name);
  }
}
