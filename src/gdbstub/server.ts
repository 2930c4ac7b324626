/**
 * The gdb stub's listener: `-s`, `-gdb tcp:HOST:PORT`, `-gdb unix:PATH` (QEMU's gdbserver_start,
 * with one difference: `-s` and `tcp::PORT` listen on 127.0.0.1, not on every interface).
 *
 * Contract: `GdbServer.listen` resolves once the socket listens (so a busy port is reported
 * before the machine starts) and rejects with GdbAddressError for a bad spec or a failed bind.
 * One gdb at a time, as QEMU's stub: a second connection is closed at once. The server lives on
 * the main thread; `close()` stops listening, ends the session and removes a unix socket file.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { DebugClient } from '../system/debug-channel';
import { GdbSession } from './session';
import { GdbTarget } from './target';

export class GdbAddressError extends Error {}

export type GdbAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string } | { kind: 'none' };

/** QEMU's -gdb DEV: `tcp:[HOST]:PORT[,opts]`, `unix:PATH[,opts]`, a bare port number, or `none`. */
export function parseGdbAddress(spec: string): GdbAddress {
  const [dev] = spec.split(',');
  if (dev === 'none') return { kind: 'none' };
  if (/^\d+$/.test(dev)) return tcp('', dev, spec);
  if (dev.startsWith('unix:')) {
    const path = dev.slice(5);
    if (path === '') throw new GdbAddressError(`-gdb ${spec}: unix: needs a socket path`);
    return { kind: 'unix', path };
  }
  if (dev.startsWith('tcp:')) {
    const hp = dev.slice(4);
    const m = /^(\[[^\]]*\]|[^:]*):([^:]+)$/.exec(hp);
    if (m === null) throw new GdbAddressError(`-gdb ${spec}: expected tcp:HOST:PORT`);
    return tcp(m[1].replace(/^\[|\]$/g, ''), m[2], spec);
  }
  throw new GdbAddressError(`-gdb ${spec}: only tcp:HOST:PORT, unix:PATH and none are supported`);
}

function tcp(host: string, portText: string, spec: string): GdbAddress {
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) throw new GdbAddressError(`-gdb ${spec}: bad port '${portText}'`);
  return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port };
}

export interface GdbServerOptions {
  /** gdb's `k`: end vtrace. */
  kill(): void;
}

export class GdbServer {
  private session: GdbSession | null = null;
  private socket: net.Socket | null = null;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    readonly address: GdbAddress,
    private readonly client: DebugClient,
    private readonly opts: GdbServerOptions,
  ) {
    server.on('connection', (sock) => this.accept(sock));
    // After the session's own 'exited' handler has sent gdb its W reply.
    client.on('exited', () => setImmediate(() => this.close()));
  }

  static listen(address: GdbAddress, client: DebugClient, opts: GdbServerOptions): Promise<GdbServer> {
    if (address.kind === 'none') return Promise.reject(new GdbAddressError('-gdb none: no stub to start'));
    if (address.kind === 'unix') removeStaleSocket(address.path);
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        const where = address.kind === 'tcp' ? `tcp:${address.host}:${address.port}` : `unix:${address.path}`;
        reject(new GdbAddressError(`-gdb ${where}: ${e.code === 'EADDRINUSE' ? 'Failed to find an available port: Address already in use' : e.message}`));
      });
      const ready = () => {
        const s = new GdbServer(server, address, client, opts);
        resolve(s);
      };
      if (address.kind === 'tcp') server.listen(address.port, address.host, ready);
      else server.listen(address.path, ready);
    });
  }

  /** Where it listens, e.g. `tcp:127.0.0.1:1234` (the real port when 0 was asked for). */
  describe(): string {
    if (this.address.kind === 'unix') return `unix:${this.address.path}`;
    const a = this.server.address();
    const port = typeof a === 'object' && a !== null ? a.port : 0;
    return this.address.kind === 'tcp' ? `tcp:${this.address.host}:${port}` : 'none';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket !== null) endSocket(this.socket);
    this.server.close();
    if (this.address.kind === 'unix') fs.rmSync(this.address.path, { force: true });
  }

  private accept(sock: net.Socket): void {
    if (this.socket !== null || this.closed || this.client.state.kind === 'exited') {
      sock.destroy();
      return;
    }
    this.socket = sock;
    sock.setNoDelay?.(true);
    const early: Buffer[] = [];
    sock.on('data', (d: Buffer) => (this.session !== null ? this.session.feed(d) : early.push(d)));
    sock.on('error', () => {}); // a reset connection ends like a closed one
    sock.on('close', () => {
      const s = this.session;
      this.session = null;
      this.socket = null;
      if (s !== null) void s.disconnected();
    });
    GdbTarget.open(this.client).then(
      (target) => {
        if (this.socket !== sock) return;
        this.session = new GdbSession(target, {
          write: (bytes) => {
            if (!sock.destroyed) sock.write(bytes, 'latin1');
          },
          close: () => endSocket(sock),
          kill: () => {
            endSocket(sock);
            this.opts.kill();
          },
        });
        for (const d of early.splice(0)) this.session.feed(d);
      },
      () => sock.destroy(),
    );
  }
}

/** Close gracefully (what was written still reaches gdb), forcibly if gdb does not close its side. */
function endSocket(sock: net.Socket): void {
  if (sock.destroyed) return;
  sock.end();
  const t = setTimeout(() => sock.destroy(), 500);
  sock.once('close', () => clearTimeout(t));
}

/** A unix socket left by an earlier run is replaced (QEMU unlinks it too); other files are not. */
function removeStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.rmSync(path);
  } catch {
    // absent: nothing to do
  }
}
