/**
 * Image locking for the file protocol (QEMU block/file-posix.c raw_handle_perm_lock,
 * raw_apply_lock_bytes, raw_check_lock_bytes).
 *
 * QEMU: every open image fd holds OFD locks (fcntl F_OFD_SETLK) on single bytes: a shared lock on
 * byte 100+i while it *has* permission i, on byte 200+i while it does *not share* permission i.
 * Another user wanting permission i tests byte 200+i; one refusing to share i tests byte 100+i.
 *
 * Node has no fcntl(2) (nor flock(2)), so vtrace keeps the same two bit sets in a lock directory
 * per inode, `$TMPDIR/vtrace-image-locks/<st_dev>-<st_ino>/`: one holder file per open node
 * (`<pid>-<threadId>-<n>`, JSON {pid, perm, unshared, file}), checked and updated under a mutex file
 * created with O_CREAT|O_EXCL. Holders of dead processes are ignored and removed, as the kernel
 * drops a dead process's OFD locks: dead means kill(pid, 0) fails with ESRCH, or (Linux) the pid
 * now belongs to a process that started at another time than the holder (field 22 of
 * /proc/PID/stat, recorded in the holder file) — pids are reused (pid_max is often 32768), and a
 * holder left by a killed process must not come back to life with its pid: CI saw "Failed to get
 * "write" lock" on a brand-new image whose inode a long-dead holder had used. Same checks, same
 * messages.
 * Gaps versus QEMU's OFD byte locks:
 * - vtrace processes respect each other; QEMU does not see vtrace's lock files. In the other
 *   direction vtrace reads /proc/locks and honours QEMU's (and qemu-img's) OFD locks on the same
 *   inode (bytes 100+i/200+i), so a running QEMU blocks a vtrace writer, but a running vtrace does
 *   not block QEMU.
 * - Without /proc (not Linux) liveness is by pid alone: a holder file left by a crashed process
 *   whose pid was reused looks alive (remove the directory by hand); OFD locks die with the
 *   descriptor.
 * - The lock directory must be shared by the processes (same TMPDIR, same mount namespace).
 *
 * Contract: main loop thread; synchronous; uses node:fs directly (these files are bookkeeping, not
 * image I/O, so they are not syscall-layer records).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { BLK_PERM_ALL, BLK_PERM_NAMES, BlockError } from './block-int';

export const RAW_LOCK_PERM_BASE = 100;
export const RAW_LOCK_SHARED_BASE = 200;

interface HolderRecord {
  pid: number;
  /** The holder process's start time (/proc/PID/stat field 22), to tell it from a later process with its pid. */
  start?: string;
  perm: number;
  /** Permissions this holder does not share (QEMU's bytes 200+i). */
  unshared: number;
  file: string;
}

/** One node's lock state. */
export class ImageLock {
  perm = 0;
  unshared = 0;
  constructor(
    readonly dir: string,
    readonly holder: string,
    readonly dev: number,
    readonly ino: number,
    readonly filename: string,
  ) {}
}

let seq = 0;

export function imageLockRoot(): string {
  return process.env.VTRACE_LOCK_DIR ?? path.join(os.tmpdir(), 'vtrace-image-locks');
}

/** raw_lock_open: lock state for an image whose fd has this st_dev/st_ino (no lock taken yet). */
export function raw_lock_open(filename: string, dev: number, ino: number): ImageLock {
  const dir = path.join(imageLockRoot(), `${dev}-${ino}`);
  return new ImageLock(dir, path.join(dir, `${process.pid}-${threadId}-${++seq}`), dev, ino, filename);
}

/** Field 22 (starttime, in clock ticks since boot) of /proc/PID/stat; undefined without /proc. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // fields from 3 on; 22 is the 20th
  } catch {
    return undefined;
  }
}

const selfStart = startTime(process.pid);

/** Is the process that wrote a holder (or mutex) still running: its pid alive, and not reused? */
function alive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (start === undefined) return true;
  const now = startTime(pid);
  return now === undefined || now === start;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run f with the directory's mutex held (mutex file: O_CREAT|O_EXCL, holding our pid). */
function withMutex<T>(lock: ImageLock, f: () => T): T {
  fs.mkdirSync(lock.dir, { recursive: true });
  const mutex = path.join(lock.dir, '.mutex');
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      fs.writeFileSync(mutex, `${process.pid} ${selfStart ?? ''}`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [owner, start] = fs.readFileSync(mutex, { encoding: 'utf8', flag: 'r' }).split(' ');
      if (Number(owner) > 0 && !alive(Number(owner), start || undefined)) fs.rmSync(mutex, { force: true });
      else if (Date.now() > deadline) throw new Error(`image lock: ${mutex} held for too long`);
      else sleepMs(1);
    }
  }
  try {
    return f();
  } finally {
    fs.rmSync(mutex, { force: true });
  }
}

