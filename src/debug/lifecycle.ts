/**
 * Where objects of the block graph appear, for pending watchpoints (`watch hd0.file.fd` before
 * `run`, when drive hd0 does not exist yet). A node becomes visible to the debugger the moment its
 * driver starts opening it — before the driver's open sets its state, so a watchpoint armed then
 * sees raw_open_common assign the fd — by interposing on every registered driver's `bdrv_open`
 * entry (BlockDriver is a table of functions, as QEMU's; open_node calls `drv.bdrv_open(bs, ...)`).
 *
 * Zero cost when unused: the driver table is only wrapped while `want(true)` holds (some watchpoint
 * is pending) and restored to the original functions on `want(false)`. The wrapper is named
 * `bdrv_open_common`, QEMU's caller of drv->bdrv_file_open / drv->bdrv_open, so backtraces read as
 * QEMU's.
 *
 * Contract: emulator thread. `openingNodes()` lists nodes whose driver open is in progress (they
 * are not in bdrv_all_states() yet). Listeners run before the driver's open (phase 'open') and after
 * it returned (phase 'opened', whatever the result); they must not throw.
 */
import type { BlockDriver, BlockDriverState } from '../block/block-int';
import { bdrv_driver_list } from '../block/driver-registry';

export type NodeListener = (bs: BlockDriverState, phase: 'open' | 'opened') => void;

const listeners = new Set<NodeListener>();
const opening = new Set<BlockDriverState>();
const originals = new Map<BlockDriver, BlockDriver['bdrv_open']>();

export function onNodeOpen(l: NodeListener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function openingNodes(): readonly BlockDriverState[] {
  return [...opening];
}

function notify(bs: BlockDriverState, phase: 'open' | 'opened'): void {
  for (const l of [...listeners]) l(bs, phase);
}

function wrap(drv: BlockDriver): void {
  if (originals.has(drv)) return;
  const original = drv.bdrv_open;
  originals.set(drv, original);
  drv.bdrv_open = function bdrv_open_common(bs, options, flags, errp) {
    opening.add(bs);
    notify(bs, 'open');
    try {
      return original.call(drv, bs, options, flags, errp);
    } finally {
      opening.delete(bs);
      notify(bs, 'opened');
    }
  };
}

/** Interpose on the drivers' open while `on` (idempotent); restore them otherwise. */
export function wantNodeOpenEvents(on: boolean): void {
  if (on) {
    for (const drv of bdrv_driver_list()) wrap(drv);
    return;
  }
  for (const [drv, original] of originals) drv.bdrv_open = original;
  originals.clear();
}
