/**
 * Feeding the dashboard from a live run's control socket (`vtrace run --control-socket PATH`):
 * connects, reads the protocol's JSON lines (protocol.ts) into the DashData.
 *
 * Contract: connect() rejects with a one-line CliError when nothing listens at PATH; afterwards
 * a lost connection ends the feed (data.ended, data.error) without throwing; malformed lines are
 * skipped.
 */
import * as net from 'node:net';
import { CliError } from '../cli/qemu-options';
import type { DashData } from './dash-data';
import { LineSplitter, parseControlLine, PROTOCOL } from './protocol';

export class SocketFeed {
  private socket: net.Socket | null = null;

  constructor(
    readonly path: string,
    private readonly data: DashData,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.path);
      s.setEncoding('utf8');
      const lines = new LineSplitter((l) => this.line(l));
      s.once('connect', () => {
        this.socket = s;
        this.data.title = `live run on ${this.path}`;
        resolve();
      });
      s.on('data', (chunk: string) => lines.push(chunk));
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (this.socket === null) reject(new CliError(`dash: ${this.path}: ${e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no vtrace run is serving this socket (start one with vtrace run --control-socket PATH)' : e.message}`));
        else this.data.error = `connection lost: ${e.message}`;
      });
      s.on('close', () => {
        if (this.socket !== null && !this.data.ended) {
          this.data.ended = true;
          if (this.data.error === '') this.data.state = 'run ended';
          this.data.changed();
        }
      });
    });
  }

  private line(l: string): void {
    const m = parseControlLine(l);
    if (m === null) return;
    switch (m.type) {
      case 'hello':
        if (m.protocol !== PROTOCOL) this.data.error = `the run speaks control protocol ${m.protocol}, this dash ${PROTOCOL}`;
        this.data.intervalNs = m.intervalNs;
        this.data.title = `live run, pid ${m.pid}: vtrace ${m.argv.join(' ')}`.slice(0, 200);
        break;
      case 'sample':
        this.data.addSample(m.sample);
        break;
      case 'hist':
        this.data.hist = m.hist;
        break;
      case 'state':
        this.data.state = `machine ${m.vm}`;
        break;
      case 'end':
        this.data.ended = true;
        this.data.state = 'run ended';
        break;
    }
    this.data.changed();
  }

  close(): void {
    this.socket?.destroy();
  }
}
