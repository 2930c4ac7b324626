/**
 * Assemble tiny RV64GC programs at test time with GNU binutils (riscv64-linux-gnu-as/ld/objcopy,
 * Debian package binutils-riscv64-linux-gnu). Programs are linked at 0x80000000 (the RAM base of
 * QEMU's virt) and returned both as a flat binary (for our bus) and as an ELF path (for QEMU).
 * Results are cached per source text under the OS temp dir.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE = join(tmpdir(), 'vtrace-riscv-asm');

const LINKER_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.start) *(.text*) }
  . = ALIGN(4096);
  .data : { *(.data*) *(.rodata*) *(.sdata*) }
  .bss : { *(.bss*) *(.sbss*) *(COMMON) }
}
`;

/** Page-table macro for test programs: `PTE table, index, reg, flags` stores table[index] = PPN(reg) | flags. */
export const PTE_MACRO = `
.macro PTE table, index, reg, flags
  srli t0, \\reg, 12
  slli t0, t0, 10
  li t1, \\flags
  or t0, t0, t1
  la t1, \\table
  li t2, (\\index) * 8
  add t1, t1, t2
  sd t0, 0(t1)
.endm
`;

export function haveBinutils(): boolean {
  try {
    execFileSync('riscv64-linux-gnu-as', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Assembled {
  /** Flat image to load at 0x80000000. */
  bin: Uint8Array;
  /** The linked ELF (for running the same program under QEMU). */
  elf: string;
  /** Symbol table: name → address. */
  symbols: Map<string, bigint>;
}

/** Assemble and link `source` (GNU as syntax, -march=rv64gc). Throws with the assembler's message. */
export function assemble(source: string): Assembled {
  const key = createHash('sha1').update(LINKER_SCRIPT).update(source).digest('hex').slice(0, 16);
  const dir = join(CACHE, key);
  const elf = join(dir, 'prog.elf');
  const binPath = join(dir, 'prog.bin');
  const symPath = join(dir, 'prog.sym');
  if (!existsSync(binPath)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prog.S'), source);
    writeFileSync(join(dir, 'link.ld'), LINKER_SCRIPT);
    const run = (cmd: string, args: string[]) => {
      try {
        execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        const err = e as { stderr?: Buffer };
        throw new Error(`${cmd} failed:\n${err.stderr?.toString() ?? String(e)}`);
      }
    };
    run('riscv64-linux-gnu-as', ['-march=rv64gc', '-mabi=lp64d', '-o', 'prog.o', 'prog.S']);
    run('riscv64-linux-gnu-ld', ['--no-warn-rwx-segments', '-T', 'link.ld', '-o', 'prog.elf', 'prog.o']);
    run('riscv64-linux-gnu-objcopy', ['-O', 'binary', 'prog.elf', 'prog.bin.tmp']);
    const nm = execFileSync('riscv64-linux-gnu-nm', ['prog.elf'], { cwd: dir }).toString();
    writeFileSync(symPath, nm);
    execFileSync('mv', ['prog.bin.tmp', 'prog.bin'], { cwd: dir });
  }
  const symbols = new Map<string, bigint>();
  for (const line of readFileSync(symPath, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) \w (\S+)$/.exec(line);
    if (m) symbols.set(m[2], BigInt('0x' + m[1]));
  }
  return { bin: new Uint8Array(readFileSync(binPath)), elf, symbols };
}
