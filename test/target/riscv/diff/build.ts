/**
 * Build a test program from RISC-V assembly with Debian's cross toolchain (gcc-riscv64-linux-gnu):
 * a static, non-PIE image linked at 0x8000_0000 (where QEMU virt's reset ROM jumps with
 * -bios none), flattened to a raw binary that both QEMU (-kernel) and our RAM load verbatim.
 * Code and read-only data come first; .data starts at DATA_BASE (code must stay under 1 MiB).
 * Builds are cached by content hash in the OS temp directory.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CC = 'riscv64-linux-gnu-gcc';
const OBJCOPY = 'riscv64-linux-gnu-objcopy';
const OBJDUMP = 'riscv64-linux-gnu-objdump';
const NM = 'riscv64-linux-gnu-nm';
export const LOAD_ADDR = 0x8000_0000n;
/** Part of the cache key: bump when the build's outputs change. */
const BUILD_VERSION = '2';

/** Where .data starts: fixed, so programs can compute page-table entries for it in advance. */
export const DATA_BASE = 0x8010_0000;

const LINKER_SCRIPT = `OUTPUT_ARCH(riscv)
DATA_BASE = 0x${DATA_BASE.toString(16)};
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) *(.srodata .srodata.*) }
  .data DATA_BASE : { *(.data .data.*) *(.sdata .sdata.*) }
  .bss : { *(.bss .bss.*) *(.sbss .sbss.*) *(COMMON) }
  /DISCARD/ : { *(.note*) *(.comment) *(.riscv.attributes) *(.eh_frame*) }
}
`;

export function haveCrossCompiler(): boolean {
  return spawnSync(CC, ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface Program {
  name: string;
  dir: string;
  elf: string;
  bin: string;
  /** The flat image, loaded at LOAD_ADDR. */
  image: Uint8Array;
  /** Global and local symbols (name → address). */
  symbols: Map<string, bigint>;
  /** Disassembly text by instruction address, for reports. */
  disasm: Map<bigint, string>;
}

/** Assemble and link `source` (GNU as syntax, must define `_start`). */
export function buildProgram(name: string, source: string): Program {
  const hash = createHash('sha256').update(BUILD_VERSION).update(LINKER_SCRIPT).update(source).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'vtrace-riscv-diff', `${name}-${hash}`);
  const elf = path.join(dir, 'prog.elf');
  const bin = path.join(dir, 'prog.bin');
  if (!fs.existsSync(bin)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'prog.S'), source);
    fs.writeFileSync(path.join(tmp, 'link.ld'), LINKER_SCRIPT);
    const r = spawnSync(
      CC,
      ['-nostdlib', '-nostartfiles', '-static', '-no-pie', '-march=rv64gc', '-mabi=lp64d', '-Wl,--build-id=none',
        '-T', 'link.ld', '-o', 'prog.elf', 'prog.S'],
      { cwd: tmp, encoding: 'utf8' },
    );
    if (r.status !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`assembling ${name} failed:\n${r.stderr}`);
    }
    execFileSync(OBJCOPY, ['-O', 'binary', 'prog.elf', 'prog.bin'], { cwd: tmp });
    // objdump is slow on these programs (one ISA mapping symbol per `.option norvc` group): once per build.
    fs.writeFileSync(path.join(tmp, 'prog.dis'), execFileSync(OBJDUMP, ['-D', '-M', 'no-aliases', '-j', '.text', '-j', '.data', 'prog.elf'],
      { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 }));
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another worker won the race
    }
  }
  return {
    name,
    dir,
    elf,
    bin,
    image: new Uint8Array(fs.readFileSync(bin)),
    symbols: readSymbols(elf),
    disasm: readDisasm(path.join(dir, 'prog.dis')),
  };
}

function readSymbols(elf: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of execFileSync(NM, [elf], { encoding: 'utf8' }).split('\n')) {
    const m = /^([0-9a-f]+) \S (\S+)$/.exec(line);
    if (m) out.set(m[2], BigInt('0x' + m[1]));
  }
  return out;
}

function readDisasm(file: string): Map<bigint, string> {
  const out = new Map<bigint, string>();
  const text = fs.readFileSync(file, 'utf8');
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(.*)$/.exec(line);
    if (m) out.set(BigInt('0x' + m[1]), m[3].replace(/\s+/g, ' ').trim());
  }
  return out;
}
