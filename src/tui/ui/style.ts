/**
 * Styled text for the panes: a line is a list of segments (text + style), truncated and padded to
 * the pane's width before colours are applied, so widths are counted on plain text.
 * Colours come from chalk and honour NO_COLOR (https://no-color.org: set and not empty → no
 * colour; bold/inverse/dim stay, they are not colours) and FORCE_COLOR.
 *
 * Contract: pure; `fit` returns a string of exactly `width` visible columns (wide characters are
 * counted as one column: guest output is ASCII in practice).
 */
import chalk from 'chalk';

export type Style = 'dim' | 'bold' | 'inverse' | 'title' | 'ok' | 'warn' | 'bad' | 'accent' | 'muted' | 'cat-io' | 'cat-cpu' | 'cat-loop' | 'cat-sys' | 'plain';

export type Segment = [text: string, style?: Style | Style[]];
export type Line = Segment[];

export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return true;
}

/** chalk's own detection (a TTY, FORCE_COLOR), turned off by NO_COLOR. */
const c = new chalk.Instance({ level: colorEnabled() ? chalk.level : 0 });

const STYLES: Record<Style, (s: string) => string> = {
  plain: (s) => s,
  dim: (s) => c.dim(s),
  bold: (s) => c.bold(s),
  inverse: (s) => c.inverse(s),
  title: (s) => c.bold.cyan(s),
  ok: (s) => c.green(s),
  warn: (s) => c.yellow(s),
  bad: (s) => c.red(s),
  accent: (s) => c.cyan(s),
  muted: (s) => c.gray(s),
  'cat-io': (s) => c.magenta(s),
  'cat-cpu': (s) => c.blue(s),
  'cat-loop': (s) => c.cyan(s),
  'cat-sys': (s) => c.yellow(s),
};

/** No colours at all (NO_COLOR), for the chalk level chosen at load. */
export const NO_COLOR = c.level === 0;

function apply(text: string, style: Style | Style[] | undefined): string {
  if (style === undefined || text === '') return text;
  const list = Array.isArray(style) ? style : [style];
  return list.reduce((t, s) => STYLES[s](t), text);
}

/** Strip control characters a terminal would act on (guest text, event arguments). */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '·');
}

/** Exactly `width` columns: segments truncated (with `…` when cut) and padded with spaces. */
export function fit(line: Line | string, width: number, fill: Style | Style[] | undefined = undefined): string {
  if (width <= 0) return '';
  const segs: Line = typeof line === 'string' ? [[line]] : line;
  let out = '';
  let used = 0;
  for (let i = 0; i < segs.length && used < width; i++) {
    const [raw, style] = segs[i];
    const text = printable(raw);
    const room = width - used;
    if (text.length > room) {
      const cut = room > 1 ? text.slice(0, room - 1) + '…' : text.slice(0, room);
      out += apply(cut, style ?? fill);
      used = width;
      break;
    }
    out += apply(text, style ?? fill);
    used += text.length;
  }
  if (used < width) out += apply(' '.repeat(width - used), fill);
  return out;
}

/** Plain text of a line (tests, width checks). */
export function plain(line: Line): string {
  return line.map(([t]) => t).join('');
}

export function styled(text: string, style: Style | Style[]): string {
  return apply(text, style);
}
