/**
 * The syntax of state paths: `hd0.file.fd`, `hd0->file->fd`, `/machine/peripheral-anon/device[0]`,
 * `machine.harts[0]`, `$member.vdev`, `#block123.fd`. A path is a list of name tokens (each with
 * the separator before it: '' for the first, '.', '/') and index tokens (`[N]`).
 *
 * Contract: pure; tokenize throws Error with gdb's syntax-error wording.
 */

export type Tok = { t: 'name'; s: string; sep: string } | { t: 'index'; s: string };

export function tokenize(path: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let sep = '';
  const s = path.trim();
  while (i < s.length) {
    if (s[i] === '[') {
      const j = s.indexOf(']', i);
      if (j < 0) throw new Error(`A syntax error in expression, near \`${s.slice(i)}'.`);
      out.push({ t: 'index', s: s.slice(i + 1, j).trim() });
      i = j + 1;
      continue;
    }
    if (s.startsWith('->', i)) {
      sep = '.';
      i += 2;
      continue;
    }
    if (s[i] === '.' || s[i] === '/') {
      sep = s[i];
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== '[' && s[j] !== '.' && s[j] !== '/' && !s.startsWith('->', j)) j++;
    const bad = /[^\w$#:-]/.exec(s.slice(i, j));
    if (bad !== null) throw new Error(`A syntax error in expression, near \`${s.slice(i + bad.index)}'.`);
    out.push({ t: 'name', s: s.slice(i, j), sep });
    sep = '.';
    i = j;
  }
  return out;
}

