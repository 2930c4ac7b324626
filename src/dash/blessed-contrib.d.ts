/**
 * The parts of blessed-contrib (no published types) that src/dash uses: the grid layout, line
 * and bar charts, and a log box.
 */
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed';

  export interface LineSeries {
    title: string;
    x: string[];
    y: number[];
    style?: { line?: string | number };
  }

  export interface LineChart extends Widgets.BoxElement {
    setData(data: LineSeries[]): void;
  }

  export interface BarChart extends Widgets.BoxElement {
    setData(data: { titles: string[]; data: number[] }): void;
  }

  export interface LogBox extends Widgets.BoxElement {
    log(line: string): void;
  }

  type Factory<T> = (options: Record<string, unknown>) => T;

  export class grid {
    constructor(options: { rows: number; cols: number; screen: Widgets.Screen; hideBorder?: boolean; color?: string });
    set<T>(row: number, col: number, rowSpan: number, colSpan: number, factory: Factory<T>, options: Record<string, unknown>): T;
  }

  export const line: Factory<LineChart>;
  export const bar: Factory<BarChart>;
  export const log: Factory<LogBox>;
  export const markdown: Factory<Widgets.BoxElement & { setMarkdown(text: string): void }>;
}
