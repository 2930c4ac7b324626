/**
 * The panes' contents as lines (pure functions of the model and the pane's inner size): the guest
 * console, the event stream, the request pipeline, the threads, the stats, the backtrace. The Ink
 * components (../ui) draw them in bordered boxes; tests can read them directly.
 *
 * Contract: each returns at most `height` lines; lines are truncated by the caller (style.fit).
 */
import type { TuiModel } from '../model/tui-model';
import { STAGES, type IoRequest } from '../model/pipeline';
import type { Line } from '../ui/style';
import { eventLine } from './event-line';
import { HIST_BUCKETS } from '../model/io-stats';

export function consoleLines(m: TuiModel, _width: number, height: number): Line[] {
  const lines: Line[] = m.console.tail(height).map((t) => [[t]]);
  if (lines.length === 0) lines.push([['(no output yet)', 'muted']]);
  return lines;
}

export function eventLines(m: TuiModel, _width: number, height: number): { lines: Line[]; selected: number } {
  const v = m.stream.view(height);
  const origin = m.stream.originNs ?? 0;
  const lines = v.rows.map((e) => eventLine(e.ev, e.cat, origin));
  if (lines.length === 0) lines.push([[m.stream.total === 0 ? '(waiting for events)' : '(no event matches the filter)', 'muted']]);
  return { lines, selected: v.selected };
}

export function eventsTitle(m: TuiModel): string {
  const s = m.stream;
  const state = s.paused ? `paused ${s.view(1).matching ?? 0} shown` : 'following';
  return `events [${s.filter.label}] ${state}, ${s.total} total${m.lost > 0 ? `, ${m.lost} lost` : ''}`;
}

const STAGE_SHORT: Record<(typeof STAGES)[number], string> = {
  vcpu: 'vCPU',
  loop: 'loop',
  coroutine: 'co',
  worker: 'worker',
  completion: 'done',
  interrupt: 'irq',
};

function stageBar(r: IoRequest): Line {
  const at = STAGES.indexOf(r.stage);
  return STAGES.map((s, i): [string, Line[number][1]] => {
    const mark = i < at ? '━' : i === at ? '●' : '─';
    return [mark, i === at ? (r.doneNs !== undefined ? 'ok' : 'accent') : i < at ? 'ok' : 'muted'];
  });
}

function requestLine(r: IoRequest, nowNs: number): Line {
  const op = r.op.padEnd(5);
  const size = r.op === 'flush' ? '' : `${r.sector}+${Math.round(r.bytes / 512)}`;
  const age = ((r.doneNs ?? nowNs) - r.startNs) / 1000;
  const ageText = age >= 1000 ? `${(age / 1000).toFixed(1)}ms` : `${Math.round(age)}µs`;
  return [
    [`#${r.req}`.padEnd(4) + ' ', 'bold'],
    [op, r.op === 'write' ? 'warn' : r.op === 'read' ? 'accent' : 'plain'],
    [size.padEnd(8) + ' '],
    ...stageBar(r),
    [` ${STAGE_SHORT[r.stage].padEnd(6)} `, 'bold'],
    [`${ageText.padEnd(8)} `, r.doneNs !== undefined ? 'muted' : 'plain'],
    [`${r.where} `, 'dim'],
    [r.detail, 'muted'],
  ];
}

export function pipelineLines(m: TuiModel, _width: number, height: number): Line[] {
  const p = m.pipeline;
  const now = m.stats.lastNs;
  const header: Line = [[`in flight ${p.inFlight.size}`, 'bold'], [`  done ${p.completed}`, 'muted'], [p.pendingKicks > 0 ? `  ${p.pendingKicks} QueueNotify pending` : '', 'warn'], ['  vCPU→loop→co→worker→done→irq', 'muted']];
  const live = p.list().map((r) => requestLine(r, now));
  const room = Math.max(0, height - 1 - live.length);
  const recent = p.recent.slice(-room).map((r) => requestLine(r, now).map(([t, s]): Line[number] => [t, s === 'bold' ? 'dim' : s]));
  return [header, ...live.slice(0, height - 1), ...recent].slice(0, height);
}

