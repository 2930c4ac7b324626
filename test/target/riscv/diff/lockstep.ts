/**
 * Lockstep of our hart against QEMU, one instruction at a time (DESIGN.md §6): QEMU runs its reset
 * ROM up to 0x8000_0000, our hart starts there with QEMU's registers, then both step until the
 * program reaches `__diff_end`. After every step pc, priv, all GPRs, FPRs and the CSRs of state.ts
 * are compared, and the physical range [__diff_mem_start, __diff_mem_end) after memory
 * instructions and traps. Without a DUT the same loop validates the QEMU side alone.
 */
import * as fs from 'node:fs';
import type { Program } from './build';
import { Dut } from './dut';
import { classify, type InsnClass } from './insn-class';
import { QemuInstance } from './qemu';
import { QemuState } from './qemu-state';
import { matchQuirk } from './quirks';
import { CSR_BY_NAME, FPR_NAMES, GPR_NAMES, PRIV_NAMES, cloneState, describeCause, diffStates, hex, type FieldDiff, type HartState } from './state';

export interface LockstepOptions {
  maxSteps: number;
  /** Re-read every FPR and CSR from QEMU this often (catches anything the classifier missed). */
  fullEvery?: number;
  /** Record up to this many mismatches, resyncing our hart to QEMU after each (default 1: stop at the first). */
  maxMismatches?: number;
  /**
   * Let QEMU take interrupts while single-stepping (`Qqemu.sstep=1`; the default 0x7 also sets
   * NOIRQ and NOTIMER). An interrupt entry is then a step of its own, as in our hart's step() with
   * stepMasksInterrupts off (set here to match).
   */
  interrupts?: boolean;
  /** Write QEMU's instruction trace (pc, priv, disassembly, traps) to this file. */
  traceFile?: string;
}

export interface Mismatch {
  step: number;
  pc: bigint;
  bits: number | undefined;
  disasm: string;
  priv: number;
  diffs: FieldDiff[];
  report: string;
}

export interface LockstepResult {
  steps: number;
  reachedEnd: boolean;
  /** Trap entries seen on QEMU's side, by cause (for the QEMU-side sanity checks). */
  traps: bigint[];
  mismatches: Mismatch[];
  /** Mismatches explained by a known QEMU deviation from the spec (quirks.ts); not failures. */
  quirks: Mismatch[];
  final: HartState;
}

const ENTRY = 0x8000_0000n;

function trapVectors(s: HartState): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  for (const name of ['mtvec', 'stvec']) {
    const v = s.csr.get(CSR_BY_NAME.get(name)!.num) ?? 0n;
    const base = v & ~3n;
    out.push([base, (v & 3n) === 1n ? base + 4n * 64n : base + 1n]);
  }
  return out;
}

function diffMem(base: bigint, exp: Uint8Array, act: Uint8Array): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (let off = 0; off < exp.length && out.length < 8; off += 8) {
    let same = true;
    for (let i = off; i < off + 8 && i < exp.length; i++) if (exp[i] !== act[i]) same = false;
    if (same) continue;
    const word = (b: Uint8Array) => Array.from(b.subarray(off, off + 8)).reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
    out.push({ field: `mem[${hex(base + BigInt(off))}]`, expected: '0x' + word(exp), actual: '0x' + word(act) });
  }
  return out;
}

/** Register names used by an instruction, from its disassembly. */
function operandNames(disasm: string): string[] {
  const args = disasm.split(' ').slice(1).join(' ');
  const names = new Set<string>();
  for (const tok of args.split(/[^a-z0-9]+/)) if (GPR_NAMES.includes(tok) || FPR_NAMES.includes(tok)) names.add(tok);
  return [...names];
}

