/**
 * The console's expression language: conditions (`watch hd0.file.fd if hd0.file.fd > 12`,
 * `catch syscall pread64 if fd == 18 && offset >= 4096`, `break virtio_blk_handle_read if sector == 0`)
 * and the operands of `print`. A C-like subset, as gdb evaluates C expressions:
 *
 *   expr    := binary operators with C's precedence, loosest first:
 *              ||  &&  |  ^  &  == !=  < <= > >=  << >>  + -  * / %
 *   unary   := ('!'|'-'|'~'|'*') unary | primary     (*x is x: objects print whole anyway)
 *   primary := NUMBER | STRING | 'true' | 'false' | PATH | '(' expr ')'
 *   PATH    := ['$'|'/'|'#'] name (('.'|'->'|'/') name | '[' index ']')*
 *
 * Numbers are decimal, 0x hex, 0o/0 octal or 0b binary (bigint beyond 2^53). Strings are "..." with
 * C escapes. Truthiness is C's: 0, false, null, undefined and "" are false.
 *
 * Contract: pure and thread-neutral (pool workers evaluate syscall conditions with it). Paths are
 * resolved by the caller's `lookup` (the state tree on the emulator thread, a syscall's arguments on
 * a worker); `lookup` throws ExprError for unknown names. Parse errors throw ExprError with gdb's
 * wording ("A syntax error in expression, near `...'.").
 */

export class ExprError extends Error {
  override name = 'ExprError';
}

export type Value = number | bigint | string | boolean | null | undefined | object;

export type Expr =
  | { k: 'lit'; v: Value }
  | { k: 'path'; text: string }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr };

const PATH_START = /[A-Za-z_$#/]/;
const PATH_CHAR = /[A-Za-z0-9_$#.\-[\]/>:]/;

/** Binary operators by C precedence, loosest first (C11 §6.5.5–6.5.14). */
const LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<=', '>=', '<', '>'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

class Parser {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  peek(tok: string): boolean {
    this.ws();
    return this.s.startsWith(tok, this.i);
  }
  eat(tok: string): boolean {
    if (!this.peek(tok)) return false;
    this.i += tok.length;
    return true;
  }
  fail(): never {
    const near = this.s.slice(this.i);
    throw new ExprError(near === '' ? 'A syntax error in expression, near `\'.' : `A syntax error in expression, near \`${near}'.`);
  }
  expr(): Expr {
    return this.level(0);
  }
  /** The operator at the cursor from `ops`, not the prefix of a longer one (| of ||, < of <<, - of ->). */
  private op(ops: readonly string[]): string | undefined {
    this.ws();
    for (const op of ops) {
      if (!this.s.startsWith(op, this.i)) continue;
      const next = this.s[this.i + op.length];
      if ((op === '|' || op === '&') && next === op) continue;
      if ((op === '<' || op === '>') && (next === op || next === '=')) continue;
      if (op === '-' && next === '>') continue;
      return op;
    }
    return undefined;
  }
  level(n: number): Expr {
    if (n === LEVELS.length) return this.unary();
    let a = this.level(n + 1);
    for (let op = this.op(LEVELS[n]); op !== undefined; op = this.op(LEVELS[n])) {
      this.i += op.length;
      a = { k: 'bin', op, a, b: this.level(n + 1) };
    }
    return a;
  }
  unary(): Expr {
    this.ws();
    const c = this.s[this.i];
    if (c === '!' && this.s[this.i + 1] !== '=') {
      this.i++;
      return { k: 'un', op: '!', a: this.unary() };
    }
    if (c === '-' || c === '~') {
      this.i++;
      return { k: 'un', op: c, a: this.unary() };
    }
    if (c === '*') {
      // gdb's dereference: the state tree prints objects whole, so *x is x.
      this.i++;
      return this.unary();
    }
    return this.primary();
  }
  primary(): Expr {
    this.ws();
    const s = this.s;
    if (this.eat('(')) {
      const e = this.expr();
      if (!this.eat(')')) this.fail();
      return e;
    }
    const c = s[this.i];
    if (c === undefined) this.fail();
    if (c === '"') return { k: 'lit', v: this.string() };
    if (/[0-9]/.test(c)) return { k: 'lit', v: this.number() };
    if (PATH_START.test(c)) {
      const start = this.i;
      let depth = 0;
      while (this.i < s.length) {
        const ch = s[this.i];
        if (ch === '[') depth++;
        else if (ch === ']') {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0) {
          if (ch === '-' && s[this.i + 1] !== '>' && !/[A-Za-z0-9_]/.test(s[this.i - 1] ?? '')) break;
          if (ch === '-' && s[this.i + 1] !== '>' && !/[A-Za-z0-9_]/.test(s[this.i + 1] ?? '')) break;
          if (ch === '>' && s[this.i - 1] !== '-') break;
          if (ch === ':' ) break;
          if (!PATH_CHAR.test(ch)) break;
        }
        this.i++;
      }
      const text = s.slice(start, this.i);
      if (text === 'true') return { k: 'lit', v: true };
      if (text === 'false') return { k: 'lit', v: false };
      if (text === 'NULL' || text === 'null') return { k: 'lit', v: null };
      return { k: 'path', text };
    }
    this.fail();
  }
  string(): string {
    const s = this.s;
    let out = '';
    this.i++;
    while (this.i < s.length && s[this.i] !== '"') {
      if (s[this.i] === '\\') {
        const e = s[this.i + 1];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e;
        this.i += 2;
      } else out += s[this.i++];
    }
    if (s[this.i] !== '"') throw new ExprError('Unterminated string in expression.');
    this.i++;
    return out;
  }
  number(): number | bigint {
    const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|[0-9]+)/.exec(this.s.slice(this.i));
    if (m === null) this.fail();
    this.i += m[0].length;
    let text = m[0];
    if (/^0[0-7]+$/.test(text)) text = '0o' + text.slice(1);
    const n = BigInt(text);
    // C's integer suffixes are accepted and ignored.
    while (/[uUlL]/.test(this.s[this.i] ?? '')) this.i++;
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
}

/** Parse an expression; throws ExprError. */
export function parseExpr(text: string): Expr {
  const p = new Parser(text);
  const e = p.expr();
  p.ws();
  if (p.i < text.length) p.fail();
  return e;
}

/** C truthiness. */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === 0n || v === '') return false;
  return true;
}

