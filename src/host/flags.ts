/**
 * open(2) flags: names ↔ numeric masks, and their strace rendering.
 *
 * Values come from Node's `fs.constants` (the platform's <fcntl.h>, so O_DIRECT and O_DIRECTORY are
 * right on arm64 too); the few bits Node does not export are the asm-generic ones, the same on
 * x86-64, arm64 and riscv64 (include/uapi/asm-generic/fcntl.h). O_LARGEFILE is the kernel's
 * per-architecture value; 64-bit glibc never passes it, so strace rarely shows it.
 *
 * How QEMU opens images (block/file-posix.c, raw_open_common and raw_parse_flags): format probing
 * `O_RDONLY|O_NONBLOCK`, a node `O_RDONLY` and, on reopen for writing, `O_RDWR`; `O_DIRECT` for
 * cache=none/directsync, `O_DSYNC` for writethrough. libuv adds `O_CLOEXEC` to every open (as
 * qemu_open does), so the syscall and strace always show it (libuv src/unix/fs.c, uv__fs_open).
 *
 * Pure data and functions: callable from any thread.
 */
import { constants as C } from 'node:fs';

/** openat(2)'s "relative to the current directory" dirfd (<fcntl.h>). */
export const AT_FDCWD = -100;
export type AtFdcwd = typeof AT_FDCWD;

export const O_RDONLY = C.O_RDONLY;
export const O_WRONLY = C.O_WRONLY;
export const O_RDWR = C.O_RDWR;
export const O_ACCMODE = 3;
export const O_CREAT = C.O_CREAT;
export const O_EXCL = C.O_EXCL;
export const O_NOCTTY = C.O_NOCTTY;
export const O_TRUNC = C.O_TRUNC;
export const O_APPEND = C.O_APPEND;
export const O_NONBLOCK = C.O_NONBLOCK;
export const O_DSYNC = C.O_DSYNC;
/** O_SYNC is __O_SYNC|O_DSYNC (open(2) NOTES). */
export const O_SYNC = C.O_SYNC;
export const O_DIRECT = C.O_DIRECT ?? 0o40000;
export const O_NOFOLLOW = C.O_NOFOLLOW;
export const O_NOATIME = C.O_NOATIME ?? 0o1000000;
export const O_DIRECTORY = C.O_DIRECTORY;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
const __O_TMPFILE = 0o20000000;
/** O_TMPFILE is __O_TMPFILE|O_DIRECTORY. */
export const O_TMPFILE = __O_TMPFILE | O_DIRECTORY;
const __O_SYNC = O_SYNC & ~O_DSYNC;
const FASYNC = 0o20000;
export const O_LARGEFILE =
  process.arch === 'arm64' || process.arch === 'arm' ? 0o400000 : process.arch === 'ppc64' ? 0o200000 : 0o100000;

/** Flag names a caller may pass (the access mode plus the flags QEMU and its probing use). */
export type OpenFlagName =
  | 'O_RDONLY'
  | 'O_WRONLY'
  | 'O_RDWR'
  | 'O_CREAT'
  | 'O_EXCL'
  | 'O_NOCTTY'
  | 'O_TRUNC'
  | 'O_APPEND'
  | 'O_NONBLOCK'
  | 'O_DSYNC'
  | 'O_SYNC'
  | 'O_DIRECT'
  | 'O_NOFOLLOW'
  | 'O_NOATIME'
  | 'O_CLOEXEC'
  | 'O_DIRECTORY';

/** Flags as a numeric mask (fs.constants values OR-ed) or as a list of names. */
export type OpenFlags = number | readonly OpenFlagName[];

const VALUE: Readonly<Record<OpenFlagName, number>> = {
  O_RDONLY,
  O_WRONLY,
  O_RDWR,
  O_CREAT,
  O_EXCL,
  O_NOCTTY,
  O_TRUNC,
  O_APPEND,
  O_NONBLOCK,
  O_DSYNC,
  O_SYNC,
  O_DIRECT,
  O_NOFOLLOW,
  O_NOATIME,
  O_CLOEXEC,
  O_DIRECTORY,
};

/** The numeric mask of `flags` (a list of names is OR-ed; a number is returned as is). */
export function openFlagsMask(flags: OpenFlags): number {
  if (typeof flags === 'number') return flags;
  let mask = 0;
  for (const name of flags) mask |= VALUE[name];
  return mask;
}

