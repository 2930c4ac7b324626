/**
 * The lockstep must not pass by accident: inject one divergence at a time into our hart (a GPR, an
 * FPR, fcsr, mstatus, a byte of the compared RAM) and check it is reported at that very step.
 */
import { expect, test } from 'vitest';
import { buildProgram } from './build';
import { Dut, loadCpuCtor } from './dut';
import { toolsMissing } from './harness';
import { runLockstep } from './lockstep';
import { randomProgram } from './programs/random';

const AT = 150;
/** `late`: RAM is compared after memory instructions only, so a change shows at the next one. */
const INJECT: Record<string, { field: RegExp; apply: (d: Dut) => void; late?: boolean }> = {
  gpr: { field: /^x9\/s1$/, apply: (d) => d.cpu.setGpr(9, d.cpu.getGpr(9) ^ 1n) },
  fpr: { field: /^f3\/ft3$/, apply: (d) => d.cpu.setFpr(3, d.cpu.getFpr(3) ^ 1n) },
  fcsr: { field: /^fcsr$/, apply: (d) => d.cpu.setCsr(0x003, d.cpu.getCsr(0x003)! ^ 1n) },
  mstatus: { field: /^mstatus$/, apply: (d) => d.cpu.setCsr(0x300, d.cpu.getCsr(0x300)! ^ (1n << 21n)) }, // TW: not in sstatus
  ram: { field: /^mem\[0x0+80100020\]$/, apply: (d) => void (d.as.ram.u8[0x100000 + 0x21] ^= 1), late: true },
};

test('an injected divergence is reported at the step it happens', { timeout: 120_000 }, async (ctx) => {
  const missing = toolsMissing();
  if (missing) return ctx.skip(missing);
  const cpu = await loadCpuCtor();
  if (!('ctor' in cpu)) return ctx.skip(`needs our hart: ${cpu.reason}`);
  const prog = buildProgram('random-mixed-11', randomProgram(11, 200));
  for (const [name, inj] of Object.entries(INJECT)) {
    const dut = new Dut(cpu.ctor, prog.image);
    const step = dut.cpu.step.bind(dut.cpu);
    let n = 0;
    dut.cpu.step = () => {
      const r = step();
      if (++n === AT) inj.apply(dut);
      return r;
    };
    const r = await runLockstep(prog, dut, { maxSteps: 10_000 });
    expect(r.mismatches.length, name).toBe(1);
    if (inj.late) expect(r.mismatches[0].step, name).toBeGreaterThanOrEqual(AT);
    else expect(r.mismatches[0].step, name).toBe(AT);
    expect(r.mismatches[0].diffs.map((d) => d.field), name).toEqual([expect.stringMatching(inj.field)]);
  }
});
