/**
 * Readers for the bundled plugins' output (the formats their header comments document) and for
 * the facts a recording (--trace-out) holds about the same run, shared by the plugin system tests
 * (test/system/plugin-*.test.ts). They parse; they assert nothing.
 */
import { spawnSync } from 'node:child_process';
import { arg, openRecording } from '../../src/trace/vtr-reader';

/** biolatency: the histograms by section ('' without disks=/flags=): bucket label → count. */
export function parseHistograms(text: string): Map<string, Array<{ low: number; high: number; count: number }>> {
  const out = new Map<string, Array<{ low: number; high: number; count: number }>>();
  let section = '';
  for (const line of text.split('\n')) {
    const s = /^(disk|flags) = (.+)$/.exec(line);
    if (s !== null) section = `${s[1]} = ${s[2]}`;
    const m = /^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|[* ]*\|$/.exec(line);
    if (m === null) continue;
    const list = out.get(section) ?? [];
    out.set(section, list);
    list.push({ low: Number(m[1]), high: Number(m[2]), count: Number(m[3]) });
  }
  return out;
}

export interface SnoopLine {
  time: number;
  comm: string;
  pid: number;
  disk: string;
  t: string;
  sector: number;
  bytes: number;
  lat: number;
}

/** biosnoop's lines (after its header). */
export function parseBiosnoop(text: string): SnoopLine[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('TIME(s)'));
  if (start < 0) return [];
  const out: SnoopLine[] = [];
  for (const l of lines.slice(start + 1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+\.\d{6}$/.test(f[0])) continue;
    out.push({ time: Number(f[0]), comm: f[1], pid: Number(f[2]), disk: f[3], t: f[4], sector: Number(f[5]), bytes: Number(f[6]), lat: Number(f[7]) });
  }
  return out;
}

export interface BlkAction {
  dev: string;
  seq: number;
  time: number;
  pid: number;
  action: string;
  rwbs: string;
  sector: number;
  count: number;
  tail: string;
}

/** blktrace's action lines. */
export function parseBlktrace(text: string): BlkAction[] {
  const out: BlkAction[] = [];
  for (const l of text.split('\n')) {
    const m = /^(\S+)\s+0\s+(\d+)\s+(\d+\.\d{9})\s+(\d+)\s+([QDC])\s+([RWFN])\s+(\d+) \+ (\d+) \[(.*)\]$/.exec(l);
    if (m === null) continue;
    out.push({ dev: m[1], seq: Number(m[2]), time: Number(m[3]), pid: Number(m[4]), action: m[5], rwbs: m[6], sector: Number(m[7]), count: Number(m[8]), tail: m[9] });
  }
  return out;
}

/** syscount: counts by syscall name, and rows by (tid, thread, name). */
export function parseSyscount(text: string): { byName: Map<string, number>; byThread: Array<{ tid: number; thread: string; name: string; count: number }> } {
  const byName = new Map<string, number>();
  const byThread: Array<{ tid: number; thread: string; name: string; count: number }> = [];
  let part = 0;
  for (const l of text.split('\n')) {
    if (l.startsWith('SYSCALL')) part = 1;
    else if (l.startsWith('TID')) part = 2;
    else if (part === 1) {
      const m = /^(\w+)\s+(\d+)/.exec(l);
      if (m !== null) byName.set(m[1], Number(m[2]));
    } else if (part === 2) {
      const m = /^(\d+)\s+(\S+)\s+(\w+)\s+(\d+)$/.exec(l);
      if (m !== null) byThread.push({ tid: Number(m[1]), thread: m[2], name: m[3], count: Number(m[4]) });
    }
  }
  return { byName, byThread };
}

/** hotblocks: `collected N entries` and the rows. */
export function parseHotblocks(text: string): { entries: number; rows: Array<{ pc: bigint; tcount: number; icount: number; ecount: number }> } {
  const entries = Number(/collected (\d+) entries in the hash table/.exec(text)?.[1] ?? NaN);
  const rows = [...text.matchAll(/^0x([0-9a-f]{16}), (\d+), (\d+), (\d+)$/gm)].map((m) => ({ pc: BigInt(`0x${m[1]}`), tcount: Number(m[2]), icount: Number(m[3]), ecount: Number(m[4]) }));
  return { entries, rows };
}

