/**
 * The TUI's plugins pane (key 7): the panes plugins added with api.addPane, fetched from the
 * emulator thread ('plugin.panes', src/plugin/panes.ts) by `PluginPaneFeed` a few times a second
 * and drawn one after the other, each under its title. Pure view + a small poller; the TUI's
 * model keeps the last result (TuiModel.pluginPanes).
 *
 * Contract: main thread. The feed never rejects: a failed request (the machine exited) stops it;
 * the final panes the emulator thread posts at exit (panes.ts postFinalPanes) replace the last.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { DebugClient } from '../system/debug-channel';
import type { Line } from '../tui/ui/style';
import { panesChannel, type PluginPaneContent } from './panes';

/** Lines for a width × height box: `[plugin] title` then the pane's lines, for each pane. */
export function pluginPaneLines(panes: readonly PluginPaneContent[], width: number, height: number): Line[] {
  const out: Line[] = [];
  if (panes.length === 0) return [[['no plugin pane (plugins add them with api.addPane)', 'muted']]];
  const share = Math.max(2, Math.floor(height / panes.length));
  for (const p of panes) {
    out.push([[`[${p.plugin}] ${p.title}`, 'title']]);
    for (const l of p.lines.slice(0, share - 1)) out.push([[l.slice(0, width)]]);
  }
  return out.slice(0, height);
}

export class PluginPaneFeed {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private final: BroadcastChannel | null = null;

  constructor(
    private readonly debug: DebugClient,
    /** The pane's current inner size (the layout's last rectangle for it). */
    private readonly size: () => { width: number; height: number },
    private readonly update: (panes: PluginPaneContent[]) => void,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.final = new BroadcastChannel(panesChannel());
    this.final.onmessage = (e) => this.update((e as MessageEvent).data as PluginPaneContent[]);
    this.final.unref();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.busy) return;
    if (this.debug.state.kind === 'exited') return this.stop();
    this.busy = true;
    this.debug
      .request('plugin.panes', this.size())
      .then((r) => this.update(r))
      .catch(() => this.stop())
      .finally(() => {
        this.busy = false;
      });
  }

  /** Stop polling (the final panes may still arrive). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stop everything (the TUI is going away). */
  close(): void {
    this.stop();
    this.final?.close();
    this.final = null;
  }
}