/** One short entry per thread, packed into the lines there are (a small pane). */
function compactThreads(m: TuiModel, width: number, height: number): Line[] {
  const t = m.threads;
  const items: Line[number][][] = [];
  for (const v of t.vcpus.values()) items.push([[`vcpu${v.index} `, 'bold'], [v.state, v.state === 'running' ? 'ok' : 'muted']]);
  for (const w of t.workers.values()) items.push([[`${w.name} `, 'bold'], [w.busy ? `busy ${w.func}` : `idle ${w.jobs} jobs`, w.busy ? 'warn' : 'muted']]);
  for (const l of t.loops.values()) items.push([[`${l.name} `, 'bold'], [`${l.dispatches} disp`, 'dim']]);
  items.push([['coroutines ', 'bold'], [`${t.coroutines.size}`, 'dim']]);
  const out: Line[] = [];
  let cur: Line = [];
  let used = 0;
  for (const it of items) {
    const len = it.reduce((a, [x]) => a + x.length, 0) + 2;
    if (used > 0 && used + len > width) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(...it, ['  ']);
    used += len;
  }
  if (cur.length > 0) out.push(cur);
  return out.slice(0, height);
}

export function threadLines(m: TuiModel, width: number, height: number): Line[] {
  const t = m.threads;
  if (t.vcpus.size + t.workers.size + t.loops.size + 1 > height) return compactThreads(m, width, height);
  const out: Line[] = [];
  for (const v of t.vcpus.values()) {
    out.push([[`vcpu${v.index}`.padEnd(10), 'bold'], [v.state.padEnd(9), v.state === 'running' ? 'ok' : v.state === 'idle' ? 'muted' : 'plain'], [`pc 0x${v.pc.toString(16)}  ${(v.instructions / 1e6).toFixed(1)}M insns`, 'dim']]);
  }
  for (const l of t.loops.values()) {
    out.push([[l.name.padEnd(10), 'bold'], [`${l.dispatches} dispatches, ${l.bottomHalves} BHs`, 'dim'], [l.name === 'main-loop' ? ` (${l.thread} thread)` : '', 'muted']]);
  }
  for (const w of t.workers.values()) {
    out.push([[w.name.padEnd(10), 'bold'], [w.busy ? 'busy'.padEnd(9) : 'idle'.padEnd(9), w.busy ? 'warn' : 'muted'], [w.busy ? `${w.func} job ${w.job}` : `${w.jobs} jobs`, 'dim'], [w.tid ? `  tid ${w.tid}` : '', 'muted']]);
  }
  const cos = [...t.coroutines.values()];
  out.push([[`coroutines ${cos.length} live`, 'bold'], [cos.length > 0 ? ': ' + cos.slice(0, 6).map((c) => `${c.co} ${c.entry} ${c.state}`).join(', ') : '', 'dim']]);
  if (out.length === 1) out.unshift([['(no threads reported yet)', 'muted']]);
  return out.slice(0, height);
}

