/**
 * strace -c: the per-syscall summary table, as a pure function from records to text.
 *
 * Layout and arithmetic follow strace 6.1's call_summary_pers (src/count.c):
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    80.05    0.000590          12        49         1 close
 *   ------ ----------- ----------- --------- --------- ----------------
 *   100.00    0.000737           6       113         9 total
 *
 * Columns are right-aligned at widths 6, 11, 11, 9, 9 (each grown to fit the largest value), the
 * name column is max(16, longest name + 1) wide in the dividers and unpadded in rows; a zero error
 * count prints blank (`%.0u`). usecs/call is the mean rounded to ns then truncated to µs.
 * Rows are sorted by total time, descending (-S time, the default); glibc 2.36's qsort is a stable
 * merge sort, so ties keep the order of the architecture's syscall table, reproduced here.
 *
 * Times are the records' durations (wall time in the call), i.e. what `strace -c -w` sums; plain
 * `strace -c` sums system CPU time, which a JavaScript caller cannot measure per call.
 */
import type { SyscallRecord } from './record';

export type SummarySortKey = 'time' | 'calls' | 'errors' | 'name' | 'nothing';

export interface SummaryOptions {
  /** -S: the sort key; default 'time'. */
  sortBy?: SummarySortKey;
}

/** Syscall numbers: x86-64 (arch/x86/entry/syscalls/syscall_64.tbl), else asm-generic (arm64, riscv64). */
const SYSCALL_NUMBERS: Readonly<Record<string, number>> =
  process.arch === 'x64'
    ? { close: 3, pread64: 17, pwrite64: 18, fdatasync: 75, ftruncate: 77, openat: 257, preadv: 295, pwritev: 296, statx: 332, unlink: 87 }
    : { ftruncate: 46, openat: 56, close: 57, pread64: 67, pwrite64: 68, preadv: 69, pwritev: 70, fdatasync: 83, statx: 291, unlink: 35 };

interface Row {
  name: string;
  timeNs: bigint;
  calls: number;
  errors: number;
}

/** printf("%.*f") for a finite double ≥ 0: exact decimal expansion, ties to even (as glibc). */
export function printfFixed(x: number, digits: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let num = mant * 10n ** BigInt(digits);
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  let q = num / den;
  const twice = (num - q * den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  const body = digits > 0 ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return x < 0 ? `-${body}` : body;
}

/** strace's ts_float: seconds as a double from whole seconds + nanoseconds. */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** strace's ts_div then (uint64_t)(ts_float(avg) * 1e6). */
function usecsPerCall(ns: bigint, calls: number): number {
  const n = BigInt(calls);
  const sec = ns / 1_000_000_000n;
  const nsec = ((sec % n) * 1_000_000_000n + (ns % 1_000_000_000n) + n / 2n) / n;
  const avgSec = sec / n + nsec / 1_000_000_000n;
  const avgNsec = nsec % 1_000_000_000n;
  return Math.trunc((Number(avgSec) + Number(avgNsec) / 1e9) * 1e6);
}

function sortRows(rows: Row[], key: SummarySortKey): void {
  const num = (r: Row): number => SYSCALL_NUMBERS[r.name] ?? Number.MAX_SAFE_INTEGER;
  rows.sort((a, b) => num(a) - num(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (key === 'nothing') return;
  const cmp: Record<Exclude<SummarySortKey, 'nothing'>, (a: Row, b: Row) => number> = {
    time: (a, b) => (a.timeNs < b.timeNs ? 1 : a.timeNs > b.timeNs ? -1 : 0),
    calls: (a, b) => b.calls - a.calls,
    errors: (a, b) => b.errors - a.errors,
    name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  };
  rows.sort(cmp[key]); // Array.prototype.sort is stable (ES2019)
}

/** The -c table for `records` (any threads, any order), with a trailing newline. */
export function formatSummary(records: readonly SyscallRecord[], options: SummaryOptions = {}): string {
  const byName = new Map<string, Row>();
  for (const r of records) {
    let row = byName.get(r.name);
    if (!row) byName.set(r.name, (row = { name: r.name, timeNs: 0n, calls: 0, errors: 0 }));
    row.timeNs += BigInt(Math.max(0, Math.round(r.durationNs)));
    row.calls++;
    if (r.ret < 0) row.errors++;
  }
  const rows = [...byName.values()];
  sortRows(rows, options.sortBy ?? 'time');

  let totalNs = 0n;
  let totalCalls = 0;
  let totalErrors = 0;
  let maxAvg = 0;
  let nameMax = 0;
  for (const r of rows) {
    totalNs += r.timeNs;
    totalCalls += r.calls;
    totalErrors += r.errors;
    maxAvg = Math.max(maxAvg, usecsPerCall(r.timeNs, r.calls));
    nameMax = Math.max(nameMax, r.name.length);
  }
  const totalSec = seconds(totalNs);
  const w = {
    pct: 6,
    sec: Math.max(11, printfFixed(totalSec, 6).length),
    avg: Math.max(11, String(maxAvg).length),
    calls: Math.max(9, String(totalCalls).length),
    errors: Math.max(9, String(totalErrors).length),
    name: Math.max(16, nameMax + 1),
  };
  const line = (pct: string, sec: string, avg: string, calls: string, errors: string, name: string): string =>
    `${pct.padStart(w.pct)} ${sec.padStart(w.sec)} ${avg.padStart(w.avg)} ${calls.padStart(w.calls)} ${errors.padStart(w.errors)} ${name}\n`;
  const divider = [w.pct, w.sec, w.avg, w.calls, w.errors, w.name].map((n) => '-'.repeat(n)).join(' ') + '\n';
  const errs = (n: number): string => (n === 0 ? '' : String(n));

  let out = line('% time', 'seconds', 'usecs/call', 'calls', 'errors', 'syscall') + divider;
  for (const r of rows) {
    const sec = seconds(r.timeNs);
    let pct = 100.0 * sec;
    if (pct !== 0) pct /= totalSec;
    out += line(printfFixed(pct, 2), printfFixed(sec, 6), String(usecsPerCall(r.timeNs, r.calls)), String(r.calls), errs(r.errors), r.name);
  }
  out += divider;
  const totalAvg = totalCalls === 0 ? 0 : Math.trunc((totalSec / totalCalls) * 1e6);
  out += line('100.00', printfFixed(totalSec, 6), String(totalAvg), String(totalCalls), errs(totalErrors), 'total');
  return out;
}
