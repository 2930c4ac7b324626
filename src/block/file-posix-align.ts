/**
 * O_DIRECT alignment for the file protocol (QEMU block/file-posix.c raw_probe_alignment,
 * bdrv_qiov_is_aligned, and the bounce buffers of handle_aiocb_rw's misaligned path).
 *
 * O_DIRECT needs file offsets/lengths aligned to the device's logical block size (request_alignment)
 * and memory aligned to the DMA alignment (buf_align). QEMU learns both by trying reads with
 * aligned and misaligned buffers (raw_is_io_aligned). JavaScript cannot see addresses, so:
 * - The probe reads an unnamed scratch file (O_TMPFILE|O_DIRECT in the image's directory, hence on
 *   the same filesystem), filled with zeroes at open. Reads, because ext4 silently falls back to
 *   buffered I/O for a misaligned O_DIRECT *write*, while a misaligned read fails with EINVAL.
 * - A buffer's *phase* — which of its offsets are aligned addresses — is found by reading 4 KiB
 *   into offsets 0, 8, 16, ... until one succeeds (a one-sector read inside a page may pass even
 *   when misaligned, so probes span pages). The phase of a SharedArrayBuffer never changes (its
 *   memory does not move), so it is probed once per buffer and remembered.
 * - Only buffers the block layer allocated (bounce buffers) are probed freely. Guest RAM is probed
 *   only once its owner registers it (file_posix_register_buffer, before the guest runs): the probe
 *   then first copies the bytes it will read over into the scratch file through a buffered fd, so
 *   the read puts back what was there. Unregistered memory is treated as misaligned and bounced.
 *
 * Contract: main loop thread (probing does synchronous syscalls, as QEMU's raw_open does).
 */
import * as path from 'node:path';
import { AT_FDCWD, O_DIRECT, O_RDWR } from '../host/flags';
import { close, openat, pread64, pwrite64 } from '../host/syscalls';
import { EINVAL } from './errno';

/** O_TMPFILE (__O_TMPFILE | O_DIRECTORY, include/uapi/asm-generic/fcntl.h). */
const O_TMPFILE = 0o20000000 | 0o200000;
/** The largest alignment QEMU probes (MAX_BLOCKSIZE). */
export const MAX_BLOCKSIZE = 4096;
const PHASE_STEP = 8;
const SCRATCH_BYTES = 4 * MAX_BLOCKSIZE;

export interface DirectProbe {
  /** The scratch file opened O_DIRECT, and the same inode opened buffered. */
  direct_fd: number;
  buffered_fd: number;
}

export interface DirectAlignment extends DirectProbe {
  request_alignment: number;
  buf_align: number;
}

/** Phases known so far: buffer → (buf_align → offset of its aligned addresses, mod buf_align). */
const phases = new WeakMap<SharedArrayBuffer, Map<number, number>>();
/** Foreign buffers (guest RAM) their owner allowed us to probe. */
const registered = new WeakSet<SharedArrayBuffer>();

/**
 * file_posix_register_buffer: allow probing `sab` (guest RAM) for O_DIRECT alignment, so aligned
 * guest buffers need no bounce. Call while nothing else accesses it (before the guest runs).
 */
export function file_posix_register_buffer(sab: SharedArrayBuffer): void {
  registered.add(sab);
}

/** Open the scratch probe file next to `filename`. -errno (e.g. -EINVAL: no O_DIRECT, tmpfs) or the fds. */
export function openDirectProbe(filename: string): DirectProbe | number {
  const direct_fd = openat(AT_FDCWD, path.dirname(path.resolve(filename)), O_TMPFILE | O_RDWR | O_DIRECT, 0o600);
  if (direct_fd < 0) return direct_fd;
  const buffered_fd = openat(AT_FDCWD, `/proc/self/fd/${direct_fd}`, O_RDWR);
  if (buffered_fd < 0) {
    close(direct_fd);
    return buffered_fd;
  }
  pwrite64(buffered_fd, new Uint8Array(SCRATCH_BYTES), 0);
  return { direct_fd, buffered_fd };
}

export function closeDirectProbe(p: DirectProbe): void {
  if (p.direct_fd >= 0) close(p.direct_fd);
  if (p.buffered_fd >= 0) close(p.buffered_fd);
  p.direct_fd = p.buffered_fd = -1;
}

