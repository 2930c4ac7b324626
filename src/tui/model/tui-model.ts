/**
 * The TUI's state, kept outside React (Ink's components only read it): the guest console, the
 * event stream, the request pipeline, the threads, the statistics, the backtrace index, the run
 * state of the machine, and the UI's own state (focus, panes, modes, prompts, messages).
 *
 * Rendering is sampled, never per event: ingest() only updates the state and marks it dirty;
 * the render loop (launch.ts) redraws at most `fps` times a second when something changed, and at
 * once after a key (`touch(true)`).
 *
 * Contract: one thread (the main thread); ingest() takes events in (roughly) time order, already
 * reordered by the source; ingestRaw() takes them in the tail's order for the backtrace index.
 */
import type { RecEvent } from '../../trace/vtr-reader';
import type { VtrThread } from '../../trace/vtr-format';
import { ConsoleBuffer } from './console-buffer';
import { EventStream } from './event-stream';
import { Pipeline } from './pipeline';
import { ThreadsModel } from './threads';
import { IoStats } from './io-stats';
import { BacktraceIndex, type BacktraceLookup } from './backtraces';
import type { VmState } from './vm-state';
import { defaultPanes, type PaneId, type PaneState } from './panes';
import type { PluginPaneContent } from '../../plugin/panes';

export type Mode =
  | { kind: 'normal' }
  /** Keys go to the guest's UART; Ctrl-A then a key leaves (Ctrl-A x quits, Ctrl-A a sends Ctrl-A). */
  | { kind: 'typing' }
  /** A one-line prompt: the event filter (`/`) or a debug console command (`:`). */
  | { kind: 'prompt'; purpose: 'filter' | 'command'; text: string }
  | { kind: 'help' };

export class TuiModel {
  readonly console = new ConsoleBuffer();
  readonly stream = new EventStream();
  readonly threads = new ThreadsModel();
  readonly stats: IoStats;
  readonly backtraces = new BacktraceIndex();
  readonly pipeline: Pipeline;
  vm: VmState = { kind: 'starting' };
  mode: Mode = { kind: 'normal' };
  panes: Record<PaneId, PaneState> = defaultPanes();
  focus: PaneId = 'events';
  /** The plugins' panes as last fetched from the emulator thread (src/plugin/tui-pane.ts). */
  pluginPanes: PluginPaneContent[] = [];
  /** Output of the last debug console command (the `:` prompt), shown in the backtrace pane's place. */
  debugOutput: { command: string; lines: string[] } | null = null;
  /** A transient line at the bottom (errors, confirmations). */
  message = '';
  /** The backtrace pane's content for the selected event (computed on selection). */
  backtrace: { seq: number; result: BacktraceLookup } | null = null;
  /** First backtrace line shown (the backtrace pane scrolls when focused). */
  backtraceScroll = 0;
  /** Where the events come from (the recording being tailed), for the title. */
  source = '';
  /** Events the recorder reported lost. */
  lost = 0;
  quitting = false;
  private dirty = true;
  private urgent = false;
  private listeners: Array<(urgent: boolean) => void> = [];

  /** `intervalNs`: the statistics' sample interval (event time). */
  constructor(intervalNs = 1e9) {
    this.stats = new IoStats(intervalNs);
    this.pipeline = new Pipeline((d) => this.stats.completed(d.ns, d.op, d.bytes, d.latencyNs));
  }

  /** A thread of the recording was announced. */
  addThread(t: VtrThread): void {
    this.threads.addThread(t);
    this.touch();
  }

  /** Events in the recording's per-thread order (before reordering): the backtrace index. */
  ingestRaw(events: readonly RecEvent[]): void {
    for (const ev of events) this.backtraces.feed(ev);
  }

  /** Events in time order. */
  ingest(events: readonly RecEvent[]): void {
    if (events.length === 0) return;
    const st = this.stats;
    for (const ev of events) {
      this.stream.push(ev);
      const depth = this.pipeline.inFlight.size;
      this.pipeline.feed(ev);
      this.threads.feed(ev);
      st.advance(ev.ns);
      if (this.pipeline.inFlight.size !== depth) st.queueDepth(ev.ns, this.pipeline.inFlight.size);
      if (ev.name === 'vcpu_run_end') st.instructions(ev.ns, Number(ev.args[1] ?? 0));
      else if (ev.name === 'worker_thread_job_begin' || ev.name === 'worker_thread_job_end' || ev.name === 'worker_thread_start') {
        st.busyWorkers(ev.ns, this.threads.busyWorkers(), this.threads.workers.size);
      }
    }
    this.touch();
  }

  consoleOutput(data: Uint8Array): void {
    this.console.write(data);
    this.touch();
  }

  setVm(s: VmState): void {
    this.vm = s;
    // A stop's report is about that stop: gone once the machine runs again.
    if (s.kind === 'running' && this.debugOutput?.command === 'stop') this.debugOutput = null;
    this.touch(true);
  }

  /** Show debug console output (or a stop's report) in the backtrace pane, from its first line. */
  showDebug(command: string, lines: string[]): void {
    this.debugOutput = { command, lines };
    this.backtraceScroll = 0;
    this.touch(true);
  }

  say(message: string): void {
    this.message = message;
    this.touch(true);
  }

  /** The selected event's backtrace, computed once per selection. */
  refreshBacktrace(): void {
    const sel = this.stream.selected();
    if (sel === null) {
      this.backtrace = null;
      return;
    }
    if (this.backtrace?.seq === sel.seq) return;
    this.backtraceScroll = 0;
    this.backtrace = { seq: sel.seq, result: this.backtraces.lookup(sel.ev) };
  }

  /** Something changed; `urgent` (a key) asks for a frame now rather than at the next tick. */
  touch(urgent = false): void {
    this.dirty = true;
    if (urgent) this.urgent = true;
    if (urgent) for (const l of this.listeners) l(true);
  }

  /** The render loop: true (and cleared) when a frame is due. */
  takeDirty(): boolean {
    const d = this.dirty;
    this.dirty = false;
    this.urgent = false;
    return d;
  }

  onUrgent(l: (urgent: boolean) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }
}
