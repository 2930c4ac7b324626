/**
 * `void *` arguments without pointers. QEMU prints object addresses with %p; vtrace prints a stable
 * object id in their place, shaped like an address so logs read the same:
 *
 *   0xKK00NNNN   KK = the kind of object (table below), NNNN = its id (hex)
 *
 * Ids are the object's own where it has one (Coroutine.id, ThreadPoolElement.id, AioContext.id),
 * else a serial assigned on first sight (per kind, per thread; a WeakMap, so objects stay
 * collectable). The same object always prints the same value within a run, and values of different
 * kinds never collide. As in QEMU, virtio-blk's `req` is its VirtQueueElement (a VirtIOBlockReq
 * starts with its element), so virtqueue_pop's elem equals virtio_blk_handle_read's req.
 * The coroutine leader ("not in a coroutine", id 0) prints as 0x40000000, never (nil).
 */
export const PtrKind = {
  vdev: 0x10,
  vq: 0x11,
  elem: 0x12,
  mrb: 0x13,
  notifier: 0x14,
  blk: 0x20,
  bs: 0x21,
  pool: 0x30,
  poolreq: 0x31,
  co: 0x40,
  ctx: 0x41,
  handler: 0x42,
  bh: 0x43,
  timer: 0x44,
  opaque: 0x50,
} as const;
export type PtrKindName = keyof typeof PtrKind;

const serials = new Map<PtrKindName, WeakMap<object, number>>();
const next = new Map<PtrKindName, number>();

/** The id a kind-less object gets: a per-kind serial starting at 1. */
export function objectSerial(kind: PtrKindName, o: object): number {
  let m = serials.get(kind);
  if (m === undefined) serials.set(kind, (m = new WeakMap()));
  let id = m.get(o);
  if (id === undefined) {
    id = next.get(kind) ?? 1;
    next.set(kind, id + 1);
    m.set(o, id);
  }
  return id;
}

/** Pointer-shaped value for a kind and id. */
export function ptrValue(kind: PtrKindName, id: number): number {
  return PtrKind[kind] * 0x1000000 + (id & 0xffffff);
}

/** Pointer-shaped value for an object (serial id); null/undefined → 0, printed (nil). */
export function ptr(kind: PtrKindName, o: object | null | undefined): number {
  return o === null || o === undefined ? 0 : ptrValue(kind, objectSerial(kind, o));
}
