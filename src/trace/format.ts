/**
 * The subset of C printf(3) that trace-events formats use, rendered as glibc on x86_64 renders it
 * (what QEMU's log backend prints): %d %i %u %x %X %o %c %s %p %%, flags `-0 +#`, width, precision,
 * length modifiers hh h l ll z j t. `%p` prints `0x` + lowercase hex, or `(nil)` for 0/null.
 * Unsigned conversions wrap negative values to the length's width (32 bits without `l`/`z`).
 * Values: numbers, bigints, booleans (as 0/1), strings; `%p` also takes null.
 */

export type FormatValue = number | bigint | boolean | string | null | undefined;

const SPEC = /%([-0 +#]*)(\d+)?(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([diuxXocsp%])/g;

function toBig(v: FormatValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (v === null || v === undefined) return 0n;
  return 0n;
}

function bitsOf(len: string | undefined): number {
  if (len === 'hh') return 8;
  if (len === 'h') return 16;
  if (len === 'l' || len === 'll' || len === 'z' || len === 'j' || len === 't') return 64;
  return 32;
}

function pad(body: string, sign: string, flags: string, width: number | undefined, numeric: boolean): string {
  const w = width ?? 0;
  const len = sign.length + body.length;
  if (len >= w) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(w - len);
  if (numeric && flags.includes('0')) return sign + '0'.repeat(w - len) + body;
  return ' '.repeat(w - len) + sign + body;
}

/** Format `fmt` with `args` as printf would. Missing arguments render as 0 / "(null)". */
export function cFormat(fmt: string, args: readonly FormatValue[]): string {
  let n = 0;
  return fmt.replace(SPEC, (_m, flags: string, width: string | undefined, prec: string | undefined, len: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = args[n++];
    const w = width === undefined ? undefined : Number(width);
    switch (conv) {
      case 's': {
        let s = v === null || v === undefined ? '(null)' : String(v);
        if (prec !== undefined) s = s.slice(0, Number(prec));
        return pad(s, '', flags, w, false);
      }
      case 'c':
        return pad(typeof v === 'string' ? v.slice(0, 1) : String.fromCharCode(Number(toBig(v) & 0xffn)), '', flags, w, false);
      case 'p': {
        const x = BigInt.asUintN(64, toBig(v));
        return pad(x === 0n ? '(nil)' : `0x${x.toString(16)}`, '', flags.replace('0', ''), w, false);
      }
      case 'd':
      case 'i': {
        const x = BigInt.asIntN(bitsOf(len), toBig(v));
        const sign = x < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
        let body = (x < 0n ? -x : x).toString();
        if (prec !== undefined) body = body.padStart(Number(prec), '0');
        return pad(body, sign, prec === undefined ? flags : flags.replace('0', ''), w, true);
      }
      default: {
        const x = BigInt.asUintN(bitsOf(len), toBig(v));
        const radix = conv === 'o' ? 8 : conv === 'u' ? 10 : 16;
        let body = x.toString(radix);
        if (conv === 'X') body = body.toUpperCase();
        if (prec !== undefined) body = body.padStart(Number(prec), '0');
        const prefix = flags.includes('#') && x !== 0n ? (conv === 'x' ? '0x' : conv === 'X' ? '0X' : conv === 'o' ? '0' : '') : '';
        return pad(body, prefix, prec === undefined ? flags : flags.replace('0', ''), w, true);
      }
    }
  });
}

/** The conversions of a format in order (for checking them against the argument list). */
export function formatConversions(fmt: string): string[] {
  const out: string[] = [];
  for (const m of fmt.matchAll(SPEC)) if (m[5] !== '%') out.push((m[4] ?? '') + m[5]);
  return out;
}

/** Undo the C escapes a trace-events format may hold (\n \t \" \\). */
export function unescapeC(s: string): string {
  return s.replace(/\\(["\\nt])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
