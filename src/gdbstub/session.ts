/**
 * One gdb connection: framer → dispatcher → target, plus the run control that spans packets
 * (GDB manual, "Stop Reply Packets", "Interrupts", all-stop mode).
 *
 * Contract
 * - Packets are handled strictly in arrival order, one at a time (each may await the emulator);
 *   a Ctrl-C (0x03) bypasses the queue.
 * - gdb expects a stopped target when it connects: a running machine is interrupted at once (as
 *   QEMU stops the VM when gdb attaches), and `?` waits for that stop.
 * - After `c`/`s`/`C`/`S`/`vCont` the session owes gdb one stop reply: the next 'stopped' event of
 *   the debug channel (whoever caused it) or, if the machine ends first, `W` with the guest's exit
 *   status (`W00` when vtrace quits). Ctrl-C then interrupts the machine (reply `T02`).
 * - Stop replies name the thread (the hart) and, for this connection's own breakpoints and
 *   watchpoints, `swbreak`/`hwbreak` (if gdb announced them) or `watch`/`rwatch`/`awatch` with
 *   the data address. After a stop, Hg/Hc select the stopped hart.
 * - `D` and a dropped connection remove this connection's breakpoints and watchpoints and let a
 *   stopped machine continue (the guest runs on). `k` quits vtrace.
 */
import type { DebugClient, StopEvent } from '../system/debug-channel';
import { dispatch, type DispatchContext, type ResumeRequest } from './dispatcher';
import { formatThreadId, regToHex } from './packets';
import { RspFramer } from './rsp-framer';
import type { GdbTarget } from './target';
import { REG_PC } from './tdesc';

/** qSupported PacketSize: the largest packet body either side sends. */
export const PACKET_SIZE = 0x4000;

export interface SessionIO {
  /** Raw bytes to gdb (latin1). */
  write(bytes: string): void;
  /** End the connection. */
  close(): void;
  /** gdb's `k`: end vtrace. */
  kill(): void;
}

const WATCH_NAMES = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;

export class GdbSession implements DispatchContext {
  readonly packetSize = PACKET_SIZE;
  multiprocess = false;
  swbreak = false;
  hwbreak = false;
  gHart = 0;
  cHart = 0;
  physMode = false;
  private readonly framer: RspFramer;
  private readonly client: DebugClient;
  private queue: Promise<void> = Promise.resolve();
  private noAckAfterReply = false;
  /** D: the machine continues once the OK is on its way (it may run to its end at once). */
  private continueAfterReply = false;
  /** A resume is waiting for its stop reply. */
  private resuming = false;
  private ended = false;
  private readonly stopWaiters: Array<(ev: StopEvent | null) => void> = [];

  constructor(
    readonly target: GdbTarget,
    private readonly io: SessionIO,
  ) {
    this.client = target.client;
    this.framer = new RspFramer(
      {
        packet: (body) => this.enqueue(body),
        interrupt: () => this.interrupt(),
        oversized: () => this.enqueue(null),
        write: (s) => this.io.write(s),
      },
      PACKET_SIZE,
    );
    this.client.on('stopped', this.onStopped);
    this.client.on('exited', this.onExited);
    const s = this.client.state;
    if (s.kind === 'running') this.client.interrupt();
    else if (s.kind === 'stopped') this.gHart = this.cHart = s.stop.hart;
  }

  /** Bytes from gdb. */
  feed(bytes: Uint8Array): void {
    if (!this.ended) this.framer.feed(bytes);
  }

  send(body: string): void {
    if (!this.ended) this.framer.send(body);
  }

  startNoAck(): void {
    this.noAckAfterReply = true;
  }

  /** `?`: the current stop; when running, interrupt and report the stop that follows. */
  async stopStatus(): Promise<string> {
    const s = this.client.state;
    if (s.kind === 'stopped') return this.stopReply(s.stop);
    if (s.kind === 'exited') return this.exitReply(null);
    this.resuming = false; // this reply is the one gdb waits for
    const wait = this.nextStop();
    this.client.interrupt();
    const ev = await wait;
    return ev === null ? this.exitReply(null) : this.stopReply(ev);
  }

  async resume(r: ResumeRequest): Promise<void> {
    if (r.pc !== undefined) {
      const hart = r.kind === 'step' ? r.hart : this.cHart;
      await this.target.writeRegisters(hart, [{ regno: REG_PC, hex: regToHex(r.pc, 8) }]);
    }
    this.resuming = true;
    try {
      if (r.kind === 'continue') await this.client.continue();
      else await this.client.step(r.hart);
    } catch {
      // Not stopped any more (another front end resumed it) or gone: the next stop, or the
      // exit, answers this resume.
    }
  }

  async detach(): Promise<void> {
    await this.target.removeAll();
    this.continueAfterReply = true;
  }

  kill(): void {
    this.io.kill();
  }

  /** The connection closed: clean up after this connection, the guest runs on. */
  async disconnected(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.client.off('stopped', this.onStopped);
    this.client.off('exited', this.onExited);
    for (const w of this.stopWaiters.splice(0)) w(null);
    try {
      await this.queue;
      await this.target.removeAll();
      if (this.client.state.kind === 'stopped') await this.client.continue();
    } catch {
      // The machine has exited: nothing to clean.
    }
  }

  private enqueue(body: string | null): void {
    this.queue = this.queue.then(async () => {
      if (this.ended) return;
      const reply = body === null ? 'E22' : await dispatch(this, body);
      if (reply !== null) this.send(reply);
      if (this.noAckAfterReply) {
        this.noAckAfterReply = false;
        this.framer.noAck = true;
      }
      if (this.continueAfterReply) {
        this.continueAfterReply = false;
        if (this.client.state.kind === 'stopped') await this.client.continue().catch(() => {});
      }
    });
  }

  private interrupt(): void {
    if (this.resuming) this.client.interrupt();
  }

  private nextStop(): Promise<StopEvent | null> {
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  private readonly onStopped = (ev: StopEvent): void => {
    this.gHart = this.cHart = ev.hart;
    for (const w of this.stopWaiters.splice(0)) w(ev);
    if (this.resuming) {
      this.resuming = false;
      this.send(this.stopReply(ev));
    }
  };

  private readonly onExited = (code: number | null): void => {
    for (const w of this.stopWaiters.splice(0)) w(null);
    if (this.resuming) {
      this.resuming = false;
      this.send(this.exitReply(code));
    }
    this.ended = true;
    this.io.close();
  };

  private exitReply(code: number | null): string {
    const w = `W${((code ?? 0) & 0xff).toString(16).padStart(2, '0')}`;
    return this.multiprocess ? `${w};process:1` : w;
  }

  private stopReply(ev: StopEvent): string {
    const th = `thread:${formatThreadId(ev.hart, this.multiprocess)};`;
    const r = ev.reason;
    switch (r.kind) {
      case 'interrupted':
        return `T02${th}`;
      case 'breakpoint': {
        const k = this.target.breakpointKind(r.pc);
        return `T05${th}${k === 'sw' && this.swbreak ? 'swbreak:;' : k === 'hw' && this.hwbreak ? 'hwbreak:;' : ''}`;
      }
      case 'watchpoint': {
        const w = this.target.watchpoint(r.id);
        if (w === undefined) return `T05${th}`;
        // The access may start below the watched range (a wide store): report an address inside it.
        const last = w.addr + BigInt(w.len) - 1n;
        const addr = r.addr < w.addr ? w.addr : r.addr > last ? last : r.addr;
        return `T05${th}${WATCH_NAMES[w.type]}:${addr.toString(16)};`;
      }
      default:
        return `T05${th}`;
    }
  }
}