/** raw_is_io_aligned: does an O_DIRECT read into `view` work? (the scratch file holds zeroes) */
function raw_is_io_aligned(p: DirectProbe, view: Uint8Array, preserve: boolean): boolean | null {
  if (preserve && pwrite64(p.buffered_fd, view, 0) !== view.byteLength) return null;
  const r = pread64(p.direct_fd, view, 0);
  if (r >= 0) return true;
  return r === -EINVAL ? false : null;
}

/**
 * raw_probe_alignment: buf_align (the step between aligned offsets of a buffer: the memory
 * alignment) and request_alignment (smallest length that works, from 512 up). null if nothing works.
 */
export function raw_probe_alignment(p: DirectProbe): DirectAlignment | null {
  const sab = new SharedArrayBuffer(3 * MAX_BLOCKSIZE);
  const whole = new Uint8Array(sab);
  let first = -1;
  let second = -1;
  for (let o = 0; o < 2 * MAX_BLOCKSIZE; o += PHASE_STEP) {
    if (first >= 0 && o - first >= MAX_BLOCKSIZE) break;
    const ok = raw_is_io_aligned(p, whole.subarray(o, o + MAX_BLOCKSIZE), false);
    if (ok === null) return null;
    if (!ok) continue;
    if (first < 0) first = o;
    else {
      second = o;
      break;
    }
  }
  if (first < 0) return null;
  const buf_align = second < 0 ? MAX_BLOCKSIZE : second - first;
  let request_alignment = 0;
  for (let align = 512; align <= MAX_BLOCKSIZE; align <<= 1) {
    if (raw_is_io_aligned(p, whole.subarray(first, first + align), false) === true) {
      request_alignment = align;
      break;
    }
  }
  if (request_alignment === 0) return null;
  rememberPhase(sab, buf_align, first % buf_align);
  return { ...p, request_alignment, buf_align };
}

function rememberPhase(sab: SharedArrayBuffer, align: number, phase: number): void {
  let m = phases.get(sab);
  if (m === undefined) phases.set(sab, (m = new Map()));
  m.set(align, phase);
}

/**
 * The offset (mod buf_align) of `sab`'s aligned addresses, or -1 if unknown. Probes buffers the
 * block layer owns (`own`) and registered guest RAM, once; never other memory.
 */
export function bufferPhase(a: DirectAlignment, sab: SharedArrayBuffer, own = false): number {
  const known = phases.get(sab)?.get(a.buf_align);
  if (known !== undefined) return known;
  const preserve = !own;
  if ((!own && !registered.has(sab)) || a.direct_fd < 0 || sab.byteLength < a.buf_align + MAX_BLOCKSIZE) return -1;
  const whole = new Uint8Array(sab);
  for (let o = 0; o < a.buf_align; o += PHASE_STEP) {
    // MAX_BLOCKSIZE, not request_alignment: a misaligned read of one sector within a page may pass.
    const ok = raw_is_io_aligned(a, whole.subarray(o, o + MAX_BLOCKSIZE), preserve);
    if (ok === null) return -1;
    if (ok) {
      rememberPhase(sab, a.buf_align, o);
      return o;
    }
  }
  return -1;
}

/** bdrv_qiov_is_aligned: every entry starts at an aligned address and has an aligned length. */
export function raw_iov_is_aligned(a: DirectAlignment, iov: readonly Uint8Array[]): boolean {
  for (const v of iov) {
    if (!(v.buffer instanceof SharedArrayBuffer)) return false;
    if (v.byteLength % a.request_alignment !== 0) return false;
    const phase = bufferPhase(a, v.buffer);
    if (phase < 0 || (v.byteOffset - phase) % a.buf_align !== 0) return false;
  }
  return true;
}

/** Bounce buffers: aligned shared buffers, reused (QEMU allocates one per request with qemu_try_blockalign). */
export class BounceCache {
  private readonly free: { sab: SharedArrayBuffer; view: Uint8Array }[] = [];
  allocated = 0;
  constructor(readonly a: DirectAlignment) {}

  /** An aligned view of at least `size` bytes. */
  get(size: number): Uint8Array {
    const i = this.free.findIndex((f) => f.view.byteLength >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!.view;
    let cap = MAX_BLOCKSIZE;
    while (cap < size) cap *= 2;
    const sab = new SharedArrayBuffer(cap + this.a.buf_align);
    const phase = bufferPhase(this.a, sab, true);
    if (phase < 0) throw new Error('file-posix: cannot find an O_DIRECT-aligned offset in a bounce buffer');
    this.allocated++;
    return new Uint8Array(sab, phase, cap);
  }

  put(view: Uint8Array): void {
    if (this.free.length < 16) this.free.push({ sab: view.buffer as SharedArrayBuffer, view });
  }
}
