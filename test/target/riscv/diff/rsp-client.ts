/**
 * A minimal GDB Remote Serial Protocol client (GDB manual, "Remote Protocol"), test-only: it drives
 * QEMU's gdb stub for the differential tests. Query packets are pipelined (several in one write,
 * replies read in order; no-ack mode is used when offered, QEMU 7.2 does not); resuming packets
 * (`s`, `c`) are sent alone, because QEMU's stub stops a running VM on any incoming byte.
 */
import * as net from 'node:net';
import { encode } from '../../../../src/gdbstub/rsp-framer';
import { checksum, decodeBody, takePackets } from '../../../helpers/rsp-wire';

export class RspError extends Error {}

export class RspClient {
  private buf = '';
  private replies: string[] = [];
  private waiters: Array<{ resolve: (s: string) => void; reject: (e: Error) => void }> = [];
  private noAck = false;
  private closed: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => this.onData(d));
    const fail = (e: Error) => {
      this.closed = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new RspError('connection closed')));
  }

  /** Connect to host:port, retrying until `timeoutMs` (QEMU may still be starting). */
  static async connect(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RspClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ port, host }, () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        const c = new RspClient(sock);
        await c.handshake();
        return c;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async handshake(): Promise<void> {
    await this.request('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=riscv');
    const r = await this.request('QStartNoAckMode');
    if (r === 'OK') this.noAck = true;
    // QEMU answers `p` only after the client has read the target description (gdb_has_xml).
    this.targetXml = await this.qXfer('features', 'target.xml');
  }

  /** The target description (target.xml) read during the handshake. */
  targetXml = '';

  private onData(d: string): void {
    const { packets, rest } = takePackets(this.buf + d);
    this.buf = rest;
    for (const p of packets) {
      if (!this.noAck) this.sock.write(checksum(p.raw) === p.sum.toLowerCase() ? '+' : '-', 'latin1');
      const reply = decodeBody(p.raw);
      const w = this.waiters.shift();
      if (w) w.resolve(reply);
      else this.replies.push(reply);
    }
  }

  /** How long to wait for a reply; a single step that never stops (WFI with nothing pending) ends here. */
  replyTimeoutMs = 15_000;

  private nextReply(what: string): Promise<string> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        const e = new RspError(`no reply to '${what}' within ${this.replyTimeoutMs} ms`);
        this.closed = e; // the reply stream is out of step now
        reject(e);
      }, this.replyTimeoutMs);
      const w = {
        resolve: (s: string) => (clearTimeout(timer), resolve(s)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.waiters.push(w);
    });
  }

  private frame(cmd: string): string {
    return encode(cmd);
  }

  /** Send one packet and wait for its reply. */
  async request(cmd: string): Promise<string> {
    if (this.closed) throw this.closed;
    this.sock.write(this.frame(cmd), 'latin1');
    return this.nextReply(cmd);
  }

  /**
   * Send several non-resuming packets in one write and return their replies in order. Works in ack
   * mode too: a stub handles the packets of one read in order, acking each ('+', skipped by the
   * parser), and QEMU's stub drops a reply's retransmission buffer when the next '$' arrives.
   */
  async batch(cmds: string[]): Promise<string[]> {
    if (this.closed) throw this.closed;
    this.sock.write(cmds.map((c) => this.frame(c)).join(''), 'latin1');
    const out: string[] = [];
    for (let i = 0; i < cmds.length; i++) out.push(await this.nextReply(cmds[i]));
    return out;
  }

  /** Read a qXfer object (e.g. features:target.xml) completely. */
  async qXfer(object: string, annex: string): Promise<string> {
    let out = '';
    for (;;) {
      const r = await this.request(`qXfer:${object}:read:${annex}:${out.length.toString(16)},800`);
      if (r.startsWith('E')) throw new RspError(`qXfer ${annex}: ${r}`);
      out += r.slice(1);
      if (r[0] === 'l') return out;
    }
  }

  /** Single-step; returns the stop reply (e.g. "T05thread:01;"). */
  async step(): Promise<string> {
    return this.request('s');
  }

  async cont(): Promise<string> {
    return this.request('c');
  }

  async setBreakpoint(addr: bigint): Promise<void> {
    const r = await this.request(`Z0,${addr.toString(16)},4`);
    if (r !== 'OK') throw new RspError(`Z0 ${addr.toString(16)}: ${r}`);
  }

  async removeBreakpoint(addr: bigint): Promise<void> {
    await this.request(`z0,${addr.toString(16)},4`);
  }

  /** Kill the target and close the connection. Never throws. */
  async kill(): Promise<void> {
    try {
      if (!this.closed) this.sock.write(this.frame('k'), 'latin1');
    } catch {
      /* already gone */
    }
    this.sock.destroy();
  }
}

/** Decode a little-endian hex register image (as in `g`/`p` replies) into an unsigned bigint. */
export function hexLeToBigint(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
