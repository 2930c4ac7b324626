/**
 * Bad command lines print one clear line on stderr and exit non-zero — never a stack trace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { run } from '../guest/default/harness';
import { VTRACE } from '../helpers/spawn-guest';

const cases: Array<[string, string[], RegExp]> = [
  ['missing kernel file', ['-kernel', '/nonexistent/Image'], /^vtrace: -kernel \/nonexistent\/Image: No such file or directory$/],
  ['unknown machine', ['-M', 'sifive_u'], /^vtrace: -machine sifive_u: unsupported machine type 'sifive_u'/],
  ['bad -m', ['-m', '12X'], /^vtrace: invalid size '12X'$/],
  ['-m too small', ['-m', '1M'], /^vtrace: -m 1M: RAM size must be between 16M and 16G$/],
  ['bad -smp', ['-smp', '0'], /^vtrace: -smp 0: the number of CPUs must be an integer from 1 to 8$/],
  ['unknown option', ['-frobnicate'], /^vtrace: unknown option '-frobnicate'$/],
  ['missing initrd', ['-initrd', '/nonexistent/initrd'], /^vtrace: -initrd \/nonexistent\/initrd: No such file or directory$/],
];

test.each(cases)('%s: one line, non-zero exit', async (_name, args, message) => {
  const r = await run(process.execPath, [VTRACE, 'run', ...args], 20_000);
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\s+at .*\(.*:\d+:\d+\)/);
});

test('a kernel file that is not a kernel is refused with one line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-cli-'));
  const bogus = path.join(dir, 'Image');
  fs.writeFileSync(bogus, Buffer.alloc(0));
  const r = await run(process.execPath, [VTRACE, 'run', '-kernel', bogus], 20_000);
  fs.rmSync(dir, { recursive: true });
  expect(r.code).not.toBe(0);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^vtrace: /);
});

test('-machine dumpdtb writes a device tree and exits 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-cli-'));
  const out = path.join(dir, 'virt.dtb');
  const r = await run(process.execPath, [VTRACE, 'run', '-machine', `virt,dumpdtb=${out}`, '-smp', '2'], 20_000);
  expect(r.code, r.stderr).toBe(0);
  const blob = fs.readFileSync(out);
  expect(blob.readUInt32BE(0)).toBe(0xd00dfeed);
  fs.rmSync(dir, { recursive: true });
});

test('vtrace run --help lists the QEMU options', async () => {
  const r = await run(process.execPath, [VTRACE, 'run', '--help'], 20_000);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('-kernel FILE');
  expect(r.stdout).toContain('Ctrl-A x');
});

test('a reader that closes the pipe early (`vtrace ... --help | head -1`) ends vtrace without a stack trace', async () => {
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${VTRACE}" run --help | head -1 >/dev/null; "${process.execPath}" "${VTRACE}" strace --help | head -1 >/dev/null`], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/EPIPE|Error:/);
});

const haveStrace = spawnSync('strace', ['-V']).status === 0;

test('bin/vtrace run directly (as `npx vtrace` runs it) works', () => {
  const r = spawnSync(VTRACE, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});

test.skipIf(!haveStrace)('its shebang starts node with one V8 background thread (strace shows the execve)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-shebang-'));
  const log = path.join(dir, 'execve.txt');
  try {
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', log, VTRACE, '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/execve\("[^"]*node", \["node", "--v8-pool-size=1", "[^"]*bin\/vtrace", "--version"\]/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