function formatReport(prog: Program, m: Omit<Mismatch, 'report'>, before: HartState, recent: string[]): string {
  const lines: string[] = [];
  const bits = m.bits === undefined ? '(unfetchable)' : '0x' + m.bits.toString(16).padStart(m.bits > 0xffff ? 8 : 4, '0');
  lines.push(`lockstep mismatch in '${prog.name}' at step ${m.step} (QEMU is the reference):`);
  lines.push(`  insn  ${hex(m.pc)}: ${bits}  ${m.disasm}   [priv ${PRIV_NAMES[m.priv]}]`);
  const ops = operandNames(m.disasm).map((n) => {
    const gi = GPR_NAMES.indexOf(n);
    return gi >= 0 ? `${n}=${hex(before.x[gi])}` : `${n}=${hex(before.f[FPR_NAMES.indexOf(n)])}`;
  });
  const fcsr = before.csr.get(0x003);
  if (ops.length) lines.push(`  operands before: ${ops.join(' ')}${fcsr !== undefined ? ` fcsr=0x${fcsr.toString(16)}` : ''}`);
  lines.push(`  ${'field'.padEnd(22)} ${'expected (QEMU)'.padEnd(20)} actual (ours)`);
  for (const d of m.diffs) lines.push(`  ${d.field.padEnd(22)} ${d.expected.padEnd(20)} ${d.actual}`);
  for (const name of ['mcause', 'scause']) {
    if (m.diffs.some((d) => d.field === name)) {
      const e = m.diffs.find((d) => d.field === name)!;
      const show = (v: string) => (v.startsWith('0x') ? describeCause(BigInt(v)) : v);
      lines.push(`  (${name}: expected ${show(e.expected)}, actual ${show(e.actual)})`);
    }
  }
  if (recent.length) lines.push('  preceding instructions:', ...recent.map((r) => '    ' + r));
  return lines.join('\n');
}

