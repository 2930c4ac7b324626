/**
 * QEMUIOVector (QEMU util/iov.c, include/qemu/iov.h): a scatter/gather list of byte ranges.
 *
 * An entry is a Uint8Array view — usually of guest RAM (a SharedArrayBuffer), so a thread-pool
 * worker reading into it writes guest memory in place (zero copy, like QEMU's preadv into mapped
 * guest memory). `iov[i]` plays struct iovec's role: `iov_base` is the view, `iov_len` its
 * byteLength. `size` is the sum of the lengths.
 *
 * Contract: plain data and functions; any thread. Functions never copy an entry's memory except
 * where their name says so (to_buf/from_buf/memset). Lengths and offsets are numbers (safe ints).
 * Out-of-range offsets throw RangeError (QEMU asserts).
 */

export class QEMUIOVector {
  iov: Uint8Array[] = [];
  /** Entries in use (iov.length; kept for QEMU's field name). */
  get niov(): number {
    return this.iov.length;
  }
  /** Total bytes. */
  size = 0;
  /** True when made by qemu_iovec_init_external/init_buf: entries belong to the caller. */
  external = false;
}

/** qemu_iovec_init: an empty vector (alloc_hint is accepted for QEMU parity, unused). */
export function qemu_iovec_init(qiov: QEMUIOVector, _alloc_hint = 0): void {
  qiov.iov = [];
  qiov.size = 0;
  qiov.external = false;
}

/** qemu_iovec_init_external: a vector over the caller's views. */
export function qemu_iovec_init_external(qiov: QEMUIOVector, iov: readonly Uint8Array[]): void {
  qiov.iov = [...iov];
  qiov.size = iov.reduce((a, v) => a + v.byteLength, 0);
  qiov.external = true;
}

/** qemu_iovec_init_buf: a one-entry vector over `buf` (QEMU's QEMU_IOVEC_INIT_BUF). */
export function qemu_iovec_init_buf(qiov: QEMUIOVector, buf: Uint8Array): void {
  qemu_iovec_init_external(qiov, [buf]);
}

/** Convenience: a new vector over `views`. */
export function qiovOf(...views: Uint8Array[]): QEMUIOVector {
  const q = new QEMUIOVector();
  qemu_iovec_init_external(q, views);
  return q;
}

/** qemu_iovec_add: append a view (zero-length views are skipped, as the kernel would ignore them). */
export function qemu_iovec_add(qiov: QEMUIOVector, base: Uint8Array): void {
  if (base.byteLength === 0) return;
  qiov.iov.push(base);
  qiov.size += base.byteLength;
}

/** qemu_iovec_reset: drop all entries (keeps the vector usable). */
export function qemu_iovec_reset(qiov: QEMUIOVector): void {
  qiov.iov.length = 0;
  qiov.size = 0;
}

/** qemu_iovec_destroy: same as reset here (the GC owns the memory). */
export function qemu_iovec_destroy(qiov: QEMUIOVector): void {
  qemu_iovec_reset(qiov);
}

function checkRange(qiov: QEMUIOVector, offset: number, bytes: number, fn: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0 || offset + bytes > qiov.size) {
    throw new RangeError(`${fn}: [${offset}, +${bytes}) outside a ${qiov.size}-byte vector`);
  }
}

/**
 * Visit the sub-ranges of the entries covering [offset, offset+bytes): f(view) per piece, in order.
 * The views alias the entries' memory.
 */
export function qemu_iovec_foreach(qiov: QEMUIOVector, offset: number, bytes: number, f: (piece: Uint8Array) => void): void {
  checkRange(qiov, offset, bytes, 'qemu_iovec_foreach');
  let skip = offset;
  let left = bytes;
  for (const v of qiov.iov) {
    if (left === 0) break;
    if (skip >= v.byteLength) {
      skip -= v.byteLength;
      continue;
    }
    const n = Math.min(v.byteLength - skip, left);
    f(v.subarray(skip, skip + n));
    left -= n;
    skip = 0;
  }
}

/**
 * qemu_iovec_concat: append to `dst` the views of `src` covering [soffset, soffset+sbytes), as
 * aliases (QEMU's qemu_iovec_concat_iov). Slicing for alignment is built on this.
 */
export function qemu_iovec_concat(dst: QEMUIOVector, src: QEMUIOVector, soffset: number, sbytes: number): void {
  qemu_iovec_foreach(src, soffset, sbytes, (p) => qemu_iovec_add(dst, p));
}

