/**
 * strace's text: argument rendering (used by syscalls.ts when a recorder is installed) and whole
 * lines with strace's -f, -t/-tt/-ttt, -T and -y decorations, matching strace 6.1 (Debian 12).
 *
 * The rules, from strace's src/util.c and checked against strace 6.1 output (test/host):
 * - Buffers (printstr_ex): at most `-s` bytes (default 32) between double quotes, `...` after the
 *   closing quote when there were more. `\"` `\\` `\f` `\n` `\r` `\t` `\v` escaped; other bytes
 *   outside 0x20..0x7e in octal with the fewest digits, three when the next byte is '0'..'7'
 *   (`\0\1\2`, `\0330`); UTF-8 is not decoded (`\303\274`).
 * - Paths (printpath): the same escapes, never cut at `-s` (only at PATH_MAX).
 * - -y (printfd): `18</path>`: the path unquoted but escaped, `<` and `>` in octal, and
 *   `(deleted)` after the `>` for an unlinked file; also `AT_FDCWD</cwd>` and openat's result.
 * - Results start at column 40 (`acolumn`): `close(18)` + padding + `= 0`; longer lines get `) = `.
 * - A failed call: `= -1 ENOENT (No such file or directory)`.
 *
 * Pure functions of their inputs (FdPathTable holds state the caller owns): callable from any thread.
 */
import { errnoName, strerror } from './errno';
import { formatFileMode, formatOctalMode, formatOpenFlags, openTakesMode } from './flags';
import { bufferAddress, type SyscallRecord } from './record';

/** strace's default `-s`: the number of bytes of a buffer it prints (and of array elements). */
export const DEFAULT_STRSIZE = 32;
/** Paths are printed up to PATH_MAX - 1 bytes (limits.h). */
const PATH_MAX = 4096;

const textEncoder = new TextEncoder();

/**
 * string_quote without the quotes: escapes `bytes[0..size)`; `extraEscapes` are printable characters
 * to print in octal anyway (-y paths escape `<>`). Octal look-ahead stays within `size`, as strace's.
 */
export function quoteBytes(bytes: Uint8Array, size: number, extraEscapes = ''): string {
  let out = '';
  for (let i = 0; i < size; i++) {
    const c = bytes[i]!;
    switch (c) {
      case 0x22: out += '\\"'; continue;
      case 0x5c: out += '\\\\'; continue;
      case 0x0c: out += '\\f'; continue;
      case 0x0a: out += '\\n'; continue;
      case 0x0d: out += '\\r'; continue;
      case 0x09: out += '\\t'; continue;
      case 0x0b: out += '\\v'; continue;
    }
    const ch = String.fromCharCode(c);
    if (c >= 0x20 && c <= 0x7e && !extraEscapes.includes(ch)) {
      out += ch;
      continue;
    }
    const next = i + 1 < size ? bytes[i + 1]! : -1;
    const full = next >= 0x30 && next <= 0x37;
    const oct = c.toString(8);
    out += '\\' + (full ? oct.padStart(3, '0') : oct);
  }
  return out;
}

/** A data buffer of which `len` bytes are meaningful: `"\0\0\0..."...` (strace printstrn). */
export function formatBuffer(view: Uint8Array, len: number, strsize = DEFAULT_STRSIZE): string {
  const size = Math.min(len, strsize, view.byteLength);
  return `"${quoteBytes(view, size)}"${len > strsize ? '...' : ''}`;
}

/** A path argument: `"/tmp/rootfs.img"`. */
export function formatPath(path: string): string {
  const bytes = textEncoder.encode(path);
  const nul = bytes.indexOf(0);
  const len = nul >= 0 ? nul : bytes.length;
  const size = Math.min(len, PATH_MAX - 1);
  return `"${quoteBytes(bytes, size)}"${len > size ? '...' : ''}`;
}

/**
 * Where strace prints a pointer it did not dereference (a failed read's buffer). Addresses here are
 * record.ts bufferAddress values, never real pointers, so 0 prints as `0x0`, not strace's `NULL`.
 */
export function formatAddress(addr: number): string {
  return `0x${addr.toString(16)}`;
}

/**
 * An iovec array: `[{iov_base="..."..., iov_len=512}, ...]`. `dataSize` is how many bytes to show
 * across the buffers (preadv: the result; pwritev: Infinity), or 'addr' to show addresses (a failed
 * read). At most `strsize` elements are printed, then `...` (strace print_array).
 */