function num(v: Value, op: string): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return 0;
  throw new ExprError(`Argument to arithmetic operation not a number or boolean (operator ${op}).`);
}

function divide(a: number | bigint, b: number | bigint): number | bigint {
  if (b === 0 || b === 0n) throw new ExprError('Division by zero');
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a) / BigInt(b);
  return Math.trunc(a / b);
}

function remainder(a: number | bigint, b: number | bigint): number | bigint {
  if (b === 0 || b === 0n) throw new ExprError('Division by zero');
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a) % BigInt(b);
  return a % b;
}

function arith(a: number | bigint, b: number | bigint, op: string): number | bigint {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a);
    const y = BigInt(b);
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return divide(x, y) as bigint;
      case '%': return remainder(x, y) as bigint;
      case '<<': return x << y;
      case '>>': return x >> y;
      case '&': return x & y;
      case '|': return x | y;
      case '^': return x ^ y;
    }
  } else {
    const fits = Math.abs(a) < 2 ** 31 && Math.abs(b) < 2 ** 31;
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return Number.isSafeInteger(a * b) ? a * b : BigInt(a) * BigInt(b);
      case '/': return divide(a, b);
      case '%': return remainder(a, b);
      case '<<': return Number(BigInt(a) << BigInt(b));
      case '>>': return Number(BigInt(a) >> BigInt(b));
      case '&': return fits ? a & b : Number(BigInt(a) & BigInt(b));
      case '|': return fits ? a | b : Number(BigInt(a) | BigInt(b));
      case '^': return fits ? a ^ b : Number(BigInt(a) ^ BigInt(b));
    }
  }
  throw new ExprError(`unknown operator ${op}`);
}

function equal(a: Value, b: Value): boolean {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // eslint-disable-next-line eqeqeq
    return a == b;
  }
  if (typeof a === 'boolean' && (typeof b === 'number' || typeof b === 'bigint')) return (a ? 1 : 0) == b; // eslint-disable-line eqeqeq
  if (typeof b === 'boolean' && (typeof a === 'number' || typeof a === 'bigint')) return (b ? 1 : 0) == a; // eslint-disable-line eqeqeq
  if ((a === null || a === undefined) && (b === 0 || b === null || b === undefined)) return true;
  if ((b === null || b === undefined) && a === 0) return true;
  return a === b;
}

function compare(a: Value, b: Value, op: string): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  const x = num(a, op);
  const y = num(b, op);
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

/** Evaluate a parsed expression; `lookup` resolves paths. */
export function evalExpr(e: Expr, lookup: (path: string) => Value): Value {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'path':
      return lookup(e.text);
    case 'un': {
      const a = evalExpr(e.a, lookup);
      if (e.op === '!') return !truthy(a);
      const n = num(a, e.op);
      if (e.op === '-') return typeof n === 'bigint' ? -n : -n;
      return typeof n === 'bigint' ? ~n : ~n;
    }
    case 'bin': {
      if (e.op === '&&') return truthy(evalExpr(e.a, lookup)) && truthy(evalExpr(e.b, lookup));
      if (e.op === '||') return truthy(evalExpr(e.a, lookup)) || truthy(evalExpr(e.b, lookup));
      const a = evalExpr(e.a, lookup);
      const b = evalExpr(e.b, lookup);
      switch (e.op) {
        case '==':
          return equal(a, b);
        case '!=':
          return !equal(a, b);
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(a, b, e.op);
        default:
          return arith(num(a, e.op), num(b, e.op), e.op);
      }
    }
  }
}

/** The paths an expression mentions (to check them up front, or to know what a condition reads). */
export function exprPaths(e: Expr): string[] {
  switch (e.k) {
    case 'lit':
      return [];
    case 'path':
      return [e.text];
    case 'un':
      return exprPaths(e.a);
    case 'bin':
      return [...exprPaths(e.a), ...exprPaths(e.b)];
  }
}
