/**
 * `--plugin PATH[,key=value...]` parsing (QEMU's -plugin syntax) and the typed arguments a plugin
 * reads in install(): through the real CLI parser (parseQemuArgs), so the one-line errors are the
 * ones the user sees.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CliError, parseQemuArgs } from '../../src/cli/qemu-options';
import { BUNDLED_DIR, bundledPluginNames, parsePluginOption, PluginArgError, PluginArgsImpl } from '../../src/plugin/args';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-plugin-args-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('--plugin', () => {
  test('a bundled name resolves to plugins/NAME.js; key=value pairs keep their order; a bare key is on', () => {
    const o = parseQemuArgs(['--plugin', 'hotblocks,limit=5,inline', '-plugin', 'syscount']);
    expect(o.plugins.map((p) => p.name)).toEqual(['hotblocks', 'syscount']);
    expect(o.plugins[0].file).toBe(path.join(BUNDLED_DIR, 'hotblocks.js'));
    expect(o.plugins[0].args).toEqual([['limit', '5'], ['inline', 'on']]);
    expect(bundledPluginNames()).toEqual(['biolatency', 'biosnoop', 'blktrace', 'execlog', 'hotblocks', 'syscount']);
  });

  test('a path (QEMU\'s file= form too), ",," for a comma, outfile= taken by vtrace', () => {
    const f = path.join(tmp, 'mine.js');
    fs.writeFileSync(f, 'module.exports = { install() {} };\n');
    const s = parsePluginOption(`file=${f},name=a,,b,outfile=${path.join(tmp, 'out.txt')}`);
    expect(s.file).toBe(f);
    expect(s.name).toBe('mine');
    expect(s.args).toEqual([['name', 'a,b']]);
    expect(s.outfile).toBe(path.join(tmp, 'out.txt'));
  });

  test('mistakes are one-line CLI errors', () => {
    const err = (argv: string[]) => {
      try {
        parseQemuArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(['--plugin', 'nosuch'])).toMatch(/^--plugin nosuch: No such file \(bundled plugins: biolatency, .*syscount\)$/);
    expect(err(['--plugin', ''])).toMatch(/a plugin file is required/);
    expect(err(['--plugin', 'biosnoop,=3'])).toMatch(/needs a name/);
    expect(err(['--plugin', 'biosnoop,outfile'])).toMatch(/outfile= needs a file name/);
    expect(err(['--plugin', tmp])).toMatch(/not a regular file/);
    expect(err(['--plugin'])).toMatch(/requires an argument/);
  });
});

describe('PluginArgs', () => {
  const args = (pairs: Array<[string, string]>) => new PluginArgsImpl('demo', pairs);
  const msg = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PluginArgError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  test('typed getters with defaults; the last of repeated keys wins; all() keeps every value', () => {
    const a = args([['top', '0x10'], ['on', 'yes'], ['f', 'x'], ['f', 'y'], ['mode', 'b']]);
    expect(a.int('top', 1)).toBe(16);
    expect(a.int('missing', 7)).toBe(7);
    expect(a.bool('on', false)).toBe(true);
    expect(a.string('f', '')).toBe('y');
    expect(a.all('f')).toEqual(['x', 'y']);
    expect(a.oneOf('mode', ['a', 'b'] as const, 'a')).toBe('b');
    expect(a.has('mode') && !a.has('nope')).toBe(true);
    expect(() => a.only('top', 'on', 'f', 'mode')).not.toThrow();
  });

  test('bad values name the plugin, the key and what is expected', () => {
    expect(msg(() => args([['top', 'ten']]).int('top', 1))).toBe('plugin demo: top=ten: an integer is expected');
    expect(msg(() => args([['top', '0']]).int('top', 1, 1, 9))).toBe('plugin demo: top=0: must be between 1 and 9');
    expect(msg(() => args([['x', 'maybe']]).bool('x', false))).toBe('plugin demo: x=maybe: on or off is expected');
    expect(msg(() => args([['m', 'c']]).oneOf('m', ['a', 'b'], 'a'))).toBe('plugin demo: m=c: one of a, b is expected');
    expect(msg(() => args([['bogus', '1']]).only('top'))).toBe("plugin demo: unknown argument 'bogus' (it takes top)");
  });
});
