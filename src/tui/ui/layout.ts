/**
 * Where the panes go, for a terminal of `cols` × `rows` (pure; the components only draw).
 *
 *   row 0            status bar (machine state, source, keys)
 *   rows 1..rows-3   the panes
 *   row rows-2       the prompt / message line
 * (the last terminal row stays empty: Ink's frame ends with a newline, and a frame as tall as the
 * terminal would make Ink clear the whole screen at every update.)
 *
 * Wide terminals (≥ WIDE columns): two columns — console, events and backtrace on the left (the
 * long lines), the pipeline, threads and stats on the right. Narrow ones (80 columns): one column,
 * with the pipeline and threads side by side. The backtrace pane only takes room while it has
 * something to show (a selected event or debug console output).
 * Heights follow the panes' weights, at least MIN_HEIGHT rows each; when the terminal is too short
 * for every visible pane, the least important ones are left out (`dropped`).
 */
import { PANE_IDS, type PaneId, type PaneState } from '../model/panes';

export const WIDE = 110;
export const MIN_HEIGHT = 3;
export const MIN_COLS = 40;
export const MIN_ROWS = 10;

export interface Rect {
  id: PaneId;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The same rectangles as nested rows and columns, the shape Ink's flexbox draws. */
export type LayoutNode = { kind: 'pane'; rect: Rect } | { kind: 'row' | 'col'; width: number; height: number; children: LayoutNode[] };

export interface Layout {
  cols: number;
  rows: number;
  panes: Rect[];
  tree: LayoutNode;
  dropped: PaneId[];
  /** Too small to draw panes at all. */
  tooSmall: boolean;
}

type Slot = PaneId[];

/** Lowest priority first: what goes when rows are short. */
const DROP_ORDER: PaneId[] = ['plugins', 'stats', 'threads', 'pipeline', 'backtrace', 'console', 'events'];

function stack(slots: Slot[], panes: Record<PaneId, PaneState>, x: number, width: number, top: number, height: number, out: Rect[], dropped: PaneId[]): LayoutNode {
  const col: LayoutNode = { kind: 'col', width, height, children: [] };
  let live = slots.map((s) => s.filter((id) => panes[id].visible)).filter((s) => s.length > 0);
  // Drop whole panes, least important first, until every slot gets MIN_HEIGHT rows.
  while (live.length * MIN_HEIGHT > height && live.length > 0) {
    const victim = DROP_ORDER.find((id) => live.some((s) => s.includes(id)))!;
    dropped.push(victim);
    live = live.map((s) => s.filter((id) => id !== victim)).filter((s) => s.length > 0);
  }
  if (live.length === 0) return col;
  const weights = live.map((s) => Math.max(...s.map((id) => panes[id].weight)));
  const total = weights.reduce((a, b) => a + b, 0);
  const spare = height - live.length * MIN_HEIGHT;
  const heights = weights.map((w) => MIN_HEIGHT + Math.floor((spare * w) / total));
  let left = height - heights.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % heights.length, left--) heights[i]++;
  let y = top;
  live.forEach((slot, i) => {
    const w = Math.floor(width / slot.length);
    const row: LayoutNode = { kind: 'row', width, height: heights[i], children: [] };
    slot.forEach((id, j) => {
      const rect = { id, x: x + w * j, y, width: j === slot.length - 1 ? width - w * j : w, height: heights[i] };
      out.push(rect);
      row.children.push({ kind: 'pane', rect });
    });
    col.children.push(row.children.length === 1 ? row.children[0] : row);
    y += heights[i];
  });
  return col;
}

export function computeLayout(cols: number, rows: number, panes: Record<PaneId, PaneState>, backtraceActive: boolean): Layout {
  const out: Rect[] = [];
  const dropped: PaneId[] = [];
  const top = 1;
  const height = rows - 3;
  if (cols < MIN_COLS || rows < MIN_ROWS) return { cols, rows, panes: [], tree: { kind: 'col', width: cols, height: 0, children: [] }, dropped: [...PANE_IDS], tooSmall: true };
  let tree: LayoutNode;
  const eff = backtraceActive ? panes : { ...panes, backtrace: { ...panes.backtrace, visible: false } };
  if (cols >= WIDE) {
    const left = Math.floor(cols * 0.58);
    const l = stack([['console'], ['events'], ['backtrace']], eff, 0, left, top, height, out, dropped);
    const r = stack([['pipeline'], ['threads'], ['stats'], ['plugins']], eff, left, cols - left, top, height, out, dropped);
    tree = { kind: 'row', width: cols, height, children: [l, r] };
  } else {
    tree = stack([['console'], ['events'], ['pipeline', 'threads'], ['backtrace'], ['stats'], ['plugins']], eff, 0, cols, top, height, out, dropped);
  }
  return { cols, rows, panes: out, tree, dropped, tooSmall: false };
}
