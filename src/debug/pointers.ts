/**
 * From a pointer-shaped id back to the object (what gdb does when you `print *(VirtQueue *)0x...`):
 * tracepoints print `void *` arguments as ids (src/trace/ptr.ts, 0xKK00NNNN with KK the kind), so a
 * stop at a tracepoint can offer `$member`, `$container`, `$vdev` as the live objects. The object is
 * found by walking what the state tree can reach for that kind (devices, their virtqueues and
 * notifiers, drives, nodes, the thread's contexts — the main loop's, or an iothread's — their
 * handlers, bottom halves and pools).
 *
 * Contract: the emulator thread, or an iothread's debug agent with its own tree and context (ids
 * are numbered per thread: each thread resolves its own). Returns undefined for ids of objects
 * the tree cannot reach (a virtqueue element in flight) or of another thread's numbering.
 */
import { PtrKind } from '../trace/ptr';
import { bdrv_all_states } from '../block/block';
import { qemu_get_aio_context, iohandler_get_aio_context } from '../util/main-loop';
import type { AioContext } from '../util/aio-context';
import { addressOf } from './values';
import type { StateTree } from './tree';
import { quietly } from './taps';

/** The main loop's contexts (emulator thread). */
function mainLoopContexts(): AioContext[] {
  return [qemu_get_aio_context(), iohandler_get_aio_context()];
}

function withDriveContexts(roots: AioContext[]): AioContext[] {
  const list = [...roots];
  for (const bs of bdrv_all_states()) if (!list.includes(bs.aio_context)) list.push(bs.aio_context);
  return list;
}

function candidates(tree: StateTree, kind: number, roots: () => AioContext[]): object[] {
  const contexts = () => withDriveContexts(roots());
  const vdevs = tree.devices().map((d) => d.vdev as { vq?: Array<Record<string, unknown>> });
  const vqs = vdevs.flatMap((v) => v.vq ?? []);
  switch (kind) {
    case PtrKind.vdev:
      return vdevs;
    case PtrKind.vq:
      return vqs;
    case PtrKind.notifier: {
      const out: object[] = [];
      for (const vq of vqs) for (const k of ['host_notifier', 'guest_notifier']) if (vq[k]) out.push(vq[k] as object);
      for (const c of contexts()) out.push(c.notifier, ...c.aio_handlers.flatMap((h) => (h.notifier ? [h.notifier] : [])));
      return out;
    }
    case PtrKind.blk:
      return tree.drives();
    case PtrKind.bs:
      return [...bdrv_all_states()];
    case PtrKind.pool:
      return contexts().flatMap((c) => (c.thread_pool ? [c.thread_pool] : []));
    case PtrKind.ctx:
      return contexts();
    case PtrKind.handler:
      return contexts().flatMap((c) => c.aio_handlers);
    case PtrKind.bh:
      return contexts().flatMap((c) => c.bh_list);
    default:
      return [];
  }
}

/**
 * The object whose pointer-shaped id is `value`, if the tree reaches it. `roots`: this thread's
 * own contexts (an iothread's agent passes its context; the main loop's must not be created there).
 */
export function objectAt(tree: StateTree, value: number | bigint, roots: () => AioContext[] = mainLoopContexts): object | undefined {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) return undefined;
  const kind = Math.floor(n / 0x1000000);
  return quietly(() => candidates(tree, kind, roots).find((o) => addressOf(o) === n));
}
