/**
 * The run's end of the control socket (`vtrace run --control-socket PATH`): a Unix socket that
 * streams the run's statistics (src/tui/model/io-stats.ts, fed by the live event source) to any
 * number of `vtrace dash PATH` clients, as protocol.ts describes.
 *
 * Contract: main thread. listen() fails with a one-line CliError when PATH is in use by a live
 * server or cannot be created (a stale socket file left by a dead run is replaced). Clients that
 * misbehave (send garbage, disappear) are dropped; nothing they do reaches the run.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { CliError } from '../cli/qemu-options';
import type { TuiModel } from '../tui/model/tui-model';
import { vmStateLabel, type VmState } from '../tui/model/vm-state';
import { PROTOCOL, type ControlMessage } from './protocol';

const TICK_MS = 250;

async function inUse(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  private readonly clients = new Map<net.Socket, number>(); // → samples already sent
  private timer: NodeJS.Timeout | null = null;
  private vm = 'starting';

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
    private readonly model: TuiModel,
  ) {
    server.on('connection', (s) => this.accept(s));
  }

  static async listen(p: string, model: TuiModel): Promise<ControlServer> {
    if (fs.existsSync(p)) {
      const st = fs.lstatSync(p);
      if (!st.isSocket()) throw new CliError(`--control-socket ${p}: exists and is not a socket`);
      if (await inUse(p)) throw new CliError(`--control-socket ${p}: another vtrace run is serving it`);
      fs.unlinkSync(p);
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new CliError(`--control-socket ${p}: ${e.code ?? e.message}`)));
      server.listen(p, () => resolve());
    });
    server.unref();
    return new ControlServer(server, p, model);
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  state(s: VmState): void {
    this.vm = vmStateLabel(s);
    for (const c of this.clients.keys()) {
      this.flushTo(c); // the samples up to this change come first
      this.send(c, { type: 'state', vm: this.vm });
    }
  }

  private accept(s: net.Socket): void {
    s.setEncoding('utf8');
    s.on('data', () => {}); // clients have nothing to say
    s.on('error', () => this.clients.delete(s));
    s.on('close', () => this.clients.delete(s));
    this.clients.set(s, 0);
    this.send(s, { type: 'hello', protocol: PROTOCOL, pid: process.pid, argv: process.argv.slice(2), intervalNs: this.model.stats.intervalNs });
    this.send(s, { type: 'state', vm: this.vm });
    this.flushTo(s);
  }

  private send(s: net.Socket, m: ControlMessage): void {
    if (!s.destroyed) s.write(JSON.stringify(m) + '\n');
  }

  private flushTo(s: net.Socket): void {
    // stats.version counts every sample ever closed; the array keeps the last MAX_SAMPLES.
    const { samples, version } = this.model.stats;
    const sent = this.clients.get(s) ?? 0;
    if (sent >= version) return;
    for (let i = Math.max(0, samples.length - (version - sent)); i < samples.length; i++) this.send(s, { type: 'sample', sample: samples[i] });
    this.send(s, { type: 'hist', hist: [...this.model.stats.hist] });
    this.clients.set(s, version);
  }

  private tick(): void {
    for (const s of this.clients.keys()) this.flushTo(s);
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.clients.keys()) {
      this.flushTo(s);
      this.send(s, { type: 'end' });
      s.end();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
