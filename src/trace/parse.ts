/**
 * Parser for QEMU's trace-events syntax (docs/devel/tracing.rst, scripts/tracetool/__init__.py):
 *
 *   [disable] [vcpu] name(type arg, type arg, ...) "format" ["format" PRIx64 ...]
 *
 * `#` starts a comment line; blank lines are skipped. The format is a C string-literal
 * concatenation that may contain <inttypes.h> macros (`"sector %"PRIu64" nsectors %zu"`); they are
 * expanded as on an LP64 host (PRIu64 → "lu"), which is what QEMU's log backend prints on x86_64.
 * Pure: no I/O. Errors are TraceEventsSyntaxError with file:line.
 */

export type TraceArgKind = 'ptr' | 'int' | 'uint' | 'int64' | 'uint64' | 'bool' | 'string';

export interface TraceArg {
  /** The C type as written, e.g. "void *", "uint64_t", "const char *". */
  type: string;
  name: string;
  kind: TraceArgKind;
}

export interface TraceEventDecl {
  name: string;
  args: TraceArg[];
  /** The format with macros expanded and literals joined (C escapes kept as written). */
  format: string;
  disabled: boolean;
  /** Basename of the catalog file, e.g. "virtio-blk.trace-events". */
  file: string;
  line: number;
}

export class TraceEventsSyntaxError extends Error {}

/** <inttypes.h> on LP64 Linux (glibc): the conversion letters each macro stands for. */
const INTTYPES: Record<string, string> = {};
for (const [bits, len] of [['8', 'hh'], ['16', 'h'], ['32', ''], ['64', 'l']] as const) {
  for (const c of ['d', 'i', 'u', 'x', 'X', 'o']) INTTYPES[`PRI${c}${bits}`] = `${bits === '8' || bits === '16' ? '' : len}${c}`;
}
INTTYPES.PRIxPTR = 'lx';
INTTYPES.PRIuPTR = 'lu';
INTTYPES.PRIdPTR = 'ld';

const INT_TYPES: Record<string, TraceArgKind> = {
  int: 'int', int8_t: 'int', int16_t: 'int', int32_t: 'int', short: 'int', char: 'int',
  unsigned: 'uint', 'unsigned int': 'uint', uint8_t: 'uint', uint16_t: 'uint', uint32_t: 'uint', 'unsigned char': 'uint',
  int64_t: 'int64', long: 'int64', ssize_t: 'int64', off_t: 'int64', 'long long': 'int64',
  uint64_t: 'uint64', size_t: 'uint64', 'unsigned long': 'uint64', uintptr_t: 'uint64', hwaddr: 'uint64',
  bool: 'bool',
};

export function argKind(type: string): TraceArgKind | undefined {
  const t = type.replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').trim();
  if (/^(const )?char \*$/.test(t)) return 'string';
  if (t.endsWith('*')) return 'ptr';
  return INT_TYPES[t.replace(/^const /, '')];
}

/** Parse `type name, type name` (or `void`). */
export function parseArgs(text: string, where: string): TraceArg[] {
  const t = text.trim();
  if (t === 'void' || t === '') return [];
  return t.split(',').map((part) => {
    const m = /^(.*?[\s*])([A-Za-z_]\w*)$/.exec(part.trim());
    if (m === null) throw new TraceEventsSyntaxError(`${where}: bad argument '${part.trim()}'`);
    const type = m[1].trim();
    const kind = argKind(type);
    if (kind === undefined) throw new TraceEventsSyntaxError(`${where}: unsupported argument type '${type}'`);
    return { type, name: m[2], kind };
  });
}

/** Join `"a" PRIu64 "b"` into one format string. */
export function parseFormat(text: string, where: string): string {
  let out = '';
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    if (/\s/.test(s[i])) {
      i++;
    } else if (s[i] === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) throw new TraceEventsSyntaxError(`${where}: unterminated string in format`);
      out += s.slice(i + 1, j);
      i = j + 1;
    } else {
      const m = /^[A-Za-z_]\w*/.exec(s.slice(i));
      if (m === null || !(m[0] in INTTYPES)) throw new TraceEventsSyntaxError(`${where}: unexpected '${s.slice(i)}' in format`);
      out += INTTYPES[m[0]];
      i += m[0].length;
    }
  }
  return out;
}

const LINE = /^((?:(?:disable|vcpu|tcg)\s+)*)([A-Za-z_]\w*)\((.*?)\)\s*(".*)$/;

/** Parse one catalog file's text. */
export function parseTraceEvents(text: string, file: string): TraceEventDecl[] {
  const out: TraceEventDecl[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${idx + 1}`;
    const m = LINE.exec(line);
    if (m === null) throw new TraceEventsSyntaxError(`${where}: expected name(type arg, ...) "format"`);
    out.push({
      name: m[2],
      args: parseArgs(m[3], where),
      format: parseFormat(m[4], where),
      disabled: /\bdisable\b/.test(m[1]),
      file,
      line: idx + 1,
    });
  });
  return out;
}
