/** Shared helpers of the backtrace tests (not a test file). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from '../../../src/trace/backtrace/frame';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(__dirname, 'fixtures');

const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'else', 'do', 'try']);
const FUNC = /\bfunction\*?\s+([A-Za-z_$][\w$]*)\s*\(/;
const METHOD = /^\s*(?:(?:private|public|protected|static|override|async|readonly)\s+)*\*?([A-Za-z_$][\w$]*)\s*\(.*\)\s*(?::[^=]*)?\{\s*$/;

/**
 * The name of the function declared nearest above `line` (1-based) in the repository file `file`:
 * `function name(` / `function* name(` or a class method `name(...) {`. Null if none.
 * Enough to check that a frame's `file:line` really lies in the function it names.
 */
export function enclosingFunction(file: string, line: number): string | null {
  const lines = fs.readFileSync(path.join(REPO, file), 'utf8').split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const f = FUNC.exec(lines[i]);
    if (f !== null) return f[1];
    const m = METHOD.exec(lines[i]);
    if (m !== null && !KEYWORDS.has(m[1])) return m[1];
  }
  return null;
}

/** Indexes of `names` found in order (a subsequence) in `fns`; throws naming the first one missing. */
export function expectInOrder(fns: readonly string[], names: readonly string[]): number[] {
  const at: number[] = [];
  let from = 0;
  for (const n of names) {
    const i = fns.indexOf(n, from);
    if (i < 0) throw new Error(`'${n}' not found in order after index ${from} in:\n  ${fns.join('\n  ')}`);
    at.push(i);
    from = i + 1;
  }
  return at;
}

/** Every frame named in `names` points into src/ at a line inside that function. */
export function checkLocations(frames: readonly Frame[], names: readonly string[]): void {
  for (const n of names) {
    const f = frames.find((x) => x.fn === n);
    if (f === undefined) throw new Error(`no frame ${n}`);
    if (f.file === null || !f.file.startsWith('src/') || !f.file.endsWith('.ts')) throw new Error(`${n}: location ${f.file}:${f.line} is not in src/`);
    const enc = enclosingFunction(f.file, f.line);
    if (enc !== n) throw new Error(`${n}: ${f.file}:${f.line} lies in ${enc ?? 'no function'}`);
  }
}
