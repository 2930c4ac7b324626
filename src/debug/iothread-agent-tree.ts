/**
 * The debug agent's state tree in an iothread (iothread-agent.ts): the console's StateTree over
 * this thread's heap, where a dataplane device's drive and its iothread-side VirtIOBlock live.
 *
 *   devices()          this thread's virtio-blk devices, with the QOM paths the console names them
 *                      by (the command line's -device, in its order). A device is found through the
 *                      host notifiers registered in this thread's AioContext
 *                      (container_of(n, VirtQueue, host_notifier).vdev) once the guest started it
 *                      (DRIVER_OK), and remembered from then on (also after a reset stops it)
 *   contexts()         the AioContexts `void *` ids of this thread can name (pointers.ts)
 *   encode(v)          a value as it crosses to the console (AgentValue): a primitive as itself,
 *                      an object as a handle; `$:HANDLE` is that object in this tree, so the console
 *                      reads its members live (resolve '$:7.vdev.blk.name')
 *   format / ptype / members (handle)   print, ptype and completion of a handle's object
 *
 * Contract: iothread only. Reads are quiet (no read watchpoint fires). Handles are never reused,
 * and the object behind one stays reachable (the console may keep it in its value history);
 * `object()` of an unknown handle throws.
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { AioContext } from '../util/aio-context';
import { containerOfDescribe } from '../util/container-of';
import type { AgentValue } from './agent-shared';
import { quietly } from './taps';
import { StateTree } from './tree';
import { formatValue, ptypeText, typeName } from './values';

interface Device {
  path: string;
  id: string | undefined;
  vdev: object;
  drive: string;
}

export class AgentTree extends StateTree {
  /** Devices seen so far, by drive id. */
  private readonly found = new Map<string, object>();
  private readonly handles = new WeakMap<object, number>();
  private nextHandle = 1;

  constructor(
    options: MachineOptions,
    private readonly ctx: AioContext,
    /** The command line's -devices of this thread's drives, with their QOM paths. */
    private readonly paths: ReadonlyArray<{ drive: string; id?: string; path: string }>,
  ) {
    super(() => null, options);
  }

  override devices(): Device[] {
    this.discover();
    const out: Device[] = [];
    for (const p of this.paths) {
      const vdev = this.found.get(p.drive);
      if (vdev !== undefined) out.push({ path: p.path, id: p.id, vdev, drive: p.drive });
    }
    return out;
  }

  override deviceOf(blk: { name: string }): { path: string; vdev: object } | undefined {
    return this.devices().find((d) => d.drive === blk.name);
  }

  /** The QOM path of the device drive `id` is attached to, by the command line. */
  pathOf(id: string): string | undefined {
    return this.paths.find((p) => p.drive === id)?.path;
  }

  contexts(): AioContext[] {
    return [this.ctx];
  }

  /** Remember the devices whose virtqueues' host notifiers this thread's context polls. */
  private discover(): void {
    for (const h of this.ctx.aio_handlers) {
      const n = h.deleted ? null : h.notifier;
      const e = n === null ? undefined : containerOfDescribe(n);
      if (e === undefined || e.containerType !== 'VirtQueue' || e.field !== 'host_notifier') continue;
      const vdev = (e.container as { vdev?: { blk?: { name?: unknown } } }).vdev;
      const drive = vdev?.blk?.name;
      if (vdev !== undefined && typeof drive === 'string' && !this.found.has(drive)) this.found.set(drive, vdev);
    }
  }

  /** The handle of `o` (the same object always gets the same one). */
  handleOf(o: object): number {
    let h = this.handles.get(o);
    if (h === undefined) {
      h = this.nextHandle++;
      this.handles.set(o, h);
      this.env.vars.set(`$:${h}`, o);
    }
    return h;
  }

  object(handle: number): object {
    const o = this.env.vars.get(`$:${handle}`);
    if (o === null || typeof o !== 'object') throw new Error(`no object with handle ${handle} in this iothread`);
    return o;
  }

  encode(v: unknown): AgentValue {
    if (v === null) return { ok: true, kind: 'null', value: null };
    switch (typeof v) {
      case 'number':
      case 'string':
      case 'boolean':
        return { ok: true, kind: typeof v as 'number', value: v };
      case 'undefined':
        return { ok: true, kind: 'undefined', value: null };
      case 'bigint':
        return { ok: true, kind: 'bigint', value: v.toString() };
      case 'object':
      case 'function':
        return { ok: true, kind: 'object', handle: this.handleOf(v), type: quietly(() => typeName(v)) };
      default:
        return { ok: true, kind: 'string', value: String(v) };
    }
  }

  /** `path` resolved here, encoded. */
  resolveValue(path: string): AgentValue {
    const r = this.resolve(path);
    return r.ok ? this.encode(r.value) : { ok: false, error: r.error, pending: r.pending };
  }

  format(handle: number): string {
    return quietly(() => formatValue(this.object(handle), {}, 0));
  }

  ptype(handle: number): string {
    return quietly(() => ptypeText(this.object(handle)));
  }

  /** Member names of the handle's object that start with `word` (tab completion). */
  members(handle: number, word: string): string[] {
    const head = `$:${handle}.`;
    return this.complete(head + word).map((s) => s.slice(head.length));
  }
}