export interface ExecLine {
  cpu: number;
  pc: bigint;
  opcode: number;
  text: string;
  accesses: Array<{ kind: string; paddr: number; device: string }>;
}

/** execlog's lines. */
export function parseExeclog(text: string): ExecLine[] {
  const out: ExecLine[] = [];
  for (const l of text.split('\n')) {
    const m = /^(\d+), 0x([0-9a-f]+), 0x([0-9a-f]+), "([^"]*)"(.*)$/.exec(l);
    if (m === null) continue;
    const accesses = [...m[5].matchAll(/, (load|store), 0x([0-9a-f]+), ([^,]+)/g)].map((a) => ({ kind: a[1], paddr: parseInt(a[2], 16), device: a[3] }));
    out.push({ cpu: Number(m[1]), pc: BigInt(`0x${m[2]}`), opcode: parseInt(m[3], 16), text: m[4], accesses });
  }
  return out;
}

/** What a recording says about the run's virtio-blk requests and host syscalls. */
export function recordingFacts(file: string) {
  const rec = openRecording(file);
  const completed = new Set<number>();
  const rw: Array<{ req: number; op: 'R' | 'W'; sector: number; bytes: number }> = [];
  const syscalls = new Map<string, number>();
  const syscallThreads = new Map<string, number>();
  try {
    for (const ev of rec.events({ names: (n) => n === 'virtio_blk_req_complete' || n.startsWith('virtio_blk_handle_') || n === 'syscall_exit' })) {
      if (ev.name === 'virtio_blk_req_complete') completed.add(ev.corr?.req ?? -1);
      else if (ev.name === 'syscall_exit') {
        const name = String(arg(ev, 'name'));
        syscalls.set(name, (syscalls.get(name) ?? 0) + 1);
        const k = `${ev.thread.tid}/${ev.thread.name}/${name}`;
        syscallThreads.set(k, (syscallThreads.get(k) ?? 0) + 1);
      } else {
        rw.push({ req: ev.corr?.req ?? -1, op: ev.name.endsWith('read') ? 'R' : 'W', sector: Number(arg(ev, 'sector')), bytes: Number(arg(ev, 'nsectors')) * 512 });
      }
    }
    return { completed, rw, syscalls, syscallThreads, lost: rec.lost.total };
  } finally {
    rec.close();
  }
}

/** objdump's text for a flat binary loaded at `vma`: address → { opcode, text (tab → space, no `# ...`) }. */
export function objdumpBinary(objdump: string, file: string, vma: bigint): Map<bigint, { opcode: number; text: string }> {
  const r = spawnSync(objdump, ['-D', '-b', 'binary', '-m', 'riscv:rv64', `--adjust-vma=0x${vma.toString(16)}`, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`objdump failed: ${r.stderr}`);
  const out = new Map<bigint, { opcode: number; text: string }>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([0-9a-f]+):\s+([0-9a-f]{4,8})\s+(.*)$/.exec(line);
    if (m === null) continue;
    out.set(BigInt(`0x${m[1]}`), { opcode: parseInt(m[2], 16), text: m[3].replace(/\s+#.*$/, '').replace('\t', ' ').trim() });
  }
  return out;
}

/** Symbols of an ELF (`nm -n`): name → address. */
export function elfSymbols(nm: string, file: string): Map<string, bigint> {
  return new Map(elfSymbolList(nm, file).map((s) => [s.name, s.addr]));
}

/** The same in address order, with nm's type letter (T/t: code). */
export function elfSymbolList(nm: string, file: string): Array<{ addr: bigint; type: string; name: string }> {
  const r = spawnSync(nm, ['-n', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out: Array<{ addr: bigint; type: string; name: string }> = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) (\w) (\S+)$/.exec(line);
    if (m !== null) out.push({ addr: BigInt(`0x${m[1]}`), type: m[2], name: m[3] });
  }
  return out;
}

/** The code symbol (T/t) whose extent (up to the next symbol) holds `pc`, or undefined. */
export function codeSymbolAt(list: ReturnType<typeof elfSymbolList>, pc: bigint): string | undefined {
  const i = list.findIndex((s, k) => s.addr <= pc && (k + 1 === list.length || list[k + 1].addr > pc));
  return i >= 0 && (list[i].type === 'T' || list[i].type === 't') ? list[i].name : undefined;
}
