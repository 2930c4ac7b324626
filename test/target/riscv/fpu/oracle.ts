/**
 * The QEMU oracle: builds oracle/fpu-oracle.c with riscv64-linux-gnu-gcc (static) and runs it
 * under qemu-riscv64 on batches of records (see the C file for the record format).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CC = 'riscv64-linux-gnu-gcc';
export const QEMU = 'qemu-riscv64';

/** Returns why the oracle cannot run, or null if it can. */
export function oracleMissing(): string | null {
  for (const tool of [CC, QEMU]) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) {
      return `${tool} not found (install Debian's qemu-user and gcc-riscv64-linux-gnu)`;
    }
  }
  return null;
}

export interface Oracle {
  bin: string;
  dir: string;
  dispose(): void;
}

export function buildOracle(): Oracle {
  const dir = mkdtempSync(join(tmpdir(), 'vtrace-fpu-oracle-'));
  const bin = join(dir, 'fpu-oracle');
  const src = join(__dirname, 'oracle', 'fpu-oracle.c');
  const r = spawnSync(CC, ['-static', '-O1', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the oracle failed: ${r.stderr || r.error}`);
  return { bin, dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Input words per record / output words per record (int32). */
export const IN_WORDS = 12;
export const OUT_WORDS = 6;

/** A growable batch of input records, as int32 words. */
export class Records {
  words = new Int32Array(IN_WORDS * 65536);
  n = 0;

  push(insn: number, frm: number, f11: bigint, f12: bigint, f13: bigint, x11: bigint, f10: bigint): void {
    if ((this.n + 1) * IN_WORDS > this.words.length) {
      const w = new Int32Array(this.words.length * 2);
      w.set(this.words);
      this.words = w;
    }
    const w = this.words;
    const o = this.n * IN_WORDS;
    w[o] = insn | 0;
    w[o + 1] = frm;
    put64(w, o + 2, f11);
    put64(w, o + 4, f12);
    put64(w, o + 6, f13);
    put64(w, o + 8, x11);
    put64(w, o + 10, f10);
    this.n++;
  }
}

function put64(w: Int32Array, o: number, v: bigint): void {
  w[o] = Number(v & 0xffffffffn) | 0;
  w[o + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/** Runs the records through QEMU; returns the output words (OUT_WORDS per record). */
export function runOracle(o: Oracle, recs: Records): Int32Array {
  const input = Buffer.from(recs.words.buffer, 0, recs.n * IN_WORDS * 4);
  const r = spawnSync(QEMU, [o.bin], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`oracle failed: status ${r.status} ${r.stderr?.toString()} ${r.error ?? ''}`);
  const out: Buffer = r.stdout;
  if (out.length !== recs.n * OUT_WORDS * 4) throw new Error(`oracle returned ${out.length} bytes for ${recs.n} records`);
  const aligned = new Int32Array(recs.n * OUT_WORDS);
  new Uint8Array(aligned.buffer).set(out);
  return aligned;
}