/**
 * Parses strace's notation (`O_RDWR|O_DIRECT|O_CLOEXEC`) into a mask, for the CLI and the debug
 * console. Throws a RangeError naming the first unknown flag.
 */
export function parseOpenFlags(text: string): number {
  let mask = 0;
  for (const part of text.split('|')) {
    const name = part.trim();
    if (name in VALUE) mask |= VALUE[name as OpenFlagName];
    else if (/^0x[0-9a-f]+$/i.test(name)) mask |= parseInt(name.slice(2), 16);
    else if (/^0[0-7]*$/.test(name)) mask |= parseInt(name, 8);
    else if (/^[1-9][0-9]*$/.test(name)) mask |= parseInt(name, 10);
    else throw new RangeError(`unknown open flag '${name}'`);
  }
  return mask;
}

/**
 * strace's xlat/open_mode_flags.in, in its order: a bit set is printed by the first entry all of whose
 * bits are set, then cleared (so O_SYNC wins over O_DSYNC and O_TMPFILE over O_DIRECTORY).
 */
const STRACE_ORDER: ReadonlyArray<readonly [string, number]> = [
  ['O_CREAT', O_CREAT],
  ['O_EXCL', O_EXCL],
  ['O_NOCTTY', O_NOCTTY],
  ['O_TRUNC', O_TRUNC],
  ['O_APPEND', O_APPEND],
  ['O_NONBLOCK', O_NONBLOCK],
  ['O_SYNC', O_SYNC],
  ['__O_SYNC', __O_SYNC],
  ['O_DSYNC', O_DSYNC],
  ['O_DIRECT', O_DIRECT],
  ['O_LARGEFILE', O_LARGEFILE],
  ['O_NOFOLLOW', O_NOFOLLOW],
  ['O_NOATIME', O_NOATIME],
  ['O_CLOEXEC', O_CLOEXEC],
  ['O_PATH', O_PATH],
  ['O_TMPFILE', O_TMPFILE],
  ['__O_TMPFILE', __O_TMPFILE],
  ['O_DIRECTORY', O_DIRECTORY],
  ['FASYNC', FASYNC],
];

const ACCESS_MODES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'];

/**
 * strace's rendering of open flags (tprint_open_modes): the access mode, then the other flags in
 * strace's order, then any unknown bits in hex: `O_RDONLY|O_NONBLOCK|O_CLOEXEC`, `O_RDWR|0x40000000`.
 */
export function formatOpenFlags(mask: number): string {
  const parts = [ACCESS_MODES[mask & O_ACCMODE]!];
  let rest = (mask & ~O_ACCMODE) >>> 0;
  for (const [name, value] of STRACE_ORDER) {
    if (value !== 0 && (rest & value) === value) {
      parts.push(name);
      rest = (rest & ~value) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/** Whether openat(2) takes (and strace prints) a mode argument: O_CREAT or __O_TMPFILE is set. */
export function openTakesMode(mask: number): boolean {
  return (mask & (O_CREAT | __O_TMPFILE)) !== 0;
}

/** A numeric mode as strace prints it (`%#03o`): `0644`, `000`, `04755`. */
export function formatOctalMode(mode: number): string {
  return (mode === 0 ? '0' : `0${mode.toString(8)}`).padStart(3, '0');
}

const S_IFMT = 0o170000;
const FILE_TYPES: ReadonlyArray<readonly [number, string]> = [
  [0o140000, 'S_IFSOCK'],
  [0o120000, 'S_IFLNK'],
  [0o100000, 'S_IFREG'],
  [0o060000, 'S_IFBLK'],
  [0o040000, 'S_IFDIR'],
  [0o020000, 'S_IFCHR'],
  [0o010000, 'S_IFIFO'],
];

/** A st_mode as strace prints it (print_symbolic_mode_t): `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`. */
export function formatFileMode(mode: number): string {
  let out = '';
  const type = FILE_TYPES.find(([v]) => v === (mode & S_IFMT));
  if (type) out += `${type[1]}|`;
  else if ((mode & S_IFMT) !== 0) out += `${formatOctalMode(mode & S_IFMT)}|`;
  if (mode & 0o4000) out += 'S_ISUID|';
  if (mode & 0o2000) out += 'S_ISGID|';
  if (mode & 0o1000) out += 'S_ISVTX|';
  return out + formatOctalMode(mode & 0o777);
}