export async function runLockstep(prog: Program, dut: Dut | undefined, opts: LockstepOptions): Promise<LockstepResult> {
  const end = prog.symbols.get('__diff_end');
  if (end === undefined) throw new Error(`${prog.name}: no __diff_end symbol`);
  const memStart = prog.symbols.get('__diff_mem_start');
  const memEnd = prog.symbols.get('__diff_mem_end');
  const mem = memStart !== undefined && memEnd !== undefined && memEnd > memStart ? { addr: memStart, len: Number(memEnd - memStart) } : undefined;
  const fullEvery = opts.fullEvery ?? 256;
  const maxMismatches = opts.maxMismatches ?? 1;
  const imageEnd = ENTRY + BigInt(prog.image.length);

  const qemu = await QemuInstance.start(prog.bin);
  const result: LockstepResult = { steps: 0, reachedEnd: false, traps: [], mismatches: [], quirks: [], final: undefined as unknown as HartState };
  try {
    const q = new QemuState(qemu.gdb);
    await q.init();
    if (opts.interrupts) {
      const r = await qemu.gdb.request('Qqemu.sstep=1');
      if (r !== 'OK') throw new Error(`Qqemu.sstep=1 → ${r}`);
    }
    // Our hart's step() masks interrupts as QEMU's default does; with `interrupts` both take them.
    if (dut) dut.cpu.stepMasksInterrupts = !opts.interrupts;
    await q.runTo(ENTRY);
    let qMem = await q.full(mem);
    const recent: string[] = [];
    const trace: string[] | undefined = opts.traceFile ? [] : undefined;

    const fetchBits = (pc: bigint): number | undefined => {
      if (pc >= ENTRY && pc + 4n <= imageEnd) {
        const o = Number(pc - ENTRY);
        const low = prog.image[o] | (prog.image[o + 1] << 8);
        return (low & 3) !== 3 ? low : (low | (prog.image[o + 2] << 16) | (prog.image[o + 3] << 24)) >>> 0;
      }
      return dut?.fetch(pc);
    };

    const check = (step: number, pc: bigint, bits: number | undefined, before: HartState, memBytes: Uint8Array | undefined): boolean => {
      if (!dut) return true;
      const ours = dut.snapshot();
      const diffs = diffStates(q.s, ours);
      if (mem && memBytes) diffs.push(...diffMem(mem.addr, memBytes, dut.readPhys(mem.addr, mem.len)));
      if (diffs.length === 0) return true;
      const m = { step, pc, bits, disasm: prog.disasm.get(pc) ?? '(no disassembly: not in the image)', priv: before.priv, diffs };
      const quirk = matchQuirk(bits, before, q.s, ours, diffs);
      if (quirk) {
        result.quirks.push({ ...m, report: `known QEMU deviation ${quirk.id}: ${quirk.why}\n${formatReport(prog, m, before, recent)}` });
        dut.resync(q.s, mem && memBytes ? { addr: mem.addr, bytes: memBytes } : undefined);
        return true;
      }
      result.mismatches.push({ ...m, report: formatReport(prog, m, before, recent) });
      if (result.mismatches.length >= maxMismatches) return false;
      dut.resync(q.s, mem && memBytes ? { addr: mem.addr, bytes: memBytes } : undefined);
      return true;
    };

    if (dut) {
      for (let i = 1; i < 32; i++) dut.cpu.setGpr(i, q.s.x[i]);
      if (!check(0, ENTRY, fetchBits(ENTRY), cloneState(q.s), qMem)) {
        result.final = cloneState(q.s);
        return result;
      }
    }

    for (let step = 1; step <= opts.maxSteps; step++) {
      const pc = q.s.pc;
      if (pc === end) {
        result.reachedEnd = true;
        break;
      }
      const bits = fetchBits(pc);
      const cls: InsnClass = bits === undefined ? { len: 4, mem: true, fpRd: -1, fp: true, system: true } : classify(bits);
      const before = cloneState(q.s);
      const periodic = step % fullEvery === 0;

      await q.step();
      // Memory changes only through memory instructions (stores, AMOs, A/D updates of their walks).
      const wantMem = mem && (cls.mem || periodic) ? mem : undefined;
      qMem = await q.refresh({
        fpRd: cls.fpRd, fp: cls.fp, fpAll: periodic || bits === undefined, mem: wantMem,
        csrs: (cls.system && cls.csr === undefined) || periodic, csr: cls.csr,
      });
      const allCsrsRead = (cls.system && cls.csr === undefined) || periodic;
      const atVector = trapVectors(before).some(([lo, hi]) => q.s.pc >= lo && q.s.pc < hi);
      const trapped = atVector && q.s.priv >= before.priv && q.s.pc !== before.pc + BigInt(cls.len);
      if ((atVector || q.s.priv !== before.priv) && !allCsrsRead) qMem = await q.refresh({ csrs: true, mem });
      if (trapped) {
        const cause = q.s.priv === 3 ? q.s.csr.get(0x342) : q.s.csr.get(0x142);
        if (cause !== undefined) result.traps.push(cause);
      }

      result.steps = step;
      let ok: boolean;
      try {
        dut?.cpu.step();
        ok = check(step, pc, bits, before, qMem);
      } catch (e) {
        const m = { step, pc, bits, disasm: prog.disasm.get(pc) ?? '?', priv: before.priv, diffs: [{ field: 'step()', expected: 'returns', actual: `throws ${String(e)}` }] };
        result.mismatches.push({ ...m, report: formatReport(prog, m, before, recent) + `\n  ${(e as Error).stack ?? ''}` });
        ok = false;
      }
      const line = `${hex(pc)}: ${prog.disasm.get(pc) ?? '?'}${trapped ? `   → trap (${describeCause(result.traps[result.traps.length - 1] ?? 0n)})` : ''}`;
      recent.push(line);
      if (trace) {
        const changed = q.s.x.flatMap((v, i) => (v !== before.x[i] ? [`${GPR_NAMES[i]}=${hex(v)}`] : []));
        changed.push(...q.s.f.flatMap((v, i) => (v !== before.f[i] ? [`${FPR_NAMES[i]}=${hex(v)}`] : [])));
        for (const [n, v] of q.s.csr) if (v !== before.csr.get(n)) changed.push(`csr${n.toString(16)}=${hex(v)}`);
        trace.push(`${String(step).padStart(6)} ${PRIV_NAMES[before.priv]} ${line}${changed.length ? '   ; ' + changed.join(' ') : ''}`);
      }
      if (recent.length > 6) recent.shift();
      if (!ok) break;
    }
    if (result.reachedEnd && dut && result.mismatches.length < maxMismatches) {
      const memBytes = await q.full(mem);
      check(result.steps + 1, q.s.pc, undefined, cloneState(q.s), memBytes);
    }
    result.final = cloneState(q.s);
    if (opts.traceFile && trace) fs.writeFileSync(opts.traceFile, trace.join('\n') + '\n');
    return result;
  } finally {
    await qemu.stop();
  }
}
