/**
 * The live front ends of `vtrace run` (the one hook src/cli/run.ts calls): the Ink TUI when stdout
 * is a terminal (not with -nographic or --no-tui), and the control socket for `vtrace dash`
 * (--control-socket PATH). Both watch the run through its recording: the run records (to the
 * user's --trace-out, or to a temporary file removed at the end) and the event source tails it.
 *
 *   const live = await openLiveFrontEnd(options, fe);   // before the emulator starts (sets traceOut)
 *   ... new EmulatorThread(options, { serial: (d) => live?.ownsConsole ? live.serial(d) : ... })
 *   live?.attach(emu);                                  // keys, VM control, rendering, socket
 *   const result = await emu.done;
 *   await live?.finish(result);                         // TUI: until `q`; restores the terminal
 *
 * `q` restores the terminal at once and asks the machine to quit; the run then ends as with
 * Ctrl-A x (exit status 0). When the guest powers off by itself the TUI stays until `q`, showing
 * the final state; the exit status is then the guest's.
 *
 * Contract: main thread; at most one per process. Terminal restoration never depends on the
 * emulator thread answering.
 */
import './production-env'; // first: before React is loaded
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as React from 'react';
import type { MachineOptions } from '../cli/qemu-options';
import type { EmulatorResult, EmulatorThread } from '../system/emulator';
import { inCi, tuiWanted, type FrontEndArgs } from './front-end-args';
export { inCi, tuiWanted };
import { TuiModel } from './model/tui-model';
import { EventSource, type EventSink } from './live/event-source';
import { DebugVmControl, type VmControl } from './live/vm-control';
import { Controller } from './controller';
import { Screen } from './screen';
import { loadInk, type Ink } from './ink';
import { App } from './ui/app';
import { ControlServer } from '../dash/control-server';
import { RenderLoop } from './render-loop';
import { computeLayout } from './ui/layout';
import { PluginPaneFeed } from '../plugin/tui-pane';

/** Events the TUI needs when the user's -trace patterns would not record them. */
export const TUI_TRACE_SPECS = ['backtrace_*', 'vcpu_run_*', 'virtio_mmio_write_offset', 'virtqueue_pop', 'virtio_notify', 'virtio_blk_*', 'coroutine_create', 'qemu_*coroutine*', 'thread_pool_*', 'worker_thread_*', 'syscall_*', 'aio_dispatch_handler', 'aio_bh_call'];


/** A model + event source watching the run's recording (shared by the TUI and the socket). */
function sinkFor(m: TuiModel): EventSink {
  return {
    addThread: (t) => m.addThread(t),
    ingestRaw: (e) => m.ingestRaw(e),
    ingest: (e) => m.ingest(e),
    lost: (n) => {
      m.lost = n;
    },
  };
}

export class LiveFrontEnd {
  readonly model = new TuiModel();
  private source: EventSource | null = null;
  private server: ControlServer | null = null;
  private screen: Screen | null = null;
  private ink: Ink | null = null;
  private instance: { rerender(node: React.ReactNode): void; unmount(): void } | null = null;
  private vm: VmControl | null = null;
  private frame = 0;
  private loop: RenderLoop | null = null;
  private quitRequested!: Promise<void>;
  private resolveQuit!: () => void;
  private readonly onResize = () => this.model.touch(true);
  private readonly onData = (chunk: string) => this.controller?.input(chunk);
  private controller: Controller | null = null;
  /** --plugin was given: the plugins pane (7) is shown and fed (src/plugin/tui-pane.ts). */
  private hasPlugins = false;
  private pluginFeed: PluginPaneFeed | null = null;

  private constructor(
    readonly ownsConsole: boolean,
    private readonly recording: string,
    private readonly tmpDir: string | undefined,
    private readonly fe: FrontEndArgs,
  ) {
    this.quitRequested = new Promise((r) => (this.resolveQuit = r));
  }

