/**
 * `vtrace run` with no guest arguments boots the embedded default guest: every check passes, the
 * guest powers off, vtrace exits 0, and the machine-independent part of the console output is
 * the same transcript real QEMU produces (test/guest/default/expected/no-disk.txt).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { ALL_PASSED, run, stableLines } from '../guest/default/harness';
import { VTRACE } from '../helpers/spawn-guest';

const expected = fs.readFileSync(path.join(__dirname, '..', 'guest', 'default', 'expected', 'no-disk.txt'), 'latin1');

test('vtrace run boots the default guest, all checks pass, exit status 0, same transcript as QEMU', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, [VTRACE, 'run'], 110_000);
  const diag = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.stdout, diag).toMatch(ALL_PASSED);
  expect(r.code, diag).toBe(0);
  expect(stableLines(r.stdout).join('\n') + '\n').toBe(expected);
});

test('the default guest runs the same on -smp 2 and under -bios none is refused cleanly', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, [VTRACE, 'run', '-smp', '2', '-m', '256M'], 110_000);
  expect(r.stdout, r.stderr).toMatch(ALL_PASSED);
  expect(r.code).toBe(0);
});
