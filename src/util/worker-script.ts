/**
 * Where a util worker thread's entry file is. Worker threads run plain JavaScript: the build
 * compiles src/ to dist/ (`npx tsc -p .`), and workers always start from dist/.
 *
 * - Running from dist/ (the CLI): the .js next to this file.
 * - Running from src/ through a TypeScript loader (vitest): the same path under dist/, after
 *   checking that dist/ exists and is not older than src/util/ (or than the module itself, for a
 *   module outside util/): a worker must not silently run yesterday's code. Errors say what to run.
 *
 * Contract: any thread; throws WorkerScriptError. Successful checks are cached per process.
 * `root` (the repository root) is a parameter for tests only.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export class WorkerScriptError extends Error {
  override name = 'WorkerScriptError';
}

const ROOT = path.resolve(__dirname, '..', '..');
const fromSource = path.extname(__filename) === '.ts';
const checked = new Set<string>();

function mtime(p: string): number {
  return statSync(p).mtimeMs;
}

function checkFresh(root: string, ts: string, js: string): void {
  if (!existsSync(js)) {
    throw new WorkerScriptError(`${path.relative(root, js)} is missing: worker threads run the compiled JavaScript. Build first: npx tsc -p ${root}`);
  }
  if (mtime(ts) > mtime(js)) {
    throw new WorkerScriptError(
      `${path.relative(root, js)} is older than ${path.relative(root, ts)}: worker threads would run stale code. Rebuild: npx tsc -p ${root}`,
    );
  }
}

function checkUtilFresh(root: string): void {
  const key = `util:${root}`;
  if (checked.has(key)) return;
  const srcDir = path.join(root, 'src', 'util');
  for (const f of readdirSync(srcDir)) {
    if (f.endsWith('.ts') && !f.endsWith('.d.ts')) checkFresh(root, path.join(srcDir, f), path.join(root, 'dist', 'util', f.replace(/\.ts$/, '.js')));
  }
  checked.add(key);
}

/**
 * Map a module path to the JavaScript file a worker should load: `src/x/y.ts` → `dist/x/y.js`
 * (checked fresh), a `.js` path as is (checked present). Use it for the entry files and for the
 * modules a pool or iothread loads (`__filename` works from both src/ and dist/).
 */
export function workerModulePath(file: string, root = ROOT): string {
  const abs = path.resolve(file);
  if (abs.endsWith('.ts')) {
    const rel = path.relative(path.join(root, 'src'), abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new WorkerScriptError(`${file}: a worker can only load TypeScript modules from ${path.join(root, 'src')} (through dist/)`);
    }
    const js = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
    checkUtilFresh(root);
    if (!checked.has(abs)) {
      checkFresh(root, abs, js);
      checked.add(abs);
    }
    return js;
  }
  if (!existsSync(abs)) throw new WorkerScriptError(`${file}: no such worker module`);
  return abs;
}

/** The entry file of a util worker (`thread-pool-worker`, `iothread-worker`). */
export function utilWorkerScript(basename: string): string {
  if (!fromSource) return workerModulePath(path.join(__dirname, `${basename}.js`));
  return workerModulePath(path.join(__dirname, `${basename}.ts`));
}