/** Other holders' records (dead ones are removed). */
function otherHolders(lock: ImageLock): HolderRecord[] {
  const out: HolderRecord[] = [];
  for (const name of fs.readdirSync(lock.dir)) {
    if (name.startsWith('.')) continue;
    const p = path.join(lock.dir, name);
    if (p === lock.holder) continue;
    let rec: HolderRecord;
    try {
      rec = JSON.parse(fs.readFileSync(p, 'utf8')) as HolderRecord;
    } catch {
      continue;
    }
    if (!alive(rec.pid, rec.start)) {
      fs.rmSync(p, { force: true });
      continue;
    }
    out.push(rec);
  }
  return out;
}

/** The Linux dev_t major/minor as /proc/locks prints them (hex:hex). */
function procLocksDevice(dev: number): string {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:`;
}

/** OFD locks other processes (QEMU) hold on the image: byte offsets locked. */
function qemuOfdLockedBytes(lock: ImageLock): Set<number> {
  const bytes = new Set<number>();
  let text: string;
  try {
    text = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return bytes;
  }
  const devPrefix = procLocksDevice(lock.dev);
  for (const line of text.split('\n')) {
    // "1: OFDLCK ADVISORY  READ  -1 fd:01:1234 100 100"
    const m = /^\d+:\s+OFDLCK\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+:[0-9a-f]+:)(\d+)\s+(\d+)\s+(\d+|EOF)/.exec(line.trim());
    if (m === null || m[1] !== devPrefix || Number(m[2]) !== lock.ino) continue;
    const start = Number(m[3]);
    const end = m[4] === 'EOF' ? RAW_LOCK_SHARED_BASE + 64 : Number(m[4]);
    for (let b = Math.max(start, RAW_LOCK_PERM_BASE); b <= Math.min(end, RAW_LOCK_SHARED_BASE + 63); b++) bytes.add(b);
  }
  return bytes;
}

/**
 * raw_check_lock_bytes: may this node take `perm` and refuse to share the rest? Returns null or
 * QEMU's error ("Failed to get \"write\" lock" / "Failed to get shared \"write\" lock").
 */
function raw_check_lock_bytes(lock: ImageLock, perm: number, shared_perm: number): BlockError | null {
  const others = otherHolders(lock);
  const ofd = qemuOfdLockedBytes(lock);
  const hint = `Is another process using the image [${lock.filename}]?`;
  for (const [p, name] of BLK_PERM_NAMES) {
    const i = Math.log2(p);
    if (perm & p && (others.some((h) => h.unshared & p) || ofd.has(RAW_LOCK_SHARED_BASE + i))) {
      return new BlockError(`Failed to get "${name}" lock`, hint);
    }
  }
  for (const [p, name] of BLK_PERM_NAMES) {
    const i = Math.log2(p);
    if (!(shared_perm & p) && (others.some((h) => h.perm & p) || ofd.has(RAW_LOCK_PERM_BASE + i))) {
      return new BlockError(`Failed to get shared "${name}" lock`, hint);
    }
  }
  return null;
}

/** The locks this thread holds (a holder file written, not yet released). */
const held = new Set<ImageLock>();

function write(lock: ImageLock): void {
  const rec: HolderRecord = { pid: process.pid, start: selfStart, perm: lock.perm, unshared: lock.unshared, file: lock.filename };
  fs.writeFileSync(lock.holder, JSON.stringify(rec));
  held.add(lock);
}

/**
 * raw_handle_perm_lock(PREPARE): check the new permissions against other holders and, if they fit,
 * hold the union of old and new (so nobody slips in before commit). Returns null or the error.
 */
export function raw_lock_prepare(lock: ImageLock, perm: number, shared_perm: number): BlockError | null {
  return withMutex(lock, () => {
    const err = raw_check_lock_bytes(lock, perm, shared_perm);
    if (err !== null) return err;
    lock.perm |= perm;
    lock.unshared |= ~shared_perm & BLK_PERM_ALL;
    write(lock);
    return null;
  });
}

/** raw_handle_perm_lock(COMMIT / ABORT): hold exactly these permissions (raw_apply_lock_bytes). */
export function raw_lock_apply(lock: ImageLock, perm: number, shared_perm: number): void {
  withMutex(lock, () => {
    lock.perm = perm;
    lock.unshared = ~shared_perm & BLK_PERM_ALL;
    write(lock);
  });
}

/** Drop every lock of this node (close). */
export function raw_lock_release(lock: ImageLock): void {
  held.delete(lock);
  fs.rmSync(lock.holder, { force: true });
  try {
    fs.rmdirSync(lock.dir); // only if empty
  } catch {
    /* others still hold it */
  }
}

/**
 * Drop every lock this thread holds, without closing anything: what the kernel does with OFD locks
 * when QEMU exit()s on a guest poweroff, which vtrace imitates (a poweroff leaves at once, without
 * qemu_cleanup: machine-setup.ts qemu_poweroff_release_locks calls this here and in each iothread).
 */
export function raw_lock_release_all(): void {
  for (const lock of [...held]) raw_lock_release(lock);
}
