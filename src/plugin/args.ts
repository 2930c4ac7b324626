/**
 * `--plugin PATH[,key=value...]` (QEMU's `-plugin file[,argname=argvalue...]` syntax, ",," escaping
 * a comma): parsed on the front-end thread into a PluginSpec that crosses to the emulator thread
 * in MachineOptions; and PluginArgs, the typed view of a plugin's arguments it gets in install().
 *
 * PATH is a file (relative to the current directory), or the name of a bundled plugin
 * (`biolatency` for plugins/biolatency.js). `outfile=FILE` is vtrace's, not the plugin's: the
 * plugin's output goes to FILE instead of stderr.
 *
 * Contract: parsePluginOption throws PluginArgError (one line) for a missing file or an empty key;
 * PluginArgs' getters throw PluginArgError naming the plugin, the key and what was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PluginArgs } from './api';

export class PluginArgError extends Error {}

/** One --plugin option, resolved. Serializable (it travels in workerData). */
export interface PluginSpec {
  /** As given on the command line. */
  text: string;
  /** Absolute path of the module. */
  file: string;
  /** The file name without .js: the plugin's name in messages. */
  name: string;
  /** key=value pairs in order, outfile= taken out. */
  args: Array<[string, string]>;
  /** outfile=FILE */
  outfile?: string;
}

/** The bundled plugins' folder (plugins/ at the package root). */
export const BUNDLED_DIR = path.resolve(__dirname, '..', '..', 'plugins');

/** Split QEMU-style `a,b=c,,d` into items (",," is a literal comma). */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (text[i] === ',') {
      items.push(cur);
      cur = '';
    } else cur += text[i];
  }
  items.push(cur);
  return items;
}

function resolveModule(file: string): string {
  if (!file.includes('/') && !file.endsWith('.js')) {
    const bundled = path.join(BUNDLED_DIR, `${file}.js`);
    if (fs.existsSync(bundled)) return bundled;
  }
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    const names = bundledPluginNames();
    throw new PluginArgError(`No such file (bundled plugins: ${names.join(', ')})`);
  }
  if (!st.isFile()) throw new PluginArgError(`${file}: not a regular file`);
  return abs;
}

/** The bundled plugins' names. */
export function bundledPluginNames(): string[] {
  try {
    return fs.readdirSync(BUNDLED_DIR).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
  } catch {
    return [];
  }
}

/** `--plugin VALUE` → PluginSpec. QEMU also accepts `file=PATH` as the first item. */
export function parsePluginOption(text: string): PluginSpec {
  const items = splitItems(text);
  let first = items.shift() ?? '';
  if (first.startsWith('file=')) first = first.slice(5);
  if (first === '') throw new PluginArgError('a plugin file is required (e.g. --plugin biolatency or --plugin ./my.js,key=value)');
  const file = resolveModule(first);
  const spec: PluginSpec = { text, file, name: path.basename(file).replace(/\.[cm]?js$/, ''), args: [] };
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? 'on' : item.slice(eq + 1);
    if (key === '') throw new PluginArgError(`'${item}': an argument needs a name (key=value)`);
    if (key === 'outfile') {
      if (value === '' || value === 'on') throw new PluginArgError('outfile= needs a file name');
      spec.outfile = path.resolve(value);
    } else spec.args.push([key, value]);
  }
  return spec;
}

const TRUE = ['on', 'true', 'yes'];
const FALSE = ['off', 'false', 'no'];

/** PluginArgs over a spec's pairs; errors name the plugin. */
export class PluginArgsImpl implements PluginArgs {
  constructor(
    private readonly plugin: string,
    readonly entries: ReadonlyArray<readonly [string, string]>,
  ) {}

  private fail(msg: string): never {
    throw new PluginArgError(`plugin ${this.plugin}: ${msg}`);
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }

  all(key: string): string[] {
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  private last(key: string): string | undefined {
    const v = this.all(key);
    return v.length === 0 ? undefined : v[v.length - 1];
  }

  string(key: string, def: string): string {
    return this.last(key) ?? def;
  }

  int(key: string, def: number, min = -Infinity, max = Infinity): number {
    const v = this.last(key);
    if (v === undefined) return def;
    const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v.startsWith('-') ? -Number(v.slice(1)) : Number(v)) : NaN;
    if (!Number.isSafeInteger(n)) this.fail(`${key}=${v}: an integer is expected`);
    if (n < min || n > max) this.fail(`${key}=${v}: must be ${max === Infinity ? `at least ${min}` : `between ${min} and ${max}`}`);
    return n;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.last(key);
    if (v === undefined) return def;
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v)) return false;
    return this.fail(`${key}=${v}: on or off is expected`);
  }

  oneOf<T extends string>(key: string, choices: readonly T[], def: T): T {
    const v = this.last(key);
    if (v === undefined) return def;
    if ((choices as readonly string[]).includes(v)) return v as T;
    return this.fail(`${key}=${v}: one of ${choices.join(', ')} is expected`);
  }

  only(...known: string[]): void {
    for (const [k] of this.entries) {
      if (!known.includes(k)) this.fail(`unknown argument '${k}' (${known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes none'})`);
    }
  }
}
