/**
 * The qcow2 driver's per-node state (QEMU block/qcow2.h BDRVQcow2State) and the table-entry
 * encoding shared by the L1/L2 and refcount code (docs/interop/qcow2.txt "Host cluster
 * management", "Cluster mapping").
 *
 * Entries are big-endian u64 in SharedArrayBuffer-backed tables (so a thread-pool worker can write
 * them to the file in place). They are read as two u32 halves: host offsets are below 2^56, so the
 * offset bits 9..55 and the flag bits 62/63 never need BigInt.
 *
 * Contract: the tables and caches are touched only with s.lock held (the metadata lock, QEMU's
 * s->lock), on the node's thread.
 */
import { CoMutex } from '../coroutine-lock';
import type { BlockDriverState } from '../block-int';
import type { QCowHeader } from './qcow2-header';

/** Bit 63 of L1/L2 entries: refcount is exactly 1 (QCOW_OFLAG_COPIED), in the high half. */
export const QCOW_OFLAG_COPIED_HI = 0x80000000;
/** Bit 62 of L2 entries: compressed cluster (QCOW_OFLAG_COMPRESSED), in the high half. */
export const QCOW_OFLAG_COMPRESSED_HI = 0x40000000;
/** Bit 0 of L2 entries (v3): the cluster reads as zeroes (QCOW_OFLAG_ZERO), in the low half. */
export const QCOW_OFLAG_ZERO_LO = 0x1;

/** QEMU's QCow2ClusterType. */
export enum QCow2ClusterType {
  UNALLOCATED = 'unallocated',
  ZERO_PLAIN = 'zero-plain',
  ZERO_ALLOC = 'zero-alloc',
  NORMAL = 'normal',
  COMPRESSED = 'compressed',
}

/** Most tables kept in each cache (write-through, so eviction never writes). */
export const QCOW2_CACHE_MAX = 256;

export interface BDRVQcow2State {
  header: QCowHeader;
  qcow_version: number;
  cluster_bits: number;
  cluster_size: number;
  /** log2 of L2 entries per table, and the count. */
  l2_bits: number;
  l2_size: number;
  l1_size: number;
  l1_table_offset: number;
  /** The active L1 table, l1_size big-endian entries. */
  l1_table: Uint8Array;
  refcount_order: number;
  refcount_bits: number;
  /** log2 of refcount entries per refcount block, and the count. */
  refcount_block_bits: number;
  refcount_block_size: number;
  refcount_table_offset: number;
  /** Entries in the refcount table (its clusters * cluster_size / 8). */
  refcount_table_size: number;
  /** Refblock offsets (0: none), as numbers. */
  refcount_table: number[];
  /** Next cluster index to try when allocating (allocation only grows the image). */
  free_cluster_index: number;
  /** L2 tables and refcount blocks by host offset (QEMU's l2_table_cache / refcount_block_cache). */
  l2_cache: Map<number, Uint8Array>;
  refcount_block_cache: Map<number, Uint8Array>;
  incompatible_features: bigint;
  compatible_features: bigint;
  autoclear_features: bigint;
  /** s->lock: serialises every metadata lookup and update. */
  lock: CoMutex;
  /** Warnings already printed (one each per node). */
  warned: Set<string>;
}

export function qcow2_state(bs: BlockDriverState): BDRVQcow2State {
  return bs.opaque as BDRVQcow2State;
}

export function offset_into_cluster(s: BDRVQcow2State, offset: number): number {
  return offset % s.cluster_size;
}

export function start_of_cluster(s: BDRVQcow2State, offset: number): number {
  return offset - (offset % s.cluster_size);
}

export function size_to_clusters(s: BDRVQcow2State, size: number): number {
  return Math.ceil(size / s.cluster_size);
}

/** size_to_l1: L1 entries needed for `size` guest bytes. */
export function size_to_l1(cluster_bits: number, size: number): number {
  const shift = cluster_bits + (cluster_bits - 3);
  return Math.ceil(size / 2 ** shift);
}

export function offset_to_l1_index(s: BDRVQcow2State, offset: number): number {
  return Math.floor(offset / 2 ** (s.l2_bits + s.cluster_bits));
}

export function offset_to_l2_index(s: BDRVQcow2State, offset: number): number {
  return Math.floor(offset / s.cluster_size) % s.l2_size;
}

/** A table entry as its two halves. */
export interface Entry {
  hi: number;
  lo: number;
}

export function get_entry(t: Uint8Array, i: number): Entry {
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  return { hi: dv.getUint32(i * 8), lo: dv.getUint32(i * 8 + 4) };
}

export function set_entry(t: Uint8Array, i: number, e: Entry): void {
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  dv.setUint32(i * 8, e.hi >>> 0);
  dv.setUint32(i * 8 + 4, e.lo >>> 0);
}

/** Bits 9..55: the host offset of an L1, L2 (standard cluster) or refcount table entry. */
export function entry_offset(e: Entry): number {
  return (e.hi & 0x00ffffff) * 0x100000000 + ((e.lo & ~0x1ff) >>> 0);
}

/** An entry holding `offset` with the given high/low flag bits. */
export function make_entry(offset: number, hi_flags: number, lo_flags = 0): Entry {
  return { hi: (Math.floor(offset / 0x100000000) | hi_flags) >>> 0, lo: ((offset >>> 0) | lo_flags) >>> 0 };
}

export function entry_is_zero(e: Entry): boolean {
  return e.hi === 0 && e.lo === 0;
}

/** qcow2_get_cluster_type: what a standard (non-extended) L2 entry maps. */
export function qcow2_get_cluster_type(e: Entry): QCow2ClusterType {
  if (e.hi & QCOW_OFLAG_COMPRESSED_HI) return QCow2ClusterType.COMPRESSED;
  if (e.lo & QCOW_OFLAG_ZERO_LO) return entry_offset(e) !== 0 ? QCow2ClusterType.ZERO_ALLOC : QCow2ClusterType.ZERO_PLAIN;
  return entry_offset(e) !== 0 ? QCow2ClusterType.NORMAL : QCow2ClusterType.UNALLOCATED;
}