export function formatIovec(iov: readonly Uint8Array[], dataSize: number | 'addr', strsize = DEFAULT_STRSIZE): string {
  const parts: string[] = [];
  let left = dataSize === 'addr' ? 0 : dataSize;
  for (let i = 0; i < iov.length; i++) {
    if (i >= strsize) {
      parts.push('...');
      break;
    }
    const v = iov[i]!;
    let base: string;
    if (dataSize === 'addr') base = formatAddress(bufferAddress(v));
    else {
      const len = Math.min(v.byteLength, left);
      left -= len;
      base = formatBuffer(v, len, strsize);
    }
    parts.push(`{iov_base=${base}, iov_len=${v.byteLength}}`);
  }
  return `[${parts.join(', ')}]`;
}

/** openat's arguments: `AT_FDCWD, "path", O_RDONLY|O_CLOEXEC` (+ `, 0644` with O_CREAT/O_TMPFILE). */
export function formatOpenatArgs(path: string, flags: number, mode: number): string[] {
  const args = ['AT_FDCWD', formatPath(path), formatOpenFlags(flags)];
  if (openTakesMode(flags)) args.push(formatOctalMode(mode));
  return args;
}

/** The fields of a struct statx strace prints by default (abbreviated, no -v). */
export interface StatxShown {
  mode: number;
  size: number;
  /** Whether the file system reported a birth time (STATX_BTIME in stx_mask). */
  btime: boolean;
}

/**
 * statx(2) as libuv issues it for fstat (fd, "", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, STATX_ALL) with
 * its result struct, or `0x0` for a failed call's buffer. Node does not return stx_mask or
 * stx_attributes: the mask is inferred (STATX_ALL, or STATX_BASIC_STATS without a birth time, plus
 * STATX_MNT_ID which Linux ≥ 5.8 always sets) and attributes are shown as 0.
 */
export function formatStatxArgs(fd: number, st: StatxShown | null): string[] {
  let buf = '0x0';
  if (st !== null) {
    const mask = st.btime ? 'STATX_ALL|STATX_MNT_ID' : 'STATX_BASIC_STATS|STATX_MNT_ID';
    buf = `{stx_mask=${mask}, stx_attributes=0, stx_mode=${formatFileMode(st.mode)}, stx_size=${st.size}, ...}`;
  }
  return [String(fd), '""', 'AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH', 'STATX_ALL', buf];
}

/**
 * A struct stat as strace prints it for fstat/newfstatat (QEMU's own calls, for comparing logs):
 * `{st_mode=S_IFREG|0644, st_size=2147483648, ...}`, or st_rdev for device files.
 */
export function formatStatBuf(mode: number, size: number, rdev = 0): string {
  const type = mode & 0o170000;
  if (type === 0o020000 || type === 0o060000) {
    // glibc's major()/minor() of a 64-bit dev_t (sys/sysmacros.h).
    const dev = BigInt(rdev);
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    return `{st_mode=${formatFileMode(mode)}, st_rdev=makedev(0x${major.toString(16)}, 0x${minor.toString(16)}), ...}`;
  }
  return `{st_mode=${formatFileMode(mode)}, st_size=${size}, ...}`;
}

/** -y: an fd decorated with its path: `18</tmp/a.img>`, `18</tmp/a.img>(deleted)`. */
export function formatFdWithPath(fd: number | string, path: string | undefined): string {
  if (path === undefined) return String(fd);
  const SUFFIX = ' (deleted)';
  const deleted = path.endsWith(SUFFIX);
  const p = deleted ? path.slice(0, -SUFFIX.length) : path;
  const bytes = textEncoder.encode(p);
  return `${fd}<${quoteBytes(bytes, bytes.length, '<>')}>${deleted ? '(deleted)' : ''}`;
}

/** strace's result text: `512`, `18`, `-1 ENOENT (No such file or directory)`. */
export function formatResult(ret: number): string {
  if (ret < 0) return `-1 ${errnoName(-ret)} (${strerror(-ret)})`;
  return String(ret);
}

/** -f: `[pid  1234] ` (output to a terminal/stderr) or `1234  ` (-o FILE); 'none' for one thread. */
export type PidPrefixStyle = 'bracket' | 'column' | 'none';

