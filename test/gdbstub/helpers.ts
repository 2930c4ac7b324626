/**
 * Test helpers for the gdb stub: start `vtrace run ... -gdb tcp::0` as a user would and learn its
 * port from the "gdb stub listening on" line; read any stub's register names from its target
 * description (following QEMU's xi:include files), so two stubs can be compared by name.
 */
import * as net from 'node:net';
import { encode } from '../../src/gdbstub/rsp-framer';
import { decodeBody, takePackets } from '../helpers/rsp-wire';
import { spawnGuest, VTRACE, type GuestProcess } from '../helpers/spawn-guest';
import type { RspClient } from '../target/riscv/diff/rsp-client';

export const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';

export interface VtraceStub {
  g: GuestProcess;
  port: number;
}

/** Start vtrace with the stub on a free loopback port; resolves once it listens. */
export async function startVtraceStub(args: string[], ms = 30_000): Promise<VtraceStub> {
  const g = spawnGuest(process.execPath, [VTRACE, 'run', ...args, '-gdb', 'tcp::0']);
  const deadline = Date.now() + ms;
  for (;;) {
    const m = /gdb stub listening on tcp:127\.0\.0\.1:(\d+)/.exec(g.stderr());
    if (m !== null) return { g, port: Number(m[1]) };
    if (g.proc.exitCode !== null || Date.now() > deadline) {
      g.proc.kill('SIGKILL');
      throw new Error(`vtrace did not start its stub:\n${g.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Register name → remote register number, from the stub's target description. */
export async function registerMap(c: RspClient): Promise<Map<string, { num: number; bits: number }>> {
  const out = new Map<string, { num: number; bits: number }>();
  let next = 0;
  const walk = async (xml: string) => {
    const re = /<reg\s[^>]*>|<xi:include\s+href="([^"]+)"\s*\/>/g;
    for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
      if (m[1] !== undefined) {
        await walk(await c.qXfer('features', m[1]));
        continue;
      }
      const attr = (n: string) => new RegExp(`\\b${n}="([^"]*)"`).exec(m![0])?.[1];
      const num = attr('regnum') !== undefined ? Number(attr('regnum')) : next;
      next = num + 1;
      out.set(attr('name')!, { num, bits: Number(attr('bitsize')) });
    }
  };
  await walk(c.targetXml);
  return out;
}

/**
 * A raw RSP connection for tests that must send what a well-behaved client would not: Ctrl-C in
 * the middle of a continue, random bytes, broken packets. Replies are parsed from the stream
 * ('+'/'-' acks skipped, '}' escapes and run-length encoding undone).
 */
export class RawRsp {
  private buf = '';
  private readonly packets: string[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.parse();
      this.wake?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    sock.on('error', () => {});
  }

  /** Connect to a loopback TCP port or a unix socket path. */
  static connect(where: number | string): Promise<RawRsp> {
    return new Promise((resolve, reject) => {
      const opts = typeof where === 'number' ? { port: where, host: '127.0.0.1' } : { path: where };
      const s = net.connect(opts, () => resolve(new RawRsp(s)));
      s.once('error', reject);
    });
  }

  write(bytes: string): void {
    this.sock.write(bytes, 'latin1');
  }

  send(body: string): void {
    this.write(encode(body));
  }

  /** The next packet from the stub; rejects after `ms` or when the connection closes. */
  async next(ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.packets.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => (clearTimeout(t), r());
      });
      this.wake = null;
    }
    return this.packets.shift()!;
  }

  async request(body: string, ms = 10_000): Promise<string> {
    this.send(body);
    return this.next(ms);
  }

  close(): void {
    this.sock.destroy();
  }

  private parse(): void {
    const { packets, rest } = takePackets(this.buf);
    this.buf = rest;
    for (const p of packets) this.packets.push(decodeBody(p.raw));
  }
}
