/**
 * riscv_trap through cpu-hooks.ts: the hook is null while the tracepoint is off (the trap entry's
 * one null check) and, on, emits QEMU's arguments: hart, async, cause, epc (the pc at the call),
 * tval from its halves, and riscv_cpu_get_trap_name's name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { VTRACE } from '../helpers/spawn-guest';
import { addTraceSink, type TraceEvent } from '../../src/trace/tracepoint';
import { applyTraceSpecs, disableAllTracepoints } from '../../src/trace/control';
import { cpuTraceHooks, trapName } from '../../src/trace/cpu-hooks';
import { installCpuHooks } from '../../src/trace/attach-machine';
import { warmUpInterpreter } from '../../src/target/riscv/warmup';
import { RiscvCpu } from '../../src/target/riscv/cpu';

afterEach(() => {
  disableAllTracepoints();
  installCpuHooks();
});

describe('riscv_trap', () => {
  test('off: the hook stays null; on: one event per trap with QEMU\'s arguments', () => {
    installCpuHooks();
    expect(cpuTraceHooks.riscv_trap).toBeNull();
    applyTraceSpecs([{ pattern: 'riscv_trap', enable: true }]);
    installCpuHooks();
    const events: TraceEvent[] = [];
    const remove = addTraceSink((ev) => events.push(ev));
    const hart = { hartId: 1, getPc: () => 0xffffffff80001234n };
    cpuTraceHooks.riscv_trap!(hart, 13, false, 0x1000, 0); // load page fault at 0x1000
    cpuTraceHooks.riscv_trap!(hart, 9, true, 0, 0); // supervisor external interrupt
    cpuTraceHooks.riscv_trap!(hart, 15, false, 0x80000000 | 0, 0xffffffff | 0); // tval beyond 2^53
    remove();
    expect(events.map((e) => [e.name, ...e.args])).toEqual([
      ['riscv_trap', 1, false, 13, 0xffffffff80001234n, 0x1000, 'load_page_fault'],
      ['riscv_trap', 1, true, 9, 0xffffffff80001234n, 0, 's_external'],
      ['riscv_trap', 1, false, 15, 0xffffffff80001234n, 0xffffffff80000000n, 'store_page_fault'],
    ]);
    disableAllTracepoints();
    installCpuHooks();
    expect(cpuTraceHooks.riscv_trap).toBeNull();
  });

  test('the interpreter warm-up (the first hart of the process) reports none of its traps, and leaves the hook as it was', () => {
    applyTraceSpecs([{ pattern: 'riscv_trap', enable: true }]);
    installCpuHooks();
    const installed = cpuTraceHooks.riscv_trap;
    const events: TraceEvent[] = [];
    const remove = addTraceSink((ev) => events.push(ev));
    try {
      const r = warmUpInterpreter((as) => new RiscvCpu({ hartId: 0, as, getTime: () => 0, warmup: false }));
      expect(r.ok).toBe(true);
      expect(r.instructions).toBeGreaterThan(0);
    } finally {
      remove();
    }
    expect(events).toEqual([]);
    expect(cpuTraceHooks.riscv_trap).toBe(installed);
  });

  test('trap names follow QEMU\'s riscv_cpu_get_trap_name', () => {
    expect(trapName(8, false)).toBe('user_ecall');
    expect(trapName(9, false)).toBe('supervisor_ecall');
    expect(trapName(11, false)).toBe('machine_ecall');
    expect(trapName(5, true)).toBe('s_timer');
    expect(trapName(64, false)).toBe('(unknown)');
  });

  test('end to end: vtrace run -d int -D FILE logs the default guest\'s traps as QEMU does', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-int-'));
    try {
      const log = path.join(tmp, 'int.log');
      const r = spawnSync(process.execPath, [VTRACE, 'run', '-d', 'int', '-D', log], { encoding: 'utf8', timeout: 120_000, input: '' });
      expect(r.status, r.stderr).toBe(0);
      const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('riscv_trap'));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/riscv_trap hart:0, async:[01], cause:\d+, epc:0x[0-9a-f]+, tval:0x[0-9a-f]+, desc=[a-z_]+/);
      // The default guest calls the SBI (ecalls from S) and takes the virtio-blk interrupt.
      expect(lines.some((l) => /desc=supervisor_ecall/.test(l))).toBe(true);
      expect(lines.some((l) => /async:1, .*desc=s_external/.test(l))).toBe(true);
      // The interpreter's warm-up program takes instruction access faults; the guest never does,
      // and the warm-up's traps are not reported as the guest's.
      expect(lines.some((l) => /desc=fault_fetch/.test(l))).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
