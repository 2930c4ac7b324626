/**
 * A pane: a rounded frame with its title in the top border (the focused pane's frame is
 * highlighted) around `height - 2` lines of content, each already fitted to the inner width.
 */
import * as React from 'react';
import { ink } from '../ink';
import { fit, NO_COLOR, styled, type Line } from './style';

export interface PaneProps {
  title: string;
  width: number;
  height: number;
  focused: boolean;
  lines: Line[];
  /** Index of the selected content line (drawn inverse), -1 for none. */
  selected?: number;
}

export function frameTop(title: string, width: number, focused: boolean): string {
  const inner = Math.max(0, width - 2);
  const t = fit(` ${title} `, Math.min(inner - 1, title.length + 2)).trimEnd() + ' ';
  const label = inner >= 4 ? `─${t}` : '';
  const rest = Math.max(0, inner - label.length);
  const border = focused ? 'accent' : 'muted';
  return styled('╭', border) + styled(label.slice(0, 1), border) + styled(label.slice(1), focused ? ['bold', 'accent'] : 'bold') + styled('─'.repeat(rest) + '╮', border);
}

export function Pane(p: PaneProps): React.ReactElement {
  const { Box, Text } = ink();
  const h = React.createElement;
  const inner = Math.max(0, p.width - 2);
  const rows = Math.max(0, p.height - 2);
  // The content as one Text of lines already exactly `inner` wide: Ink has nothing to wrap, and
  // content lines stay plain ASCII where the text is (Ink measures those on a fast path). The side
  // and bottom borders are Ink's own; the top one is drawn here, with the title in it.
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const line = p.lines[i];
    out.push(line === undefined ? ' '.repeat(inner) : fit(line, inner, i === p.selected ? 'inverse' : undefined));
  }
  const color = NO_COLOR ? undefined : p.focused ? 'cyan' : 'gray';
  return h(
    Box,
    { flexDirection: 'column', width: p.width, height: p.height, flexShrink: 0 },
    h(Text, { wrap: 'truncate' }, frameTop(p.title, p.width, p.focused)),
    h(
      Box,
      { borderStyle: 'round', borderTop: false, borderColor: color, width: p.width, height: p.height - 1, flexShrink: 0 },
      h(Text, { wrap: 'truncate' }, out.join('\n')),
    ),
  );
}