/** qemu_iovec_slice: a new vector aliasing [offset, offset+bytes) of `qiov`. */
export function qemu_iovec_slice(qiov: QEMUIOVector, offset: number, bytes: number): QEMUIOVector {
  const q = new QEMUIOVector();
  q.external = true;
  qemu_iovec_concat(q, qiov, offset, bytes);
  return q;
}

/**
 * qemu_iovec_init_extended (QEMU util/iov.c): head_buf + [mid_offset, +mid_len) of mid_qiov +
 * tail_buf — how the generic layer pads an unaligned request to the alignment.
 */
export function qemu_iovec_init_extended(
  qiov: QEMUIOVector,
  head_buf: Uint8Array | null,
  mid_qiov: QEMUIOVector | null,
  mid_offset: number,
  mid_len: number,
  tail_buf: Uint8Array | null,
): void {
  qemu_iovec_init(qiov);
  qiov.external = true;
  if (head_buf !== null) qemu_iovec_add(qiov, head_buf);
  if (mid_qiov !== null && mid_len > 0) qemu_iovec_concat(qiov, mid_qiov, mid_offset, mid_len);
  if (tail_buf !== null) qemu_iovec_add(qiov, tail_buf);
}

/** qemu_iovec_to_buf: copy [offset, +bytes) out of the vector into buf. Returns bytes copied. */
export function qemu_iovec_to_buf(qiov: QEMUIOVector, offset: number, buf: Uint8Array, bytes = buf.byteLength): number {
  const n = Math.min(bytes, buf.byteLength, Math.max(0, qiov.size - offset));
  let at = 0;
  qemu_iovec_foreach(qiov, offset, n, (p) => {
    buf.set(p, at);
    at += p.byteLength;
  });
  return n;
}

/** qemu_iovec_from_buf: copy buf into the vector at offset. Returns bytes copied. */
export function qemu_iovec_from_buf(qiov: QEMUIOVector, offset: number, buf: Uint8Array, bytes = buf.byteLength): number {
  const n = Math.min(bytes, buf.byteLength, Math.max(0, qiov.size - offset));
  let at = 0;
  qemu_iovec_foreach(qiov, offset, n, (p) => {
    p.set(buf.subarray(at, at + p.byteLength));
    at += p.byteLength;
  });
  return n;
}

/** qemu_iovec_memset: fill [offset, +bytes) with `fillc`. Returns bytes filled. */
export function qemu_iovec_memset(qiov: QEMUIOVector, offset: number, fillc: number, bytes: number): number {
  const n = Math.min(bytes, Math.max(0, qiov.size - offset));
  qemu_iovec_foreach(qiov, offset, n, (p) => p.fill(fillc));
  return n;
}

/** qemu_iovec_is_zero: true when [offset, +bytes) holds only zero bytes. */
export function qemu_iovec_is_zero(qiov: QEMUIOVector, offset: number, bytes: number): boolean {
  let zero = true;
  qemu_iovec_foreach(qiov, offset, bytes, (piece) => {
    if (!zero) return;
    let i = 0;
    // Four bytes at a time where the piece is aligned for it (guest buffers are).
    if (piece.byteOffset % 4 === 0) {
      const words = new Int32Array(piece.buffer, piece.byteOffset, piece.byteLength >>> 2);
      for (let k = 0; k < words.length; k++) {
        if (words[k] !== 0) {
          zero = false;
          return;
        }
      }
      i = words.length * 4;
    }
    for (; i < piece.byteLength; i++) {
      if (piece[i] !== 0) {
        zero = false;
        return;
      }
    }
  });
  return zero;
}

/** qemu_iovec_compare: offset of the first differing byte, or -1 if equal (sizes must match). */
export function qemu_iovec_compare(a: QEMUIOVector, b: QEMUIOVector): number {
  if (a.size !== b.size) throw new RangeError('qemu_iovec_compare: sizes differ');
  const x = new Uint8Array(a.size);
  const y = new Uint8Array(b.size);
  qemu_iovec_to_buf(a, 0, x);
  qemu_iovec_to_buf(b, 0, y);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** True when every entry's memory is a SharedArrayBuffer (a worker can use it in place). */
export function qemu_iovec_is_shared(qiov: QEMUIOVector): boolean {
  return qiov.iov.every((v) => v.buffer instanceof SharedArrayBuffer);
}