export function formatPidPrefix(tid: number, style: PidPrefixStyle): string {
  if (style === 'bracket') return `[pid ${String(tid).padStart(5)}] `;
  if (style === 'column') return `${String(tid).padEnd(5)} `;
  return '';
}

/**
 * -t `19:08:01 `, -tt `19:08:01.123456 `, -ttt `1700000000.123456 ` for a wall-clock time in ns
 * since the epoch (a record's startNs + realtimeOffsetNs()); local time zone, as strace's.
 */
export function formatTimestamp(realtimeNs: bigint, style: 't' | 'tt' | 'ttt'): string {
  const sec = realtimeNs / 1_000_000_000n;
  const usec = String((realtimeNs % 1_000_000_000n) / 1000n).padStart(6, '0');
  if (style === 'ttt') return `${sec}.${usec} `;
  const d = new Date(Number(sec) * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const hms = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return style === 'tt' ? `${hms}.${usec} ` : `${hms} `;
}

/** -T: the time spent in the call, ` <0.000012>` (seconds, truncated to µs). */
export function formatDuration(durationNs: number): string {
  const us = Math.floor(durationNs / 1000);
  return ` <${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}>`;
}

/**
 * fd → path for -y when records do not carry paths: learns from successful openat records (whose
 * `path` is always filled) and forgets on successful close. Feed records in time order.
 */
export class FdPathTable {
  private readonly paths = new Map<number, string>();

  get(fd: number): string | undefined {
    return this.paths.get(fd);
  }

  set(fd: number, path: string): void {
    this.paths.set(fd, path);
  }

  observe(rec: SyscallRecord): void {
    if (rec.ret < 0) return;
    if (rec.name === 'openat' && rec.fd !== undefined && rec.path !== undefined) this.paths.set(rec.fd, rec.path);
    else if (rec.name === 'close') this.paths.delete(rec.raw.fd);
  }
}

export interface StraceLineOptions {
  /** -f prefix style; default 'none'. */
  pid?: PidPrefixStyle;
  /** -t / -tt / -ttt; needs realtimeOffsetNs. */
  time?: 't' | 'tt' | 'ttt';
  /** Added to startNs for -t*: a value from record.ts realtimeOffsetNs(). */
  realtimeOffsetNs?: bigint;
  /** -T: append the call's duration. */
  T?: boolean;
  /** -y: decorate fds with paths (from the record, else from fdPaths). */
  y?: boolean;
  fdPaths?: FdPathTable;
}

/** strace's result column (`acolumn`). */
const RESULT_COLUMN = 40;

/** One record as one strace line (no trailing newline). */
export function formatStraceLine(rec: SyscallRecord, opts: StraceLineOptions = {}): string {
  let line = formatPidPrefix(rec.tid, opts.pid ?? 'none');
  if (opts.time) line += formatTimestamp(rec.startNs + (opts.realtimeOffsetNs ?? 0n), opts.time);
  let args = rec.args;
  let result = formatResult(rec.ret);
  if (opts.y) {
    args = args.slice();
    if (rec.name === 'openat') {
      if (rec.raw.cwd !== undefined) args[0] = formatFdWithPath(args[0]!, rec.raw.cwd);
      if (rec.ret >= 0) result = formatFdWithPath(rec.ret, rec.path ?? opts.fdPaths?.get(rec.ret));
    } else if (rec.name !== 'unlink') {
      const fd = rec.raw.fd;
      args[0] = formatFdWithPath(fd, rec.path ?? opts.fdPaths?.get(fd));
    }
  }
  line += `${rec.name}(${args.join(', ')}) `;
  if (line.length < RESULT_COLUMN) line = line.padEnd(RESULT_COLUMN);
  line += `= ${result}`;
  if (opts.T) line += formatDuration(rec.durationNs);
  return line;
}

/**
 * Records (from any threads) as strace lines in time order, following fds for -y through an
 * FdPathTable (a fresh one unless given).
 */
export function formatStrace(records: readonly SyscallRecord[], opts: StraceLineOptions = {}): string[] {
  const sorted = records.slice().sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const fdPaths = opts.fdPaths ?? new FdPathTable();
  const lines: string[] = [];
  for (const rec of sorted) {
    lines.push(formatStraceLine(rec, { ...opts, fdPaths }));
    fdPaths.observe(rec);
  }
  return lines;
}
