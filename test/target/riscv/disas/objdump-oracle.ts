/**
 * GNU objdump (binutils 2.40, `riscv64-linux-gnu-objdump`) as a test oracle for the
 * disassembler: encodings are written to a raw binary, disassembled with
 * `-D -b binary -m riscv:rv64` (whose default ISA is rv64gc: I, M, A, F, D, C, Zicsr,
 * Zifencei), and objdump's text is returned per encoding, normalized to `disassemble()`'s
 * format (see src/target/riscv/disas/index.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassemble, insnLength } from '../../../../src/target/riscv/disas';

export const OBJDUMP = 'riscv64-linux-gnu-objdump';

/** Whether the oracle is installed (Debian: binutils-riscv64-linux-gnu). */
export const haveObjdump: boolean = (() => {
  try {
    execFileSync(OBJDUMP, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export const SKIP_REASON = `${OBJDUMP} not installed (apt-get install binutils-riscv64-linux-gnu): objdump comparison skipped`;

export interface Mode {
  name: string;
  /** objdump -M options. */
  m: string[];
  aliases: boolean;
  abiNames: boolean;
}

export const MODES: readonly Mode[] = [
  { name: 'default', m: [], aliases: true, abiNames: true },
  { name: 'no-aliases', m: ['no-aliases'], aliases: false, abiNames: true },
  { name: 'numeric', m: ['numeric'], aliases: true, abiNames: false },
  { name: 'numeric,no-aliases', m: ['numeric', 'no-aliases'], aliases: false, abiNames: false },
];

/** objdump's line text normalized like disassemble(): one space after the mnemonic, no
 *  `<symbol+off>` annotation, no `# ...` comment. */
export function normalizeObjdumpText(text: string): string {
  return text
    .replace(/\s+#.*$/, '')
    .replace(/\s*<[^>]*>/g, '')
    .trim()
    .replace(/\t/, ' ');
}

/**
 * Disassemble `insns` (each a 16-bit parcel or 32-bit word, laid out back to back from `vma`)
 * with objdump in `mode`; returns objdump's normalized text per instruction.
 */
export function objdumpTexts(insns: readonly number[], mode: Mode, vma = 0x80000000n): string[] {
  const bytes: number[] = [];
  const offsets: number[] = [];
  for (const insn of insns) {
    offsets.push(bytes.length);
    const len = insnLength(insn);
    for (let k = 0; k < len; k++) bytes.push((insn >>> (8 * k)) & 0xff);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vtrace-disas-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, Buffer.from(bytes));
    const args = ['-D', '-b', 'binary', '-m', 'riscv:rv64', `--adjust-vma=0x${vma.toString(16)}`];
    if (mode.m.length > 0) args.push('-M', mode.m.join(','));
    const out = execFileSync(OBJDUMP, [...args, file], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const byAddr = new Map<bigint, string>();
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/.exec(line);
      if (m) byAddr.set(BigInt(`0x${m[1]}`), normalizeObjdumpText(m[2]!));
    }
    return offsets.map((off) => byAddr.get(vma + BigInt(off)) ?? '<missing from objdump output>');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Mismatch {
  insn: string;
  objdump: string;
  ours: string;
}

/** Compare disassemble() with objdump over `insns` laid out from `vma`; returns mismatches. */
export function compareWithObjdump(insns: readonly number[], mode: Mode, vma = 0x80000000n): Mismatch[] {
  const expected = objdumpTexts(insns, mode, vma);
  const bad: Mismatch[] = [];
  let pc = vma;
  insns.forEach((insn, k) => {
    const ours = disassemble(insn, pc, { aliases: mode.aliases, abiNames: mode.abiNames });
    if (ours !== expected[k]) {
      const width = insnLength(insn) === 2 ? 4 : 8;
      bad.push({ insn: (insn >>> 0).toString(16).padStart(width, '0'), objdump: expected[k]!, ours });
    }
    pc += BigInt(insnLength(insn));
  });
  return bad;
}

/** A readable failure message listing the first mismatches. */
export function formatMismatches(bad: readonly Mismatch[], limit = 40): string {
  const lines = bad.slice(0, limit).map((m) => `${m.insn}: objdump "${m.objdump}" ours "${m.ours}"`);
  if (bad.length > limit) lines.push(`... and ${bad.length - limit} more`);
  return `${bad.length} mismatches:\n${lines.join('\n')}`;
}