function us(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)}ms` : `${v.toFixed(0)}µs`;
}

export function statsLines(m: TuiModel, width: number, height: number): Line[] {
  const s = m.stats;
  const last = s.last();
  const pc = s.runPercentiles();
  const iops = last ? last.iops.toFixed(0) : '-';
  const mbps = last ? (last.readMBps + last.writeMBps).toFixed(2) : '-';
  const mips = last ? last.mips.toFixed(1) : '-';
  const depth = m.pipeline.inFlight.size;
  const busy = m.threads.busyWorkers();
  const lines: Line[] = [
    [['IOPS ', 'dim'], [iops.padEnd(7), 'bold'], ['MB/s ', 'dim'], [mbps.padEnd(7), 'bold'], last ? [`(r ${last.readMBps.toFixed(2)} w ${last.writeMBps.toFixed(2)})  `, 'muted'] : [''], ['MIPS ', 'dim'], [mips, 'bold']],
    [['latency ', 'dim'], [`p50 ${us(pc.p50)} p90 ${us(pc.p90)} p99 ${us(pc.p99)}`, 'bold'], [` (${pc.n} requests)`, 'muted']],
    [['queue depth ', 'dim'], [`${depth}`, 'bold'], [last ? ` (max ${last.queueDepth} last s)` : '', 'muted'], ['   pool busy ', 'dim'], [`${busy}/${m.threads.workers.size}`, 'bold'], [`   ${(s.totalRead / 1024).toFixed(1)} KiB read, ${(s.totalWritten / 1024).toFixed(1)} KiB written`, 'muted']],
  ];
  if (height >= 4) lines.push(histLine(s.hist, width));
  if (height === 1) return [[['IOPS ', 'dim'], [iops, 'bold'], [' MB/s ', 'dim'], [mbps, 'bold'], [' p50 ', 'dim'], [us(pc.p50), 'bold'], [' qd ', 'dim'], [`${depth}`, 'bold'], [' busy ', 'dim'], [`${busy}`, 'bold'], [' MIPS ', 'dim'], [mips, 'bold']]];
  return lines.slice(0, height);
}

/** A one-line log2 latency histogram: the non-empty buckets as sparkline bars. */
function histLine(hist: readonly number[], _width: number): Line {
  const first = hist.findIndex((n) => n > 0);
  if (first < 0) return [['latency histogram: no requests yet', 'muted']];
  let last = HIST_BUCKETS - 1;
  while (hist[last] === 0) last--;
  const max = Math.max(...hist);
  const bars = '▁▂▃▄▅▆▇█';
  const spark = hist.slice(first, last + 1).map((n) => (n === 0 ? ' ' : bars[Math.min(7, Math.floor((n / max) * 7.999))])).join('');
  return [['log2 µs ', 'dim'], [`${2 ** first}`, 'muted'], [' ' + spark + ' ', 'accent'], [`${2 ** (last + 1)}`, 'muted']];
}

/** The backtrace pane scrolls (↑/↓, PgUp/PgDn, g/G while focused), never past its last line. */
function window(m: TuiModel, lines: Line[], height: number): Line[] {
  m.backtraceScroll = Math.max(0, Math.min(m.backtraceScroll, lines.length - height));
  return lines.slice(m.backtraceScroll, m.backtraceScroll + height);
}

function moreHint(m: TuiModel, total: number, height: number): string {
  const below = total - m.backtraceScroll - height;
  return below > 0 ? ` (${below} more lines${m.focus === 'backtrace' ? '' : ': tab to focus, ↓'})` : '';
}

export function backtraceLines(m: TuiModel, _width: number, height: number): { title: string; lines: Line[] } {
  if (m.debugOutput !== null) {
    const lines: Line[] = m.debugOutput.lines.map((t) => [[t]]);
    return { title: `debug console: ${m.debugOutput.command}${moreHint(m, lines.length, height)}`, lines: window(m, lines, height) };
  }
  const sel = m.stream.selected();
  if (sel === null || m.backtrace === null) {
    return { title: 'backtrace', lines: [[['Select an event (↑/↓ in the events pane) to see its stitched backtrace.', 'muted']]] };
  }
  const r = m.backtrace.result;
  if ('none' in r) return { title: `backtrace of ${sel.ev.name}`, lines: [[[r.none, 'muted']]] };
  const lines: Line[] = r.lines.map((t) => (t.startsWith('---') ? [[t, 'accent']] : [[t]]));
  return { title: `backtrace of ${sel.ev.name}: ${r.title}${moreHint(m, lines.length, height)}`, lines: window(m, lines, height) };
}
