/**
 * Guest symbols for the guest frames of a backtrace: a System.map (`nm -n` text: `ADDR TYPE NAME`
 * per line), or an ELF (the guest's vmlinux, the default guest's default.elf) read through
 * `riscv64-linux-gnu-nm` (binutils-riscv64-linux-gnu), else the host's `nm`.
 *
 * Only code symbols are used (types T t W w). An address resolves to the nearest symbol at or
 * below it, as gdb's `0x… in vm_notify ()`; past the last symbol or below the first it is unknown.
 *
 * Contract: loadGuestSymbols throws GuestSymbolsError with a one-line message (missing file, no nm,
 * no symbols); lookups never throw.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from './source-map';

export class GuestSymbolsError extends Error {}

export interface GuestSymbol {
  name: string;
  /** Address minus the symbol's start. */
  offset: bigint;
}

export class GuestSymbols {
  private readonly addrs: bigint[];
  private readonly names: string[];
  constructor(entries: readonly { addr: bigint; name: string }[]) {
    const sorted = [...entries].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.addrs = sorted.map((e) => e.addr);
    this.names = sorted.map((e) => e.name);
  }
  get size(): number {
    return this.addrs.length;
  }
  /** The symbol containing `addr`, or null. */
  lookup(addr: bigint): GuestSymbol | null {
    const a = this.addrs;
    let lo = 0;
    let hi = a.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0 || best === a.length - 1) return null; // no end known past the last symbol
    return { name: this.names[best], offset: addr - a[best] };
  }
}

const LINE = /^([0-9a-fA-F]+)\s+([TtWw])\s+(\S+)/;

/** Parse System.map / `nm -n` output (other lines and symbol types are skipped). */
export function parseSystemMap(text: string): GuestSymbols {
  const out: { addr: bigint; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (m !== null) out.push({ addr: BigInt(`0x${m[1]}`), name: m[3] });
  }
  return new GuestSymbols(out);
}

function runNm(file: string): string {
  for (const nm of ['riscv64-linux-gnu-nm', 'nm']) {
    const r = spawnSync(nm, ['-n', '--defined-only', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.error !== undefined) continue; // not installed
    if (r.status === 0) return r.stdout;
    if (nm === 'nm') throw new GuestSymbolsError(`${file}: ${nm} failed: ${(r.stderr || '').trim().split('\n')[0] || `exit ${r.status}`}`);
  }
  throw new GuestSymbolsError(`${file}: reading an ELF's symbols needs riscv64-linux-gnu-nm or nm (binutils)`);
}

/** Symbols from a System.map or an ELF file (see header). */
export function loadGuestSymbols(file: string): GuestSymbols {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new GuestSymbolsError(`${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const isElf = head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF';
  const syms = parseSystemMap(isElf ? runNm(file) : fs.readFileSync(file, 'utf8'));
  if (syms.size === 0) throw new GuestSymbolsError(`${file}: no code symbols (expected a System.map or an ELF with a symbol table)`);
  return syms;
}

/**
 * Guest symbols next to a kernel image, the way the guests here are laid out: System.map or vmlinux
 * beside `Image` (guest/linux/build.sh's output), or `build/NAME.elf` / `NAME.elf` beside a raw
 * `NAME.bin` (the default guest). Null when there is none or it cannot be read.
 */
export function findGuestSymbols(kernel: string): GuestSymbols | null {
  const dir = path.dirname(kernel);
  const base = path.basename(kernel).replace(/\.[^.]*$/, '');
  for (const c of [path.join(dir, 'System.map'), path.join(dir, 'vmlinux'), path.join(dir, 'build', `${base}.elf`), path.join(dir, `${base}.elf`)]) {
    if (!fs.existsSync(c)) continue;
    try {
      return loadGuestSymbols(c);
    } catch {
      // try the next candidate
    }
  }
  return null;
}

/** The kernel a vtrace command line booted (`-kernel FILE`, else the embedded default guest). */
export function kernelOfCommandLine(argv: readonly string[], cwd: string): string {
  const i = argv.indexOf('-kernel');
  if (i >= 0 && i + 1 < argv.length) return path.resolve(cwd, argv[i + 1]);
  return path.join(PACKAGE_ROOT, 'guest', 'default', 'default.bin');
}
