/**
 * The dashboard's screen (blessed + blessed-contrib): IOPS and MB/s over time, the log2 latency
 * histogram, queue depth and busy pool workers, guest MIPS, and a summary box. Redraws at most
 * four times a second when the data changed, and on resize. `q`, Esc or Ctrl-C leave; blessed
 * restores the terminal (alternate screen, cursor, raw mode) on destroy and on process exit.
 *
 * Colours honour NO_COLOR (charts then draw in the terminal's default colour).
 *
 * Contract: one per process; `closed` resolves when the user left.
 */
import blessed from 'blessed';
import * as contrib from 'blessed-contrib';
import type { DashData } from './dash-data';
import { histBars, seriesOf } from './chart-data';
import { colorEnabled } from '../tui/ui/style';

const REDRAW_MS = 250;

export class DashScreen {
  readonly closed: Promise<void>;
  private readonly screen: blessed.Widgets.Screen;
  private readonly charts: { iops: contrib.LineChart; mbps: contrib.LineChart; hist: contrib.BarChart; depth: contrib.LineChart; mips: contrib.LineChart; info: blessed.Widgets.BoxElement };
  private readonly timer: NodeJS.Timeout;
  private drawn = -1;

  constructor(private readonly data: DashData) {
    const color = colorEnabled();
    const c = (name: string) => (color ? name : 'white');
    // Unicode frames (not the terminal's alternate character set): they read the same everywhere.
    this.screen = blessed.screen({ smartCSR: true, title: 'vtrace dash', fullUnicode: true, forceUnicode: true });
    const grid = new contrib.grid({ rows: 12, cols: 12, screen: this.screen, color: c('cyan') });
    const lineOpts = (label: string, extra: Record<string, unknown> = {}) => ({
      label: ` ${label} `, showLegend: false, minY: 0, xLabelPadding: 2, xPadding: 3, numYLabels: 3,
      style: { line: c('yellow'), text: c('green'), baseline: c('white') }, ...extra,
    });
    this.charts = {
      iops: grid.set(0, 0, 4, 6, contrib.line, lineOpts('IOPS')),
      mbps: grid.set(0, 6, 4, 6, contrib.line, lineOpts('MB/s (read yellow, write red)', { showLegend: false })),
      hist: grid.set(4, 0, 4, 6, contrib.bar, { label: ' latency histogram (usecs, log2 buckets from) ', barWidth: 5, barSpacing: 7, xOffset: 0, maxHeight: 10, barBgColor: c('cyan') }),
      depth: grid.set(4, 6, 4, 6, contrib.line, lineOpts('queue depth (yellow), busy workers (red)')),
      mips: grid.set(8, 0, 4, 6, contrib.line, lineOpts('guest MIPS')),
      info: grid.set(8, 6, 4, 6, blessed.box, { label: ' run ', tags: false, content: '' }),
    };
    this.closed = new Promise((resolve) => {
      this.screen.key(['q', 'escape', 'C-c'], () => {
        this.destroy();
        resolve();
      });
    });
    this.screen.on('resize', () => {
      this.drawn = -1;
      // blessed-contrib charts recompute their canvas on attach/resize; give them the data again.
      setImmediate(() => this.draw());
    });
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.draw();
  }

  private draw(): void {
    const d = this.data;
    if (d.version === this.drawn) return;
    this.drawn = d.version;
    const ch = this.charts;
    const width = typeof ch.iops.width === 'number' ? ch.iops.width : 40;
    const s = seriesOf(d.samples, Math.max(2, Math.floor((width - 8) / 2)), d.intervalNs);
    const red = colorEnabled() ? 'red' : 'white';
    try {
      ch.iops.setData([{ title: 'IOPS', x: s.x, y: s.iops }]);
      ch.mbps.setData([
        { title: 'read', x: s.x, y: s.readMBps },
        { title: 'write', x: s.x, y: s.writeMBps, style: { line: red } },
      ]);
      ch.depth.setData([
        { title: 'queue', x: s.x, y: s.queueDepth },
        { title: 'busy', x: s.x, y: s.busyWorkers, style: { line: red } },
      ]);
      ch.mips.setData([{ title: 'MIPS', x: s.x, y: s.mips }]);
      const hw = typeof ch.hist.width === 'number' ? ch.hist.width : 40;
      ch.hist.setData(histBars(d.hist, Math.max(1, Math.floor((hw - 2) / 7))));
    } catch {
      // A chart too small for its data (a tiny terminal): leave it as it was.
    }
    const last = d.samples[d.samples.length - 1];
    const io = [...d.samples].reverse().find((x) => x.iops > 0);
    const peak = d.peaks();
    const t = d.totals();
    const lines = [
      d.title,
      `${d.state}${d.ended ? '' : ' (live)'}   interval ${(d.intervalNs / 1e6).toFixed(d.intervalNs < 1e7 ? 1 : 0)} ms`,
      `samples ${d.samples.length}: ${t.requests} requests in ${t.seconds.toFixed(3)} s`,
      last ? `now:  IOPS ${last.iops.toFixed(0)}  MB/s r ${last.readMBps.toFixed(2)} w ${last.writeMBps.toFixed(2)}  qd ${last.queueDepth}  MIPS ${last.mips.toFixed(1)}` : 'no samples yet',
      last ? `peak: IOPS ${peak.iops.toFixed(0)}  MB/s ${peak.mbps.toFixed(2)}  qd ${peak.queueDepth}  busy ${peak.busy}  MIPS ${peak.mips.toFixed(1)}` : '',
      io ? `latency (last interval with I/O): p50 ${io.p50.toFixed(0)} µs  p90 ${io.p90.toFixed(0)} µs  p99 ${io.p99.toFixed(0)} µs` : 'latency: no I/O yet',
      d.error !== '' ? `error: ${d.error}` : 'q quits',
    ];
    ch.info.setContent(lines.join('\n'));
    this.screen.render();
  }

  destroy(): void {
    clearInterval(this.timer);
    this.screen.destroy();
  }
}
