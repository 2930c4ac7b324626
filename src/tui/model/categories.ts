/**
 * Event categories: a coarse grouping of tracepoints by the stage of the I/O path (DESIGN.md §1)
 * they belong to, for the event stream's filter (`@block`, `c` cycles) and its colours.
 *
 * Contract: pure; every name maps to exactly one category ('other' for names not known here, so
 * a recording with newer tracepoints still shows them).
 */
export const CATEGORIES = ['vcpu', 'mmio', 'virtio', 'virtio-blk', 'block', 'coroutine', 'pool', 'aio', 'syscall', 'backtrace', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Longest prefix first: `virtio_blk_` before `virtio_`, `aio_co_` before `aio_`. */
const PREFIXES: Array<[string, Category]> = [
  ['vcpu_run_', 'vcpu'],
  ['riscv_trap', 'vcpu'],
  ['memory_region_ops_', 'mmio'],
  ['virtio_mmio_', 'mmio'],
  ['virtio_blk_', 'virtio-blk'],
  ['virtio_', 'virtio'],
  ['virtqueue_', 'virtio'],
  ['blk_', 'block'],
  ['bdrv_', 'block'],
  ['file_paio_', 'block'],
  ['aio_co_', 'coroutine'],
  ['coroutine_', 'coroutine'],
  ['qemu_coroutine_', 'coroutine'],
  ['qemu_aio_coroutine_', 'coroutine'],
  ['thread_pool_', 'pool'],
  ['worker_thread_', 'pool'],
  ['aio_', 'aio'],
  ['main_loop_', 'aio'],
  ['event_notifier_', 'aio'],
  ['timer_', 'aio'],
  ['container_of', 'aio'],
  ['syscall_', 'syscall'],
  ['backtrace_', 'backtrace'],
];

const cache = new Map<string, Category>();

export function categoryOf(name: string): Category {
  let c = cache.get(name);
  if (c === undefined) {
    c = PREFIXES.find(([p]) => name.startsWith(p))?.[1] ?? 'other';
    cache.set(name, c);
  }
  return c;
}

export function isCategory(s: string): s is Category {
  return (CATEGORIES as readonly string[]).includes(s);
}
