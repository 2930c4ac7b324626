/**
 * Colours honour NO_COLOR (no-color.org) and FORCE_COLOR: the TUI's style module in a fresh
 * process with each environment; widths are counted on the plain text either way.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { fit } from '../../src/tui/ui/style';

const STYLE = path.resolve(__dirname, '../../dist/tui/ui/style.js');

function styledIn(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(STYLE)}).fit([['ok', 'ok'], [' x', ['bold', 'bad']]], 6)))`], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string;
}

test('FORCE_COLOR colours, NO_COLOR wins over it, the plain text is the same', () => {
  const coloured = styledIn({ FORCE_COLOR: '3' });
  expect(coloured).toMatch(/\x1b\[32mok\x1b\[39m/);
  const plain = styledIn({ FORCE_COLOR: '3', NO_COLOR: '1' });
  expect(plain).not.toMatch(/\x1b\[3\dm/);
  expect(plain.replace(/\x1b\[[0-9;]*m/g, '')).toBe('ok x  ');
  expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe('ok x  ');
});

test('fit truncates with an ellipsis and replaces control characters', () => {
  expect(fit('abcdefgh', 5)).toBe('abcd…');
  expect(fit('a\x1b[2Jb', 6)).toBe('a·[2Jb');
  expect(fit('', 3)).toBe('   ');
  expect(fit('abc', 0)).toBe('');
});
