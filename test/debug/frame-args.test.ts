/**
 * The pure parts of live frame arguments: parameter names from a function's source at the position
 * V8 reports (param-names.ts), and putting live arguments on a stop's frames (frame-args.ts). The
 * inspector side is tested end to end in test/system/debug-frame-args.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { parameterNames } from '../../src/debug/param-names';
import { applyLiveFrames, argsText, type LiveFrame } from '../../src/debug/frame-args';
import type { Frame } from '../../src/trace/backtrace';

/** The text from the `(` of `fn`'s parameter list, as the inspector's functionLocation points. */
function at(src: string, marker: string): [string, number] {
  return [src, src.indexOf(marker) + marker.length];
}

describe('parameterNames', () => {
  test('plain, default and rest parameters of functions, generators and methods', () => {
    expect(parameterNames(...at('function* raw_co_prw(bs, offset, bytes, qiov, type) {', 'raw_co_prw'))).toEqual(['bs', 'offset', 'bytes', 'qiov', 'type']);
    expect(parameterNames(...at('function f(a, flags = 0, ...rest) { }', 'function f'))).toEqual(['a', 'flags', 'rest']);
    expect(parameterNames(...at('class K { write(addr, value, size) { } }', 'write'))).toEqual(['addr', 'value', 'size']);
    expect(parameterNames(...at('function main() {', 'main'))).toEqual([]);
  });

  test('defaults with brackets, strings and commas inside do not split the list', () => {
    expect(parameterNames(...at('function f(a = g(1, 2), b = "x,)", c = [1, 2], d = { e: 1, f: 2 }) {', 'function f'))).toEqual(['a', 'b', 'c', 'd']);
    expect(parameterNames(...at("function f(a = ')', /* b, */ b) {", 'function f'))).toEqual(['a', 'b']);
  });

  test('destructured parameters contribute the names they bind', () => {
    expect(parameterNames(...at('function f({ fd, flags: fl = 0, opts: { deep } }, [x, , y], ...[z]) {', 'function f'))).toEqual(['fd', 'fl', 'deep', 'x', 'y', 'z']);
  });

  test('parameter lists over several lines; arrow functions', () => {
    expect(parameterNames(...at('function f(\n  a,\n  b = 1,\n) {', 'function f'))).toEqual(['a', 'b']);
    expect(parameterNames(...at('const g = (x, y) => x + y;', 'g = '))).toEqual(['x', 'y']);
    expect(parameterNames(...at('const g = x => x;', 'g = '))).toEqual(['x']);
  });

  test('text that is not a parameter list gives null, never an exception', () => {
    expect(parameterNames('{ return 1; }', 0)).toBeNull();
    expect(parameterNames('(a, b', 0)).toBeNull();
    expect(parameterNames('(a + b)', 0)).toBeNull();
    expect(parameterNames('', 5)).toBeNull();
  });
});

describe('applyLiveFrames', () => {
  const frames: Frame[] = [
    { fn: 'raw_co_prw', file: 'src/block/file-posix.ts', line: 309, col: 5 },
    { fn: 'pread64', file: 'src/host/syscalls.ts', line: 100, col: 3, args: 'fd=24, count=4096' },
    { fn: 'bdrv_co_preadv', file: 'src/block/io.ts', line: 291, col: 7 },
    { fn: 'blk_aio_prwv', file: 'src/block/block-backend.ts', line: 299, col: 7 },
  ];
  const live: LiveFrame[] = [
    { fn: 'stopHere', file: 'src/system/debug-channel.ts', line: 230, args: [['stop', '0x50000001']] },
    { fn: 'raw_co_prw', file: 'src/block/file-posix.ts', line: 309, args: [['bs', '0x21000001 <#block1>'], ['offset', '0']] },
    { fn: 'pread64', file: 'src/host/syscalls.ts', line: 100, args: [['fd', '24'], ['buf', '<Uint8Array of 4096 bytes>']] },
    { fn: 'bdrv_co_preadv', file: 'src/block/io.ts', line: 291, args: null },
  ];

  test('matching frames take the live arguments in order; unread and unmatched frames keep theirs', () => {
    const r = applyLiveFrames(frames, live);
    expect(r.frames[0].args).toBe('bs=0x21000001 <#block1>, offset=0');
    // A boundary's record wins over live values (strace formatting).
    expect(r.frames[1].args).toBe('fd=24, count=4096');
    expect(r.frames[2].args).toBeUndefined();
    expect(r.frames[3].args).toBeUndefined();
    expect(r.args).toEqual([live[1].args, live[2].args, null, null]);
    // The input is not modified.
    expect(frames[0].args).toBeUndefined();
  });

  test('the same function at another line is another frame', () => {
    const r = applyLiveFrames([{ fn: 'raw_co_prw', file: 'src/block/file-posix.ts', line: 310, col: 1 }], live);
    expect(r.args).toEqual([null]);
  });

  test('argsText is gdb\'s argument list', () => {
    expect(argsText([['a', '1'], ['b', '"x"']])).toBe('a=1, b="x"');
    expect(argsText([])).toBe('');
  });
});
