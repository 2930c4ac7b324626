/**
 * Capture and mapping: captureHere is lazy (V8 formats nothing until resolved), frames come back
 * with the code's own function names, generator glue is dropped, and positions map to the source
 * line — through the loader's mapping for code run from src/ (this test file, vitest) and through
 * dist/*.js.map for the compiled code (a real coroutine of dist/util/coroutine.js).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { captureHere, type RawStack } from '../../../src/trace/backtrace/frames';
import { toFrames, framesFromText, framesToText, trimTop } from '../../../src/trace/backtrace/frame';
import { relativeToPackage, sourcePosition } from '../../../src/trace/backtrace/source-map';
import { enclosingFunction, REPO } from './bt-test-helpers';
import { requireFreshDist } from '../../util/util-test-helpers';

const THIS = 'test/trace/backtrace/frames.test.ts';
const lineOf = (marker: string) => fs.readFileSync(path.join(REPO, THIS), 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;

function outer_probe(): RawStack {
  return inner_probe(); // @outer-call
}
function inner_probe(): RawStack {
  return captureHere(); // @inner-capture
}

describe('captureHere', () => {
  test('returns the caller chain innermost first, named and located as in the source', () => {
    const frames = toFrames(outer_probe().resolve());
    expect(frames[0]).toMatchObject({ fn: 'inner_probe', file: THIS, line: lineOf('@inner-capture') });
    expect(frames[1]).toMatchObject({ fn: 'outer_probe', file: THIS, line: lineOf('@outer-call') });
    // Nothing of node:internal or node_modules (the test runner) survives the filter.
    for (const f of frames) expect(f.file === null || (!f.file.startsWith('node:') && !f.file.includes('node_modules')), JSON.stringify(f)).toBe(true);
  });

  test('formats nothing until resolved, and resolves once', () => {
    const prev = Error.prepareStackTrace;
    let calls = 0;
    Error.prepareStackTrace = (e, sites) => {
      calls++;
      return prev ? prev(e, sites) : String(e);
    };
    try {
      const s = outer_probe();
      expect(calls).toBe(0);
      const first = s.resolve();
      expect(calls).toBeLessThanOrEqual(1); // the thread's own formatter is consulted at most once (for its mapping)
      expect(s.resolve()).toBe(first);
      expect(calls).toBeLessThanOrEqual(1);
      expect(first.some((f) => f.fn === 'outer_probe')).toBe(true);
    } finally {
      Error.prepareStackTrace = prev;
    }
  });

  test('`above` hides the frames of the function that asked', () => {
    function hook_glue(): RawStack {
      return captureHere(hook_glue);
    }
    function caller_of_hook(): RawStack {
      return hook_glue();
    }
    const frames = toFrames(caller_of_hook().resolve());
    expect(frames[0].fn).toBe('caller_of_hook');
  });
});

describe('compiled code (dist) maps through its source maps', () => {
  test('a coroutine of dist/util/coroutine.js: generator glue dropped, qemu_aio_coroutine_enter at src/util/coroutine.ts', () => {
    requireFreshDist();
    const req = createRequire(__filename);
    const co = req(path.join(REPO, 'dist', 'util', 'coroutine.js')) as typeof import('../../../src/util/coroutine');
    let stack: RawStack | null = null;
    function* probe_inner(): Generator<symbol, void, void> {
      stack = captureHere();
      yield* co.qemu_coroutine_yield();
    }
    function* probe_entry(): Generator<symbol, void, void> {
      yield* probe_inner();
    }
    const c = co.qemu_coroutine_create(probe_entry as never, null);
    co.qemu_coroutine_enter(c);
    const raw = stack!.resolve();
    expect(raw.some((f) => f.fn === 'next' && f.file === null)).toBe(true); // V8 puts a scriptless `next` between generators
    const frames = toFrames(raw);
    const names = frames.map((f) => f.fn);
    expect(names.slice(0, 2)).toEqual(['probe_inner', 'probe_entry']);
    expect(names).not.toContain('next');
    const enter = frames.find((f) => f.fn === 'qemu_aio_coroutine_enter')!;
    expect(enter.file).toBe('src/util/coroutine.ts');
    expect(enclosingFunction(enter.file!, enter.line)).toBe('qemu_aio_coroutine_enter');
    const outer = frames.find((f) => f.fn === 'qemu_coroutine_enter')!;
    expect(enclosingFunction(outer.file!, outer.line)).toBe('qemu_coroutine_enter');
    co.qemu_coroutine_enter(c); // let it finish
  });

  test('positions outside the package stay as they are; unknown scripts do not throw', () => {
    expect(relativeToPackage('/nonexistent/x.js')).toBe('/nonexistent/x.js');
    expect(relativeToPackage(path.join(REPO, 'src', 'a.ts'))).toBe('src/a.ts');
    const p = sourcePosition({ fn: 'f', type: null, file: '/nonexistent/dir/y.js', line: 3, col: 4, native: false, eval: false, toplevel: false });
    expect(p).toEqual({ file: '/nonexistent/dir/y.js', line: 3, col: 4 });
    expect(sourcePosition({ fn: 'f', type: null, file: null, line: 0, col: 0, native: true, eval: false, toplevel: false })).toBeNull();
  });
});

describe('frame text (recordings)', () => {
  test('round-trips and tolerates garbage', () => {
    const frames = [
      { fn: 'raw_co_prw', file: 'src/block/file-posix.ts', line: 321, col: 22 },
      { fn: '??', file: null, line: 0, col: 0 },
    ];
    expect(framesFromText(framesToText(frames))).toEqual(frames);
    expect(framesFromText('')).toEqual([]);
    expect(() => framesFromText('@@;;x@y:z;:1:2')).not.toThrow();
    expect(framesFromText('noat')[0]).toMatchObject({ fn: '??', file: null });
  });

  test('trimTop drops bookkeeping frames above the one that matters', () => {
    const f = [{ fn: 'emit', file: 'a', line: 1, col: 1 }, { fn: 'pread64', file: 'b', line: 2, col: 1 }];
    expect(trimTop(f, new Set(['emit']))[0].fn).toBe('pread64');
  });
});
