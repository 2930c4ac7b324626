/**
 * The console's expression language (src/debug/expr.ts): C precedence, C truthiness, gdb's syntax
 * error wording, names resolved by the caller.
 */
import { describe, expect, test } from 'vitest';
import { ExprError, evalExpr, exprPaths, parseExpr, truthy, type Value } from '../../src/debug/expr';

const vars: Record<string, Value> = { fd: 18, offset: 4096, path: '/tmp/disk.img', big: 1n << 60n, flag: true, none: null };
const lookup = (p: string): Value => {
  if (p in vars) return vars[p];
  throw new ExprError(`No symbol "${p}" in current context.`);
};
const ev = (s: string) => evalExpr(parseExpr(s), lookup);

describe('expressions', () => {
  test('C precedence: * before +, + before <<, << before <, < before ==, == before &, & before ^ before |, | before && before ||', () => {
    expect(ev('1 + 2 * 3')).toBe(7);
    expect(ev('(1 + 2) * 3')).toBe(9);
    expect(ev('1 << 2 + 1')).toBe(8);
    expect(ev('1 < 2 == 1')).toBe(true);
    expect(ev('3 & 1 == 1')).toBe(1); // & binds looser than == in C: 3 & (1 == 1) = 3 & 1
    expect(ev('1 | 2 ^ 3')).toBe(1); // 1 | (2 ^ 3)
    expect(ev('0 || 1 && 0')).toBe(false);
    expect(ev('7 / 2')).toBe(3);
    expect(ev('-7 % 3')).toBe(-1);
    expect(ev('!0 && ~0 == -1')).toBe(true);
  });

  test('names, strings, numbers in every C base, bigint beyond 2^53', () => {
    expect(ev('fd == 18 && offset >= 4096')).toBe(true);
    expect(ev('path == "/tmp/disk.img"')).toBe(true);
    expect(ev('0x10 + 010 + 0b11 + 10')).toBe(16 + 8 + 3 + 10);
    expect(ev('big + 1')).toBe((1n << 60n) + 1n);
    expect(ev('big > 0x7fffffff')).toBe(true);
    expect(ev('flag == 1 && none == 0')).toBe(true);
    expect(ev('"a\\nb"')).toBe('a\nb');
  });

  test('member paths are one name for the resolver, -> included; subtraction needs no confusion', () => {
    expect(exprPaths(parseExpr('hd0.file.fd > 12 && hd0->file->fd < 100'))).toEqual(['hd0.file.fd', 'hd0->file->fd']);
    expect(exprPaths(parseExpr('/machine/peripheral-anon/device[0].vq[0].inuse == 0'))).toEqual(['/machine/peripheral-anon/device[0].vq[0].inuse']);
    expect(ev('offset - fd')).toBe(4096 - 18);
  });

  test("errors: gdb's syntax-error wording, unknown names from the resolver, division by zero", () => {
    expect(() => parseExpr('1 +')).toThrow("A syntax error in expression, near `'.");
    expect(() => parseExpr('fd == == 2')).toThrow('A syntax error in expression, near `== 2\'.');
    expect(() => parseExpr('"abc')).toThrow('Unterminated string');
    expect(() => ev('nosuch == 1')).toThrow('No symbol "nosuch" in current context.');
    expect(() => ev('1 / 0')).toThrow('Division by zero');
    expect(() => ev('path + 1')).toThrow(ExprError);
  });

  test("C truthiness", () => {
    for (const v of [0, 0n, '', null, undefined, false]) expect(truthy(v)).toBe(false);
    for (const v of [1, -1n, 'x', true, {}]) expect(truthy(v)).toBe(true);
  });
});
