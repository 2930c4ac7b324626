/**
 * The emulator-state tree: every object the console can name, by a QOM-like path or a short form.
 *
 *   /machine                              the virt board (its fields: harts, plic, uart, ...)
 *   /machine/soc0/harts[N]                the harts (QEMU's riscv.hart_array "soc0")
 *   /machine/unattached/device[N]         board devices: aclint, plic, serial, sifive_test, virtio-mmio x8
 *   /machine/peripheral/ID                -device ...,id=ID
 *   /machine/peripheral-anon/device[N]    -device without id= (QEMU's numbering, in -device order)
 *   /objects/ID                           -object iothread,id=ID
 *   /block/ID                             drive ID's BlockBackend (QEMU has no QOM path for it)
 *   /nodes/NODE-NAME                      a block node (BlockDriverState), e.g. /nodes/#block123
 *   /aio/main, /aio/iohandler             the main loop's AioContexts; /aio/main/thread_pool its pool
 *   $NAME                                 a convenience variable (set by a stop: $member, $fd ...)
 *
 * Short forms: a first word that is a drive id, device id, node name, iothread id, AioContext name
 * or `machine`. Members are reached with `.`, `->` or `/`, elements with `[N]`; a member an object
 * does not have is looked up where QEMU's C would find it one pointer further:
 *   BlockBackend → its root node (blk->root->bs)   BdrvChild → its node (c->bs)
 *   BlockDriverState → its driver state (bs->opaque)  virtio-mmio transport → its device
 * so `hd0.file.fd` = drive hd0's root node → `file` child → that node's BDRVRawState.fd. Extra
 * members: BlockBackend `dev` (the device it is attached to), `stats` (its accounting). The `blk`
 * of a device served in an iothread (dataplane) is that iothread's BlockBackend, as `hd0` is.
 *
 * A drive that is being opened (after `run`, before its BlockBackend exists) resolves
 * provisionally: `ID` is the format node over the -drive's file, `ID.file` its protocol node, among
 * the nodes whose driver open is in progress (lifecycle.ts) or open.
 *
 * Contract: emulator thread. `resolve` never throws for a path that does not exist: it returns
 * {ok:false} with gdb's message and whether the object may still appear (pending). Every member
 * read is recorded as a Step (holder, key) so watchpoints can tap the whole chain.
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { VirtMachine } from '../machine/virt/virt';
import type { BlockDriverState } from '../block/block-int';
import { BlockBackend } from '../block/block-backend';
import { bdrv_all_states } from '../block/block';
import { iothreadList } from '../util/iothread';
import { DataPlaneDrive } from '../hw/block/dataplane/virtio-blk';
import { setTypeHint, typeName } from './values';
import { quietly } from './taps';
import { Objects, OpeningDrive, QomContainer } from './qom';
import { tokenize, type Tok } from './path-syntax';

export { QomContainer, tokenize };

/** One member read on the way to a value: what a watchpoint taps. */
export interface Step {
  holder: object;
  key: string | number;
}

export type Resolution =
  | { ok: true; value: unknown; steps: Step[]; /** the value is holder[key] of the last step */ direct: boolean }
  | {
      ok: false;
      error: string;
      /** the path may resolve later (an object not created yet) */
      pending: boolean;
      /** The members read before the path broke: a pending watchpoint taps them to learn when it may resolve. */
      steps?: Step[];
    };

export interface TreeEnv {
  /** Convenience variables of the current stop ($member, $fd, ...) and $N value history. */
  vars: Map<string, unknown>;
}

export class StateTree {
  readonly objects: Objects;
  readonly root: QomContainer;
  /**
   * Paths whose first word names state of another thread (a drive in an iothread): resolved
   * there (remote-state.ts). Undefined when that thread does not own `first`.
   */
  remote: ((first: string, path: string) => Resolution | undefined) | null = null;
  constructor(
    machine: () => VirtMachine | null,
    readonly options: MachineOptions,
    readonly env: TreeEnv = { vars: new Map() },
  ) {
    this.objects = new Objects(machine, options);
    this.root = this.objects.root;
  }

  /** The drives (BlockBackends) that exist now, in -drive order. */
  drives(): BlockBackend[] {
    return this.objects.drives();
  }

  /** The virtio devices with their QOM paths, in -device order. */
  devices(): Array<{ path: string; id: string | undefined; vdev: object; drive: string }> {
    return this.objects.devices();
  }

  /** The device a BlockBackend is attached to, and its QOM path. */
  deviceOf(blk: BlockBackend): { path: string; vdev: object } | undefined {
    return this.objects.deviceOf(blk);
  }

  /** Resolve a path (see the header). Reads are quiet: no read watchpoint fires. */
  resolve(path: string): Resolution {
    return quietly(() => {
      const steps: Step[] = [];
      const r = this.resolveLoud(path, steps);
      return r.ok ? r : { ...r, steps };
    });
  }

