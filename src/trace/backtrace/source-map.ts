/**
 * Source positions: a frame's script position → `src/...ts:line:col` (repository-relative), through
 * the compiled output's source maps (tsconfig `sourceMap`: dist/x.js has dist/x.js.map pointing at
 * src/x.ts). source-map-support reads and caches the .map files (synchronously, any thread).
 * Scripts that are not dist/*.js (src/*.ts run by a loader, e.g. vitest) use the position the
 * thread's own formatter printed (ResolvedFrame.formatted), which that loader already mapped.
 *
 * Contract: pure apart from reading .map files; never throws (an unmappable frame keeps its
 * script position); results cached per position.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapSourcePosition } from 'source-map-support';
import type { ResolvedFrame } from './frames';

/** The repository (or installed package) root: dist/trace/backtrace → ../../.. (src/… alike). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface SourcePos {
  /** Repository-relative when inside the package (`src/block/io.ts`), else as the script names it. */
  file: string;
  line: number;
  col: number;
}

const cache = new Map<string, SourcePos>();
const CACHE_MAX = 65536;

function toPath(source: string): string {
  if (source.startsWith('file://')) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  return source;
}

/** `src/...` for files inside the package, the path unchanged otherwise. */
export function relativeToPackage(file: string): string {
  const p = toPath(file);
  if (!path.isAbsolute(p)) return p;
  const rel = path.relative(PACKAGE_ROOT, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel.split(path.sep).join('/');
}

const POS = /^(.*):(\d+):(\d+)$/;

/** The frame's source position (mapped when a map or a mapping formatter knows it); null if it has no script. */
export function sourcePosition(f: ResolvedFrame): SourcePos | null {
  if (f.file === null || f.line <= 0) return null;
  const key = `${f.file}:${f.line}:${f.col}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let pos: SourcePos = { file: relativeToPackage(f.file), line: f.line, col: f.col };
  if (f.file.endsWith('.js') && !f.file.startsWith('node:')) {
    try {
      const m = mapSourcePosition({ source: f.file, line: f.line, column: Math.max(0, f.col - 1) });
      if (m.source !== f.file && m.line > 0) pos = { file: relativeToPackage(m.source), line: m.line, col: m.column + 1 };
    } catch {
      // unreadable or malformed map: keep the script position
    }
  } else if (f.formatted !== undefined) {
    const m = POS.exec(f.formatted);
    if (m !== null) pos = { file: relativeToPackage(m[1]), line: Number(m[2]), col: Number(m[3]) };
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, pos);
  return pos;
}
