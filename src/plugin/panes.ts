/**
 * Plugins in the front ends:
 *
 * - 'plugin.panes' (a debug-channel request, src/system/debug-channel.ts, answered on the emulator
 *   thread between rounds and while stopped): every loaded plugin's panes rendered for the given
 *   size. The TUI's plugins pane (key 7) asks for it a few times a second and draws the result.
 *   The emulator thread cannot be asked once it has ended, so at exit, if a front end asked for
 *   panes, their final rendering is posted on the BroadcastChannel panesChannel() (same process).
 * - `info plugins` (a console command): each plugin with its file, arguments, state (or why it was
 *   unloaded), counters, own tracepoints and panes; the CPU instrumentation's state.
 *
 * A renderer that throws, or returns anything but an array of strings, unloads its plugin.
 * Contract: emulator thread.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { DebugServer } from '../system/debug-channel';
import type { PluginHost } from './host';

/** One plugin pane's content. */
export interface PluginPaneContent {
  plugin: string;
  title: string;
  lines: string[];
}

declare module '../system/debug-channel' {
  interface DebugRequests {
    /** The plugins' TUI panes rendered for a width × height box (src/plugin/panes.ts). */
    'plugin.panes': { payload: { width: number; height: number }; result: PluginPaneContent[] };
  }
}

const clampSize = (v: unknown, def: number): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1000 ? v : def);

export function renderPanes(host: PluginHost, width: number, height: number): PluginPaneContent[] {
  const out: PluginPaneContent[] = [];
  for (const rec of host.plugins) {
    for (const pane of rec.panes) {
      if (!rec.alive) break;
      let lines: string[] | null = null;
      host.guard(rec, `its pane '${pane.title}'`, () => {
        const r = pane.render(width, height);
        if (!Array.isArray(r) || !r.every((l) => typeof l === 'string')) throw new TypeError(`pane '${pane.title}' rendered ${typeof r}, not an array of strings`);
        lines = r.slice(0, height).map((l) => (l.length > width ? l.slice(0, width) : l));
      })(undefined, undefined);
      if (lines !== null) out.push({ plugin: rec.name, title: pane.title, lines });
    }
  }
  return out;
}

/** Where the final panes are posted at exit (every thread of this process agrees on it). */
export function panesChannel(): string {
  return `vtrace:plugin-panes:${process.pid}`;
}

let lastSize: { width: number; height: number } | null = null;

export function installPanes(host: PluginHost, server: DebugServer): void {
  server.register('plugin.panes', (p) => {
    lastSize = { width: clampSize(p?.width, 80), height: clampSize(p?.height, 20) };
    return renderPanes(host, lastSize.width, lastSize.height);
  });
}

/** At exit: the final panes for a front end that showed them. */
export function postFinalPanes(host: PluginHost): void {
  if (lastSize === null) return;
  const bc = new BroadcastChannel(panesChannel());
  bc.postMessage(renderPanes(host, lastSize.width, lastSize.height));
  bc.close();
}

/** `info plugins`. */
export function infoPlugins(host: PluginHost): string {
  if (host.plugins.length === 0) return 'No plugins (vtrace run --plugin PATH[,key=value...]).\n';
  let out = '';
  for (const rec of host.plugins) {
    const args = rec.spec.args.map(([k, v]) => `${k}=${v}`).join(',');
    out += `${rec.name}  ${rec.spec.file}${args ? `  ${args}` : ''}${rec.spec.outfile ? `  outfile=${rec.spec.outfile}` : ''}\n`;
    out += `  ${rec.alive ? 'loaded' : `unloaded: it ${rec.why}`}; ${rec.events} events delivered\n`;
    for (const c of rec.counters.values()) out += `  counter ${c.name} = ${c.value}${c.help ? `  (${c.help})` : ''}\n`;
    for (const t of host.own.list().filter((t) => rec.ownTracepoints.includes(t.name))) out += `  tracepoint ${t.name}: emitted ${t.emitted}, ${t.subscribers} subscribers\n`;
    for (const p of rec.panes) out += `  pane '${p.title}'\n`;
    for (const c of rec.commands) out += `  command '${c}'\n`;
  }
  out += host.tbs.active ? `CPU instrumentation on: ${host.tbs.translated} blocks translated\n` : 'CPU instrumentation off\n';
  return out;
}
