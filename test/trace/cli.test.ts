/** -trace / -D / -d / -msg on the command line (QEMU's spellings), and `-trace help`. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { CliError, parseQemuArgs } from '../../src/cli/qemu-options';
import { VTRACE } from '../helpers/spawn-guest';
import { allTracepoints } from '../../src/trace/generated/tracepoints';

describe('trace options', () => {
  test('patterns, enable=, events=FILE, -d trace:, -D, -msg timestamp=on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-ev-'));
    const ev = path.join(dir, 'events');
    fs.writeFileSync(ev, '# mine\nvirtio_*\n-virtio_mmio_*\n');
    const o = parseQemuArgs(['-trace', 'virtio_blk_*', '-trace', 'enable=thread_pool_*', '-trace', `events=${ev}`, '-d', 'trace:qemu_coroutine_*', '-D', 't.log', '-msg', 'timestamp=on']);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(o.trace.specs).toEqual([
      { pattern: 'virtio_blk_*', enable: true },
      { pattern: 'thread_pool_*', enable: true },
      { pattern: 'virtio_*', enable: true },
      { pattern: 'virtio_mmio_*', enable: false },
      { pattern: 'qemu_coroutine_*', enable: true },
    ]);
    expect(o.trace.logFile).toBe('t.log');
    expect(o.trace.timestamp).toBe(true);
  });

  test('-trace file=FILE maps to -D FILE with a note', () => {
    const o = parseQemuArgs(['-trace', 'virtio_*,file=x.log']);
    expect(o.trace.logFile).toBe('x.log');
    expect(o.notes.join('\n')).toMatch(/-trace file=x.log: .*log backend/);
  });

  test('-d int enables riscv_trap (interrupts and exceptions)', () => {
    const o = parseQemuArgs(['-d', 'int,trace:virtio_notify']);
    expect(o.trace.specs.map((p) => p.pattern)).toEqual(['riscv_trap', 'virtio_notify']);
  });

  test('bad input: one clear error', () => {
    expect(() => parseQemuArgs(['-d', 'cpu'])).toThrow(CliError);
    expect(() => parseQemuArgs(['-d', 'in_asm'])).toThrow(/-d in_asm: item 'in_asm'/);
    expect(() => parseQemuArgs(['-trace', 'events=/nonexistent/ev'])).toThrow(/events=\/nonexistent\/ev: cannot read/);
    expect(() => parseQemuArgs(['-trace', 'x,bogus=1'])).toThrow(/Invalid parameter 'bogus'/);
  });

  test('vtrace run -trace help lists every event and exits 0', () => {
    const r = spawnSync(process.execPath, [VTRACE, 'run', '-trace', 'help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(allTracepoints.map((t) => t.name));
  });
});
