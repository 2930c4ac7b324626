/**
 * The bundled plugins' pieces that have an outside reference:
 * - biolatency's histogram is bcc's: bucket = bpf_log2l (0 and 1 in bucket 1, [2^(i-1), 2^i) in
 *   bucket i) and _print_log2_hist's layout (src/python/bcc/table.py), checked on a hand-built
 *   distribution against the text bcc prints for it;
 * - translation blocks end where TCG ends them: every instruction of the default guest's ELF, as
 *   GNU objdump decodes it, ends a block exactly when it is a branch, a jump, a SYSTEM-opcode
 *   instruction or fence.i;
 * - the bundled plugins type-check against the plugin API (tsc --checkJs on their JSDoc types).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { endsBlock } from '../../src/plugin/tb';
import { which } from '../guest/default/harness';
import { REPO } from '../helpers/spawn-guest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const biolatency = require('../../plugins/biolatency.js') as { log2Hist(v: number[], label: string, strip?: boolean): string; bucket(v: number): number };

describe('biolatency: bcc log2 histogram', () => {
  test('buckets as bpf_log2l', () => {
    expect([0, 0.5, 1, 2, 3, 4, 7, 8, 1023, 1024].map(biolatency.bucket)).toEqual([1, 1, 1, 2, 2, 3, 3, 4, 10, 11]);
  });

  test('the layout of _print_log2_hist', () => {
    const vals: number[] = [];
    vals[3] = 1; // 4 -> 7
    vals[5] = 4; // 16 -> 31
    vals[6] = 2; // 32 -> 63
    expect(biolatency.log2Hist(vals, 'usecs')).toBe(
      [
        '     usecs               : count     distribution',
        '         0 -> 1          : 0        |                                        |',
        '         2 -> 3          : 0        |                                        |',
        '         4 -> 7          : 1        |**********                              |',
        '         8 -> 15         : 0        |                                        |',
        '        16 -> 31         : 4        |****************************************|',
        '        32 -> 63         : 2        |********************                    |',
        '',
      ].join('\n'),
    );
    expect(biolatency.log2Hist(vals, 'usecs', true).split('\n')[1]).toMatch(/^ +4 -> 7 +: 1 /);
    expect(biolatency.log2Hist([], 'usecs')).toBe('');
  });
});

const OBJDUMP = which('riscv64-linux-gnu-objdump');

describe.skipIf(!OBJDUMP)('translation blocks end where TCG ends them', () => {
  test('every instruction of the default guest, classified by objdump', () => {
    const elf = path.join(REPO, 'guest', 'default', 'build', 'default.elf');
    const r = spawnSync(OBJDUMP!, ['-d', '-M', 'no-aliases', elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    let n = 0;
    let enders = 0;
    for (const line of r.stdout.split('\n')) {
      const m = /^\s+[0-9a-f]+:\s+([0-9a-f]{4,8})\s+(\S+)/.exec(line);
      if (m === null || m[2].startsWith('.')) continue;
      const size = m[1].length === 8 ? 4 : 2;
      const op = parseInt(m[1], 16);
      const mn = m[2];
      const control = /^(c\.)?(j|jal|jr|jalr|beq|bne|blt|bge|bltu|bgeu|beqz|bnez)$/.test(mn);
      const system = /^(ecall|ebreak|c\.ebreak|mret|sret|wfi|sfence\.vma|fence\.i|csrr[wsc]i?|unimp|c\.unimp)$/.test(mn);
      expect(endsBlock(op, size), `${line.trim()}`).toBe(control || system);
      n++;
      if (control || system) enders++;
    }
    expect(n).toBeGreaterThan(2000);
    expect(enders).toBeGreaterThan(200);
  });
});

describe('the bundled plugins type-check against the API', () => {
  test('tsc --checkJs plugins/*.js', { timeout: 120_000 }, () => {
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const files = ['biolatency', 'biosnoop', 'blktrace', 'execlog', 'hotblocks', 'syscount'].map((p) => path.join('plugins', `${p}.js`));
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--allowJs', '--checkJs', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--skipLibCheck', '--types', 'node', ...files], { cwd: REPO, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