  private resolveLoud(path: string, steps: Step[]): Resolution {
    let toks: Tok[];
    try {
      toks = tokenize(path);
    } catch (e) {
      return { ok: false, error: (e as Error).message, pending: false };
    }
    if (toks.length === 0 || toks[0].t !== 'name') return { ok: false, error: `A syntax error in expression, near \`${path}'.`, pending: false };
    let value: unknown;
    let i: number;
    const first = toks[0];
    if (first.sep === '/' || first.s === '') {
      // Absolute: /machine/..., /nodes/..., ...
      value = this.root;
      i = first.s === '' ? 1 : 0;
    } else if (first.s.startsWith('$')) {
      if (!this.env.vars.has(first.s)) return { ok: false, error: `No symbol "${first.s}" in current context.`, pending: false };
      value = this.env.vars.get(first.s);
      i = 1;
    } else {
      // Greedy: node names and ids may contain '.'.
      let found = -1;
      for (let n = toks.length; n >= 1; n--) {
        const words = toks.slice(0, n);
        if (words.some((w, k) => w.t !== 'name' || (k > 0 && w.sep !== '.'))) continue;
        const v = this.objects.shortForm(words.map((w) => (w as { s: string }).s).join('.'));
        if (v !== undefined) {
          value = v;
          found = n;
          break;
        }
      }
      if (found < 0 && this.remote !== null) {
        const rr = this.remote(first.s, path);
        if (rr !== undefined) return rr;
      }
      if (found < 0) return { ok: false, error: `No symbol "${first.s}" in current context.`, pending: this.objects.mayAppear(first.s) };
      i = found;
    }
    let direct = false;
    let shown = toks.slice(0, i).map((t) => (t.t === 'name' ? t.s : `[${t.s}]`)).join('.') || '/';
    for (; i < toks.length; i++) {
      const tok = toks[i];
      if (value === null || value === undefined) {
        return { ok: false, error: `Cannot access memory at address 0x0 (${shown} is ${value === null ? 'NULL' : 'not set'})`, pending: true };
      }
      if (typeof value !== 'object' && typeof value !== 'function') {
        return { ok: false, error: `Attempt to extract a component of a value that is not a structure${tok.t === 'name' ? '' : ' or array'}.`, pending: false };
      }
      const o = value as object;
      if (tok.t === 'index') {
        const r = this.index(o, tok.s);
        if (!r.ok) return r;
        if (r.step !== null) steps.push(r.step);
        direct = r.step !== null;
        value = r.value;
        shown += `[${tok.s}]`;
        continue;
      }
      // QOM literal child names like device[0]: the next token is part of the name.
      if (o instanceof QomContainer) {
        const next = toks[i + 1];
        let child: unknown;
        if (next?.t === 'index' && (child = o.child(`${tok.s}[${next.s}]`)) !== undefined) {
          value = child;
          shown += `/${tok.s}[${next.s}]`;
          i++;
          direct = false;
          continue;
        }
        child = o.child(tok.s);
        if (child === undefined) return { ok: false, error: `No object at ${o.path === '/' ? '' : o.path}/${tok.s}`, pending: o.path !== '/' || this.objects.mayAppear(tok.s) };
        value = child;
        shown += `/${tok.s}`;
        direct = false;
        continue;
      }
      const r = this.member(o, tok.s, steps);
      if (!r.ok) return r;
      value = r.value;
      direct = r.direct;
      shown += `.${tok.s}`;
    }
    return { ok: true, value, steps, direct };
  }

  private index(o: object, key: string): { ok: true; value: unknown; step: Step | null } | { ok: false; error: string; pending: boolean } {
    if (o instanceof Map) {
      const k = o.has(key) ? key : /^\d+$/.test(key) && o.has(Number(key)) ? Number(key) : undefined;
      if (k === undefined) return { ok: false, error: `No element [${key}] in this map.`, pending: true };
      return { ok: true, value: o.get(k), step: null };
    }
    if (!/^\d+$/.test(key)) return { ok: false, error: `A syntax error in expression, near \`${key}]'.`, pending: false };
    const n = Number(key);
    const len = (o as { length?: unknown }).length;
    if (typeof len !== 'number') return { ok: false, error: 'cannot subscript something that is not an array', pending: false };
    if (n >= len) return { ok: false, error: `no element ${n}: the array has ${len}`, pending: true };
    const tappable = Array.isArray(o);
    return { ok: true, value: (o as Record<number, unknown>)[n], step: tappable ? { holder: o, key: n } : null };
  }

