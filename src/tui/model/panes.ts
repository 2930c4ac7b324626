/**
 * The panes and their user-controlled state: shown or hidden (keys 1-7), and a weight (the share
 * of its column's height; `+`/`-` on the focused pane). The plugins pane (7) shows the panes of
 * --plugin plugins (src/plugin/tui-pane.ts); it starts shown only when plugins are loaded.
 */
export const PANE_IDS = ['console', 'events', 'pipeline', 'backtrace', 'threads', 'stats', 'plugins'] as const;
export type PaneId = (typeof PANE_IDS)[number];

export const PANE_TITLES: Record<PaneId, string> = {
  console: 'guest console',
  events: 'events',
  pipeline: 'request pipeline',
  backtrace: 'backtrace',
  threads: 'threads',
  stats: 'stats',
  plugins: 'plugins',
};

export interface PaneState {
  visible: boolean;
  weight: number;
}

export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 12;

export function defaultPanes(): Record<PaneId, PaneState> {
  return {
    console: { visible: true, weight: 4 },
    events: { visible: true, weight: 5 },
    pipeline: { visible: true, weight: 4 },
    backtrace: { visible: true, weight: 5 },
    threads: { visible: true, weight: 4 },
    stats: { visible: true, weight: 2 },
    plugins: { visible: false, weight: 4 },
  };
}
