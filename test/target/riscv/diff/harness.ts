/**
 * What each differential test calls: build the program, run it in lockstep on QEMU and our hart,
 * fail with a readable report on mismatches. Skips (with the reason) when qemu-system-riscv64 or the
 * cross compiler is missing; without a usable RiscvCpu it still runs the QEMU side to the end (so
 * the harness and programs stay validated) and then marks the test skipped with the reason.
 *
 * Environment: VTRACE_DIFF_MAX_MISMATCHES=N collects up to N mismatches per program (resyncing our
 * hart to QEMU after each) instead of stopping at the first; VTRACE_DIFF_QEMU_ONLY=1 ignores cpu.ts;
 * VTRACE_DIFF_TRACE=1 writes QEMU's instruction trace next to the built program (qemu-trace.txt).
 */
import type { TestContext } from 'vitest';
import { buildProgram, haveCrossCompiler, CC } from './build';
import { Dut, loadCpuCtor } from './dut';
import { runLockstep, type LockstepOptions, type LockstepResult } from './lockstep';
import { haveQemu, QEMU } from './qemu';

export const toolsMissing = (): string | undefined =>
  !haveQemu()
    ? `${QEMU} not found (apt-get install qemu-system-misc)`
    : !haveCrossCompiler()
      ? `${CC} not found (apt-get install gcc-riscv64-linux-gnu)`
      : undefined;

export interface DiffOptions extends Partial<LockstepOptions> {
  /** QEMU-side sanity check on the run (e.g. that the expected traps happened). */
  checkQemu?: (r: LockstepResult) => void;
}

export async function diffProgram(ctx: TestContext, name: string, source: string, opts: DiffOptions = {}): Promise<LockstepResult> {
  const missing = toolsMissing();
  if (missing) {
    console.warn(`[riscv diff] ${name}: skipped: ${missing}`);
    ctx.skip(missing);
  }
  const prog = buildProgram(name, source);
  const cpu = await loadCpuCtor();
  const dut = 'ctor' in cpu ? new Dut(cpu.ctor, prog.image) : undefined;
  const envMax = Number(process.env.VTRACE_DIFF_MAX_MISMATCHES ?? '');
  const r = await runLockstep(prog, dut, {
    maxSteps: opts.maxSteps ?? 50_000,
    fullEvery: opts.fullEvery,
    interrupts: opts.interrupts,
    traceFile: process.env.VTRACE_DIFF_TRACE ? `${prog.dir}/qemu-trace.txt` : undefined,
    maxMismatches: Number.isFinite(envMax) && envMax > 0 ? envMax : (opts.maxMismatches ?? 1),
  });
  for (const q of r.quirks) console.warn(`[riscv diff] ${name}: ${q.report}`);
  if (r.mismatches.length) {
    throw new Error(`${r.mismatches.length} mismatch(es) against QEMU (program: ${prog.dir}/prog.S)\n\n` + r.mismatches.map((m) => m.report).join('\n\n'));
  }
  if (!r.reachedEnd) throw new Error(`${name}: did not reach __diff_end within ${r.steps} steps (pc ${r.final.pc.toString(16)})`);
  opts.checkQemu?.(r);
  if (!('ctor' in cpu)) {
    const note = `lockstep skipped: ${cpu.reason}; QEMU side ran ${r.steps} steps to __diff_end`;
    console.warn(`[riscv diff] ${name}: ${note}`);
    ctx.skip(note);
  }
  return r;
}
