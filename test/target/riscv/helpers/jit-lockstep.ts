/**
 * Lockstep of the block compiler (jit.ts) against the interpreter: the same program runs on two
 * benches, one interpreting only, one compiling blocks with the given thresholds, and their
 * states are compared at the end of every run(k) slice (k random): pc, all registers, privilege,
 * trap CSRs, instret. The JIT bench must also have compiled something.
 */
import { expect } from 'vitest';
import { assembleTest, makeBench, type Bench } from './machine';
import { getJitThresholds, getJitTier2Calls, setJitThreshold } from '../../../../src/target/riscv/jit';
import { getJitParking, setJitParking } from '../../../../src/target/riscv/jit-park';

export interface LockstepOptions {
  /** setJitThreshold arguments for the JIT bench: [threshold, loopThreshold, tier2Calls]. */
  jit: [number, number, number];
  /** Largest slice (instructions per run() call); slices are 1..maxSlice. */
  maxSlice: number;
  seed?: number;
}

function rng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed;
  };
}

export function state(b: Bench): string[] {
  const c = b.cpu;
  const s = [`pc=${c.getPc().toString(16)}`, `instret=${c.instret}`, `priv=${c.priv}`];
  for (let i = 1; i < 32; i++) s.push(`x${i}=${c.getGpr(i).toString(16)}`);
  for (const csr of [0x300, 0x341, 0x342, 0x343, 0x344, 0x100, 0x141, 0x142, 0x143]) s.push(`csr${csr.toString(16)}=${c.getCsr(csr)!.toString(16)}`);
  return s;
}

/** Run `body` (a harness program defining `test:`) in lockstep; returns the JIT bench's output. */
export function runLockstep(body: string, opts: LockstepOptions): { out: string; jit: Bench } {
  const asm = assembleTest(body);
  const saved: [number, number, number] = [...getJitThresholds(), getJitTier2Calls()];
  const parking = getJitParking();
  setJitParking(false); // compiled blocks keep running (jit-park.ts would hand them back to the interpreter)
  try {
    setJitThreshold(0);
    const interp = makeBench(asm.bin);
    setJitThreshold(...opts.jit);
    const jit = makeBench(asm.bin);
    const next = rng(opts.seed ?? 12345);
    let guard = 0;
    while (!interp.finished() && guard++ < 50000) {
      const k = 1 + (next() % opts.maxSlice);
      setJitThreshold(0);
      const r1 = interp.cpu.run(k);
      setJitThreshold(...opts.jit);
      const r2 = jit.cpu.run(k);
      expect(r2.kind).toBe(r1.kind);
      expect(state(jit)).toEqual(state(interp));
    }
    expect(interp.finished()).toBe(true);
    expect(jit.out()).toBe(interp.out());
    expect(jit.cpu.codeCache.pages.some((p) => p !== undefined && p.heads.length > 0)).toBe(true);
    return { out: jit.out(), jit };
  } finally {
    setJitThreshold(...saved);
    setJitParking(parking);
  }
}