  /** Read member `name` of `o`, delegating as the header says. */
  private member(o: object, name: string, steps: Step[]): { ok: true; value: unknown; direct: boolean } | { ok: false; error: string; pending: boolean } {
    const read = (holder: object, key: string): unknown => {
      const own = Object.getOwnPropertyDescriptor(holder, key);
      steps.push({ holder, key });
      const v = (holder as Record<string, unknown>)[key];
      if (own === undefined) steps.pop(); // inherited getter: computed, not tappable
      return v;
    };
    if (o instanceof OpeningDrive) {
      const node = name === 'file' ? o.protocol : o.format;
      if (node === undefined) return { ok: false, error: `drive ${o.id} has no ${name} node yet`, pending: true };
      if (name === 'file') return { ok: true, value: node, direct: false };
      return this.member(node, name, steps);
    }
    if (o instanceof BlockBackend) {
      if (name === 'dev') {
        const d = this.deviceOf(o);
        return d === undefined ? { ok: false, error: `drive ${o.name} is not attached to a device`, pending: true } : { ok: true, value: d.vdev, direct: false };
      }
    }
    if (name === 'blk' && this.remote !== null) {
      // A dataplane device's emulator-side half holds a stand-in (facts, no I/O): its real
      // BlockBackend lives in the iothread, as `hd0` resolves there. QEMU's vdev->blk is that one.
      const d = (o as { blk?: unknown }).blk;
      if (d instanceof DataPlaneDrive) {
        const r = this.remote(d.drive, d.drive);
        if (r !== undefined && r.ok) return { ok: true, value: r.value, direct: false };
      }
    }
    if (name in o) {
      const v = read(o, name);
      if (typeName(o) === 'BlockDriverState' && name === 'opaque' && v !== null && typeof v === 'object') hintDriverState(o as BlockDriverState);
      return { ok: true, value: v, direct: Object.getOwnPropertyDescriptor(o, name) !== undefined };
    }
    const inner = this.delegate(o);
    if (inner !== undefined) {
      const v = read(o, inner);
      if (v === null || v === undefined) return { ok: false, error: `Cannot access memory at address 0x0 (${inner} is ${v === null ? 'NULL' : 'not set'})`, pending: true };
      if (typeof v !== 'object') return { ok: false, error: `There is no member named ${name}.`, pending: false };
      if (inner === 'opaque') hintDriverState(o as BlockDriverState);
      return this.member(v, name, steps);
    }
    return { ok: false, error: `There is no member named ${name}.`, pending: false };
  }

  /** The pointer a missing member is looked up through (see the header), or undefined. */
  private delegate(o: object): string | undefined {
    switch (typeName(o)) {
      case 'BlockBackend':
        return 'root';
      case 'BdrvChild':
        return 'bs';
      case 'BlockDriverState':
        return 'opaque';
      case 'VirtIOMMIOProxy':
        return 'vdev';
      default:
        return undefined;
    }
  }

  /** Names to complete after `prefix` (the console's tab completion). */
  complete(prefix: string): string[] {
    return quietly(() => {
      const cut = Math.max(prefix.lastIndexOf('.'), prefix.lastIndexOf('/'), prefix.lastIndexOf('>'));
      if (cut < 0) {
        const names = ['machine', ...this.options.drives.map((d) => d.id), ...this.devices().flatMap((d) => (d.id ? [d.id] : []))];
        names.push(...bdrv_all_states().map((b) => b.node_name), ...iothreadList().map((t) => t.id), 'main', 'iohandler', ...this.env.vars.keys());
        return [...new Set(names)].filter((n) => n.startsWith(prefix)).sort();
      }
      const base = prefix.slice(0, prefix.startsWith('/') && cut === 0 ? 1 : cut + (prefix[cut] === '>' ? -1 : 0));
      const sep = prefix[cut] === '>' ? '->' : prefix[cut];
      const head = prefix.slice(0, cut + 1);
      const word = prefix.slice(cut + 1);
      const r = base === '/' || base === '' ? { ok: true as const, value: this.root } : this.resolve(base);
      if (!r.ok || r.value === null || typeof r.value !== 'object') return [];
      const v = r.value as object;
      let names: string[];
      if (v instanceof QomContainer) names = v.children().map(([n]) => n);
      else {
        names = Object.keys(v);
        const inner = this.delegate(v);
        if (inner !== undefined) {
          const d = (v as Record<string, unknown>)[inner];
          if (d !== null && typeof d === 'object') names.push(...Object.keys(d));
        }
        if (v instanceof BlockBackend) names.push('dev', 'file', 'backing');
      }
      void sep;
      return [...new Set(names)].filter((n) => n.startsWith(word)).sort().map((n) => head + n);
    });
  }
}

/** A node's opaque is its driver's state: name it as QEMU does. */
function hintDriverState(bs: BlockDriverState): void {
  const o = bs.opaque;
  if (o === null || typeof o !== 'object') return;
  const f = bs.drv.format_name;
  setTypeHint(o, f === 'file' || f === 'raw' ? 'BDRVRawState' : f === 'qcow2' ? 'BDRVQcow2State' : `BDRV${f}State`);
}
