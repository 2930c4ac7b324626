/**
 * Terminal input → keys. The TUI reads stdin itself (raw mode), not through Ink's useInput: in
 * typing mode every byte must reach the guest's UART unchanged (escape sequences included), and
 * the key handling lives with the state, outside React.
 *
 * `splitKeys(chunk)` cuts a chunk into key sequences: a CSI/SS3 escape sequence (`ESC [ ... final`,
 * `ESC O x`), `ESC` + one character (Alt-x), a lone ESC (Escape), or one UTF-8 character.
 * `keyName(seq)` names the ones the TUI binds (up, down, pageup, pagedown, home, end, enter, tab,
 * shift-tab, escape, backspace, ctrl-X); other sequences are returned as themselves.
 *
 * Contract: pure, total (any bytes, any split).
 */
export function splitKeys(chunk: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < chunk.length) {
    const c = chunk[i];
    if (c !== '\x1b') {
      const cp = chunk.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(ch);
      i += ch.length;
      continue;
    }
    const next = chunk[i + 1];
    if (next === undefined) {
      out.push('\x1b');
      i++;
    } else if (next === '[') {
      let j = i + 2;
      while (j < chunk.length && !(chunk.charCodeAt(j) >= 0x40 && chunk.charCodeAt(j) <= 0x7e)) j++;
      out.push(chunk.slice(i, Math.min(j + 1, chunk.length)));
      i = j + 1;
    } else if (next === 'O' && i + 2 < chunk.length) {
      out.push(chunk.slice(i, i + 3));
      i += 3;
    } else if (next === '\x1b') {
      out.push('\x1b');
      i++;
    } else {
      out.push(chunk.slice(i, i + 2));
      i += 2;
    }
  }
  return out;
}

const NAMES: Record<string, string> = {
  '\x1b[A': 'up',
  '\x1bOA': 'up',
  '\x1b[B': 'down',
  '\x1bOB': 'down',
  '\x1b[C': 'right',
  '\x1bOC': 'right',
  '\x1b[D': 'left',
  '\x1bOD': 'left',
  '\x1b[5~': 'pageup',
  '\x1b[6~': 'pagedown',
  '\x1b[H': 'home',
  '\x1bOH': 'home',
  '\x1b[1~': 'home',
  '\x1b[7~': 'home',
  '\x1b[F': 'end',
  '\x1bOF': 'end',
  '\x1b[4~': 'end',
  '\x1b[8~': 'end',
  '\x1b[Z': 'shift-tab',
  '\r': 'enter',
  '\n': 'enter',
  '\t': 'tab',
  '\x1b': 'escape',
  '\x7f': 'backspace',
  '\b': 'backspace',
};

export function keyName(seq: string): string {
  const n = NAMES[seq];
  if (n !== undefined) return n;
  if (seq.length === 1) {
    const c = seq.charCodeAt(0);
    if (c < 0x20) return `ctrl-${String.fromCharCode(c + 0x60)}`;
  }
  return seq;
}
