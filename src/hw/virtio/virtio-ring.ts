/**
 * The split virtqueue's three areas in guest RAM (virtio 1.2 §2.7; QEMU hw/virtio/virtio.c's
 * vring_* accessors):
 *
 *   descriptor table  num × { le64 addr; le32 len; le16 flags; le16 next }
 *   driver area       { le16 flags; le16 idx; le16 ring[num]; le16 used_event }   ("avail")
 *   device area       { le16 flags; le16 idx; { le32 id; le32 len } ring[num]; le16 avail_event } ("used")
 *
 * Addresses are guest physical (plain numbers). `vring_map_check` verifies, when the driver
 * enables a queue, that all three areas lie in RAM (QEMU's virtio_init_region_cache); after that
 * every accessor here reads or writes RAM directly through the GuestRam DataView (little-endian:
 * virtio 1.x rings are LE, and legacy rings are guest-endian, which is LE on RISC-V).
 *
 * Contract: emulator thread; `vring` must have passed vring_map_check (callers test `desc !== 0`).
 */
import type { GuestRam } from '../../system/memory';
import { VRING_DESC_SIZE, VRING_USED_ELEM_SIZE } from './virtio-constants';

export class VRing {
  /** Entries (QueueNum); 0 = queue does not exist. */
  num = 0;
  /** The size the device created the queue with (reset restores it). */
  num_default = 0;
  /** Legacy layout alignment of the used ring (QueueAlign). */
  align = 0;
  /** Guest physical addresses; 0 = not set (the queue is not usable). */
  desc = 0;
  avail = 0;
  used = 0;
}

/** One descriptor as read from a table (reused by the walker: no allocation per descriptor). */
export class VRingDesc {
  addr = 0;
  len = 0;
  flags = 0;
  next = 0;
}

/** Bytes of the driver area including used_event. */
export function vring_avail_size(num: number): number {
  return 4 + 2 * num + 2;
}

/** Bytes of the device area including avail_event. */
export function vring_used_size(num: number): number {
  return 4 + VRING_USED_ELEM_SIZE * num + 2;
}

/**
 * Legacy layout (virtio_queue_update_rings): avail right after the table, used at the next
 * `align` boundary after avail's ring (QEMU uses offsetof(VRingAvail, ring[num])).
 */
export function vring_legacy_layout(vring: VRing): void {
  if (vring.num === 0 || vring.desc === 0) {
    vring.avail = 0;
    vring.used = 0;
    return;
  }
  vring.avail = vring.desc + vring.num * VRING_DESC_SIZE;
  const end = vring.avail + 4 + 2 * vring.num;
  const align = vring.align > 0 ? vring.align : 1;
  vring.used = Math.ceil(end / align) * align;
}

/**
 * QEMU's virtio_init_region_cache: all three areas must be guest RAM. Returns null when they
 * are, else the name of the first area that is not ("desc", "avail", "used").
 */
export function vring_map_check(ram: GuestRam, vring: VRing): string | null {
  if (!ram.contains(vring.desc, vring.num * VRING_DESC_SIZE)) return 'desc';
  if (!ram.contains(vring.avail, vring_avail_size(vring.num))) return 'avail';
  if (!ram.contains(vring.used, vring_used_size(vring.num))) return 'used';
  return null;
}

/**
 * Read descriptor `i` of the table at `table` (guest physical) into `out`. The caller has checked
 * that entry i lies in RAM (the ring's table was mapped whole; an indirect table is checked
 * before its walk).
 */
export function vring_split_desc_read(ram: GuestRam, table: number, i: number, out: VRingDesc): void {
  const off = table - ram.base + i * VRING_DESC_SIZE;
  const v = ram.view;
  out.addr = v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000;
  out.len = v.getUint32(off + 8, true);
  out.flags = v.getUint16(off + 12, true);
  out.next = v.getUint16(off + 14, true);
}

export function vring_avail_flags(ram: GuestRam, vring: VRing): number {
  return ram.view.getUint16(vring.avail - ram.base, true);
}

export function vring_avail_idx(ram: GuestRam, vring: VRing): number {
  return ram.view.getUint16(vring.avail - ram.base + 2, true);
}

export function vring_avail_ring(ram: GuestRam, vring: VRing, i: number): number {
  return ram.view.getUint16(vring.avail - ram.base + 4 + 2 * i, true);
}

/** used_event: the driver's "interrupt me when used idx passes this" (EVENT_IDX). */
export function vring_get_used_event(ram: GuestRam, vring: VRing): number {
  return vring_avail_ring(ram, vring, vring.num);
}

export function vring_used_write(ram: GuestRam, vring: VRing, i: number, id: number, len: number): void {
  const off = vring.used - ram.base + 4 + VRING_USED_ELEM_SIZE * i;
  ram.view.setUint32(off, id >>> 0, true);
  ram.view.setUint32(off + 4, len >>> 0, true);
}

export function vring_used_idx(ram: GuestRam, vring: VRing): number {
  return ram.view.getUint16(vring.used - ram.base + 2, true);
}

export function vring_used_idx_set(ram: GuestRam, vring: VRing, val: number): void {
  ram.view.setUint16(vring.used - ram.base + 2, val & 0xffff, true);
}

export function vring_used_flags_set_bit(ram: GuestRam, vring: VRing, mask: number): void {
  const off = vring.used - ram.base;
  ram.view.setUint16(off, ram.view.getUint16(off, true) | mask, true);
}

export function vring_used_flags_unset_bit(ram: GuestRam, vring: VRing, mask: number): void {
  const off = vring.used - ram.base;
  ram.view.setUint16(off, ram.view.getUint16(off, true) & ~mask, true);
}

/** avail_event: "notify me when avail idx passes this" (EVENT_IDX). */
export function vring_set_avail_event(ram: GuestRam, vring: VRing, val: number): void {
  ram.view.setUint16(vring.used - ram.base + 4 + VRING_USED_ELEM_SIZE * vring.num, val & 0xffff, true);
}

/**
 * vring_need_event (virtio 1.2 §2.7.10): with event index `event`, does moving the index from
 * `old` to `new_idx` cross it? All arithmetic mod 2^16.
 */
export function vring_need_event(event: number, new_idx: number, old: number): boolean {
  return ((new_idx - event - 1) & 0xffff) < ((new_idx - old) & 0xffff);
}
