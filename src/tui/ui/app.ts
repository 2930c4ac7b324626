/**
 * The TUI's root component: the status bar, the panes where layout.ts puts them, and the
 * prompt/message line; the help text replaces the panes while shown. Reads the model (outside
 * React); re-renders when the render loop (launch.ts) bumps `frame`.
 */
import * as React from 'react';
import { ink } from '../ink';
import type { TuiModel } from '../model/tui-model';
import { PANE_TITLES, type PaneId } from '../model/panes';
import { computeLayout, type LayoutNode, type Rect } from './layout';
import { Pane } from './pane';
import { fit, type Line } from './style';
import { backtraceLines, consoleLines, eventLines, eventsTitle, pipelineLines, statsLines, threadLines } from '../views/pane-views';
import { bottomLine, HELP_TEXT, statusLine } from '../views/status-view';
import { pluginPaneLines } from '../../plugin/tui-pane';

export interface AppProps {
  model: TuiModel;
  cols: number;
  rows: number;
  /** Bumped by the render loop; only its change matters. */
  frame: number;
}

function paneContent(m: TuiModel, r: Rect): { title: string; lines: Line[]; selected?: number } {
  const w = r.width - 2;
  const hgt = r.height - 2;
  switch (r.id) {
    case 'console':
      return { title: `${PANE_TITLES.console}${m.mode.kind === 'typing' ? ' — typing' : ' — i to type'}`, lines: consoleLines(m, w, hgt) };
    case 'events': {
      const e = eventLines(m, w, hgt);
      return { title: eventsTitle(m), lines: e.lines, selected: e.selected };
    }
    case 'pipeline':
      return { title: PANE_TITLES.pipeline, lines: pipelineLines(m, w, hgt) };
    case 'backtrace':
      return backtraceLines(m, w, hgt);
    case 'threads':
      return { title: PANE_TITLES.threads, lines: threadLines(m, w, hgt) };
    case 'stats':
      return { title: PANE_TITLES.stats, lines: statsLines(m, w, hgt) };
    case 'plugins':
      return { title: PANE_TITLES.plugins, lines: pluginPaneLines(m.pluginPanes, w, hgt) };
  }
}

function renderNode(m: TuiModel, n: LayoutNode, key: string): React.ReactElement {
  const { Box } = ink();
  const h = React.createElement;
  if (n.kind === 'pane') {
    const c = paneContent(m, n.rect);
    return h(Pane, { key, title: c.title, width: n.rect.width, height: n.rect.height, focused: m.mode.kind === 'typing' ? n.rect.id === 'console' : m.focus === n.rect.id, lines: c.lines, selected: c.selected ?? -1 });
  }
  return h(Box, { key, flexDirection: n.kind === 'row' ? 'row' : 'column', width: n.width, height: n.height, flexShrink: 0 }, ...n.children.map((c, i) => renderNode(m, c, `${key}.${i}`)));
}

export function App(p: AppProps): React.ReactElement {
  const { Box, Text } = ink();
  const h = React.createElement;
  const m = p.model;
  const cols = Math.max(1, p.cols);
  const layout = computeLayout(cols, p.rows, m.panes, m.stream.selected() !== null || m.debugOutput !== null);
  let body: React.ReactElement;
  if (m.mode.kind === 'help') {
    const lines = HELP_TEXT.slice(0, Math.max(1, p.rows - 3));
    body = h(Box, { flexDirection: 'column', height: Math.max(1, p.rows - 3) }, ...lines.map((l, i) => h(Text, { key: i, wrap: 'truncate' }, fit(l, cols))));
  } else if (layout.tooSmall) {
    body = h(Text, { wrap: 'truncate' }, fit(`terminal too small (${p.cols}×${p.rows}); at least 40×10`, cols));
  } else {
    body = renderNode(m, layout.tree, 'root');
  }
  const dropped = layout.dropped.length > 0 && !layout.tooSmall ? ` (hidden for room: ${layout.dropped.join(', ')})` : '';
  const bottom = m.message === '' && dropped !== '' && m.mode.kind === 'normal' ? ([[`panes${dropped}`, 'muted']] as Line) : bottomLine(m);
  return h(
    Box,
    { flexDirection: 'column', width: cols },
    h(Text, { wrap: 'truncate' }, fit(statusLine(m), cols)),
    body,
    h(Text, { wrap: 'truncate' }, fit(bottom, cols)),
  );
}

export type { PaneId };
