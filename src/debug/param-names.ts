/**
 * The parameter names of a JS function, read from its source at the position V8 reports as the
 * function's location (the `(` of its parameter list, or the single parameter of `x => ...`):
 * `(bs, offset, bytes, qiov, flags = 0, ...rest)` → bs, offset, bytes, qiov, flags, rest.
 * Destructured parameters contribute the names they bind (`{ fd, flags }` → fd, flags).
 *
 * Contract: pure. Returns null when the text there is not a parameter list it understands; never
 * throws.
 */

/** Scan from `open` (an opening bracket) to its match; the index after it, or -1. */
function skipBalanced(src: string, open: number): number {
  const closer: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(src, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      if (e < 0) return -1;
      i = e + 1;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const e = src.indexOf('\n', i);
      if (e < 0) return -1;
      i = e;
      continue;
    }
    if (c in closer) stack.push(closer[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

/** Index of the closing quote of the string starting at i. */
function skipString(src: string, i: number): number {
  const q = src[i];
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === q) return j;
  }
  return -1;
}

/** Index of the first `ch` outside brackets and strings, or -1. */
function indexTop(text: string, ch: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      const e = skipString(text, i);
      if (e < 0) return -1;
      i = e;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ch && depth === 0) return i;
  }
  return -1;
}

/** Split at top-level commas. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let rest = text;
  for (let i = indexTop(rest, ','); i >= 0; i = indexTop(rest, ',')) {
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  parts.push(rest);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The names a binding binds: `name`, `name = default`, `...name`, or a destructuring pattern. */
function boundNames(binding: string): string[] | null {
  let p = binding.trim().replace(/^\.\.\./, '').trim();
  const eq = indexTop(p, '=');
  if (eq >= 0 && p[eq + 1] !== '>') p = p.slice(0, eq).trim();
  if (p[0] !== '{' && p[0] !== '[') return IDENT.test(p) ? [p] : null;
  if (skipBalanced(p, 0) !== p.length) return null;
  const out: string[] = [];
  for (const part of splitTop(p.slice(1, -1))) {
    const colon = p[0] === '{' && !part.startsWith('...') ? indexTop(part, ':') : -1;
    const names = boundNames(colon >= 0 ? part.slice(colon + 1) : part);
    if (names === null) return null;
    out.push(...names);
  }
  return out;
}

/** Parameter names of the function whose parameter list starts at offset `at` of `text`. */
export function parameterNames(text: string, at: number): string[] | null {
  const rest = text.slice(at);
  if (rest.startsWith('(')) {
    const end = skipBalanced(rest, 0);
    if (end < 0) return null;
    const names: string[] = [];
    // Comments go first (a default value's string containing `//` or `/*` is not supported).
    const list = rest.slice(1, end - 1).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
    for (const p of splitTop(list)) {
      const n = boundNames(p);
      if (n === null) return null;
      names.push(...n);
    }
    return names;
  }
  const m = /^([A-Za-z_$][\w$]*)\s*=>/.exec(rest);
  return m !== null ? [m[1]] : null;
}