  /** Decide, set up the recording, load Ink. null: neither the TUI nor a control socket. */
  static async open(o: MachineOptions, fe: FrontEndArgs): Promise<LiveFrontEnd | null> {
    const tui = tuiWanted(o, fe);
    if (fe.tui === true && !tui) process.stderr.write(`vtrace: --tui: ${inCi() ? 'the CI environment variable is set (the TUI cannot draw under CI)' : 'stdin and stdout must be a terminal'}; using the plain console\n`);
    if (!tui && fe.controlSocket === undefined) return null;
    let tmp: string | undefined;
    if (o.trace.traceOut === undefined) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-live-'));
      o.trace.traceOut = path.join(tmp, 'live.vtr');
      o.trace.quietRecording = true;
    }
    if (o.trace.specs.some((s) => s.enable)) for (const p of TUI_TRACE_SPECS) o.trace.specs.push({ pattern: p, enable: true });
    const live = new LiveFrontEnd(tui, o.trace.traceOut, tmp, fe);
    live.hasPlugins = o.plugins.length > 0;
    live.model.source = tmp === undefined ? `recording ${o.trace.traceOut}` : 'live';
    if (tui) live.ink = await loadInk();
    if (fe.controlSocket !== undefined) live.server = await ControlServer.listen(fe.controlSocket, live.model);
    return live;
  }

  /** Guest console output (TUI only). */
  serial(data: Uint8Array): void {
    this.model.consoleOutput(data);
  }

  /** Start watching the run: events, VM control, and the TUI's screen and keys. */
  attach(emu: EmulatorThread): void {
    this.source = new EventSource(this.recording, sinkFor(this.model), (msg) => this.model.say(`event source stopped: ${msg}`));
    this.source.start();
    this.vm = new DebugVmControl(
      emu,
      (s) => {
        this.model.setVm(s);
        this.server?.state(s);
      },
      (report) => {
        this.model.showDebug('stop', report.trim().split('\n'));
      },
    );
    if (this.server !== null) this.server.start();
    if (!this.ownsConsole) return;
    if (this.hasPlugins) {
      this.model.panes.plugins.visible = true;
      this.pluginFeed = new PluginPaneFeed(emu.debug, () => this.pluginPaneSize(), (p) => {
        this.model.pluginPanes = p;
        this.model.touch();
      });
      this.pluginFeed.start();
    }
    this.controller = new Controller(this.model, this.vm, () => this.quit());
    this.screen = new Screen();
    this.screen.enter();
    process.stdin.on('data', this.onData);
    process.stdout.on('resize', this.onResize);
    const { render } = this.ink!;
    const loop = (this.loop = new RenderLoop(() => this.model.takeDirty(), () => this.draw()));
    this.instance = render(this.element(), { stdout: process.stdout, stdin: process.stdin, exitOnCtrlC: false, patchConsole: false, maxFps: 30, onRender: loop.onInkRender });
    this.model.onUrgent(() => setImmediate(() => loop.frame(true)));
    loop.start();
  }

  private element(): React.ReactElement {
    return React.createElement(App, { model: this.model, cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24, frame: this.frame });
  }

  /** The plugins pane's inner size in the current layout. */
  private pluginPaneSize(): { width: number; height: number } {
    const cols = process.stdout.columns ?? 80;
    const layout = computeLayout(cols, process.stdout.rows ?? 24, this.model.panes, this.model.stream.selected() !== null || this.model.debugOutput !== null);
    const r = layout.panes.find((p) => p.id === 'plugins');
    return r === undefined ? { width: Math.max(20, cols - 2), height: 10 } : { width: Math.max(1, r.width - 2), height: Math.max(1, r.height - 2) };
  }

  private draw(): void {
    if (this.instance === null) return;
    this.frame++;
    this.instance.rerender(this.element());
  }

  /** `q`: restore the terminal now, then ask the machine to quit. */
  private quit(): void {
    this.teardownScreen();
    this.vm?.quit();
    this.resolveQuit();
  }

  private teardownScreen(): void {
    this.pluginFeed?.close();
    this.loop?.stop();
    this.loop = null;
    process.stdin.off('data', this.onData);
    process.stdout.off('resize', this.onResize);
    if (this.instance !== null) {
      this.instance.unmount();
      this.instance = null;
    }
    this.screen?.restore();
    this.screen = null;
  }

  /** The emulator thread ended: with the TUI, wait for `q` (unless it was the reason); clean up. */
  async finish(result: EmulatorResult): Promise<void> {
    // Everything the run recorded, and the last (partial) statistics interval closed.
    this.source?.poll(true);
    this.model.stats.flush();
    const how = result.exit.kind === 'poweroff' ? `powered off, status ${result.exit.code}` : result.exit.kind === 'crashed' ? 'crashed' : result.exit.kind;
    this.model.setVm({ kind: 'exited', how, code: result.exit.kind === 'poweroff' ? result.exit.code : null });
    this.server?.state(this.model.vm);
    if (this.ownsConsole && !this.model.quitting && result.exit.kind !== 'crashed') {
      this.model.say(`the machine ${how}; q quits`);
      await this.quitRequested;
    }
    this.teardownScreen();
    this.source?.close();
    if (this.server !== null) await this.server.close();
    if (this.tmpDir !== undefined) fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

export const openLiveFrontEnd = LiveFrontEnd.open;
