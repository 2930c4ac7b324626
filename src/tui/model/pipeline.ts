/**
 * The request pipeline: every virtio-blk request in flight and the stage of DESIGN.md §1 it has
 * reached, followed through the correlation ids the events carry (req = the VirtQueueElement,
 * co = its coroutine, job = its thread-pool element):
 *
 *   vcpu        the guest's QueueNotify store (virtio_mmio_write_offset at 0x50), before the pop
 *   loop        popped by the main loop or an iothread (virtqueue_pop, virtio_blk_handle_*)
 *   coroutine   running in its coroutine (coroutine_create .. thread_pool_submit)
 *   worker      submitted to the pool (queued), then run by a worker (worker_thread_job_begin)
 *   completion  back on the loop (thread_pool_complete, virtio_blk_rw/req_complete, virtqueue_fill);
 *               done when virtqueue_flush publishes the used ring (latency is measured there)
 *   interrupt   virtio_notify after that flush: the guest is interrupted
 *
 * Stages only move forward (events of different threads may arrive slightly out of order).
 * Finished requests are kept in a short `recent` list and reported to `onDone` (the stats).
 *
 * Contract: feed every event in (roughly) time order; bounded memory: in-flight requests are
 * capped (the oldest is dropped as lost past MAX_IN_FLIGHT), job/co maps are cleaned at completion.
 */
import type { RecEvent } from '../../trace/vtr-reader';
import { numArg, objId, strArg } from './args';

export const STAGES = ['vcpu', 'loop', 'coroutine', 'worker', 'completion', 'interrupt'] as const;
export type Stage = (typeof STAGES)[number];

export type IoOp = 'read' | 'write' | 'flush' | 'other';

export interface IoRequest {
  req: number;
  op: IoOp;
  sector: number;
  bytes: number;
  stage: Stage;
  /** Thread the request is on now (main-loop, an iothread, worker-N). */
  where: string;
  /** What it is doing (e.g. `pwrite64 = 4096`, `queued as job 7`). */
  detail: string;
  /** ns of the QueueNotify store that preceded its pop (or the pop). */
  startNs: number;
  /** ns each stage was reached (absent: not yet / skipped). */
  at: Partial<Record<Stage, number>>;
  doneNs?: number;
  status?: number;
  co?: number;
  job?: number;
  /** The virtqueue (object id) it was popped from. */
  vq: number;
  /** virtqueue_fill put it in the used ring (published at the next flush). */
  filled: boolean;
}

export interface DoneInfo {
  ns: number;
  op: IoOp;
  bytes: number;
  latencyNs: number;
}

const MAX_IN_FLIGHT = 4096;
const RECENT = 64;
/** QueueNotify's offset in the virtio-mmio register block. */
const QUEUE_NOTIFY = 0x50;

const stageIndex = (s: Stage) => STAGES.indexOf(s);

export class Pipeline {
  readonly inFlight = new Map<number, IoRequest>();
  readonly recent: IoRequest[] = [];
  private readonly byJob = new Map<number, number>();
  private readonly byCo = new Map<number, number>();
  /** Requests the last virtqueue_flush of a queue completed, until its virtio_notify. */
  private readonly flushed = new Map<number, IoRequest[]>();
  /** ns of QueueNotify stores not yet followed by a pop, per loop (FIFO). */
  private kicks: number[] = [];
  completed = 0;
  lost = 0;
  /** Requests whose QueueNotify store was seen but which were not popped yet. */
  get pendingKicks(): number {
    return this.kicks.length;
  }

  constructor(private readonly onDone: (d: DoneInfo) => void = () => {}) {}

  feed(ev: RecEvent): void {
    switch (ev.name) {
      case 'virtio_mmio_write_offset':
        if (numArg(ev, 'offset') === QUEUE_NOTIFY) {
          this.kicks.push(ev.ns);
          if (this.kicks.length > 64) this.kicks.shift();
        }
        return;
      case 'virtio_queue_notify':
        return;
      case 'virtqueue_pop': {
        const req = ev.corr?.req ?? objId(ev.args[1]);
        if (req === 0 || this.inFlight.has(req)) return;
        const start = this.kicks.shift() ?? ev.ns;
        const r: IoRequest = {
          req, op: 'other', sector: 0, bytes: 0, stage: 'loop', where: loopName(ev), detail: 'popped',
          startNs: start, at: { vcpu: start, loop: ev.ns }, vq: objId(ev.args[0]), filled: false,
        };
        this.inFlight.set(req, r);
        if (this.inFlight.size > MAX_IN_FLIGHT) {
          const oldest = this.inFlight.keys().next().value as number;
          this.inFlight.delete(oldest);
          this.lost++;
        }
        return;
      }
      case 'virtio_blk_handle_read':
      case 'virtio_blk_handle_write': {
        const r = this.find(ev);
        if (r === undefined) return;
        r.op = ev.name.endsWith('read') ? 'read' : 'write';
        r.sector = numArg(ev, 'sector');
        r.bytes = numArg(ev, 'nsectors') * 512;
        r.detail = `${r.op} sector ${r.sector} +${numArg(ev, 'nsectors')}`;
        return;
      }
      case 'coroutine_create': {
        const r = this.find(ev);
        if (r === undefined) return;
        const co = objId(ev.args[0]);
        r.co = co;
        this.byCo.set(co, r.req);
        const entry = strArg(ev, 'entry');
        if (entry.includes('flush')) r.op = 'flush';
        this.advance(r, 'coroutine', ev.ns, loopName(ev), `co ${co} ${entry}`);
        return;
      }
      case 'thread_pool_submit': {
        const r = this.find(ev);
        if (r === undefined) return;
        const job = ev.corr?.job ?? objId(ev.args[1]);
        r.job = job;
        this.byJob.set(job, r.req);
        this.advance(r, 'worker', ev.ns, 'pool', `queued as job ${job}`);
        return;
      }
      case 'worker_thread_job_begin': {
        const r = this.find(ev);
        if (r === undefined) return;
        this.advance(r, 'worker', ev.ns, ev.thread.name, strArg(ev, 'func'));
        if (r.stage === 'worker') {
          r.where = ev.thread.name;
          r.detail = strArg(ev, 'func');
        }
        return;
      }
      case 'syscall_exit': {
        const r = this.find(ev);
        if (r === undefined || r.stage !== 'worker') return;
        r.detail = `${strArg(ev, 'name')} = ${strArg(ev, 'ret')}`;
        return;
      }
      case 'thread_pool_complete':
      case 'virtio_blk_rw_complete': {
        const r = this.find(ev);
        if (r !== undefined) this.advance(r, 'completion', ev.ns, loopName(ev), ev.name === 'thread_pool_complete' ? `job ${r.job ?? '?'} ret ${numArg(ev, 'ret')}` : `ret ${numArg(ev, 'ret')}`);
        return;
      }
      case 'virtio_blk_req_complete': {
        const r = this.find(ev);
        if (r === undefined) return;
        r.status = numArg(ev, 'status');
        this.advance(r, 'completion', ev.ns, loopName(ev), `status ${r.status}`);
        return;
      }
      case 'virtqueue_fill': {
        const r = this.find(ev);
        if (r === undefined) return;
        r.filled = true;
        this.advance(r, 'completion', ev.ns, loopName(ev), `used ring, len ${numArg(ev, 'len')}`);
        return;
      }
      case 'virtqueue_flush': {
        // The used ring's index is published: every filled request of this queue is complete.
        const vq = objId(ev.args[0]);
        const done: IoRequest[] = [];
        for (const r of this.inFlight.values()) if (r.filled && r.vq === vq) done.push(r);
        for (const r of done) this.finish(r, ev);
        this.flushed.set(vq, done);
        return;
      }
      case 'virtio_notify': {
        // The interrupt for what the last flush published (suppressed notifications never come).
        const vq = objId(ev.args[1]);
        for (const r of this.flushed.get(vq) ?? []) this.advance(r, 'interrupt', ev.ns, loopName(ev), r.status === undefined ? 'interrupt' : `status ${r.status}, interrupt`);
        this.flushed.delete(vq);
        return;
      }
      default:
        // Any other event of a known request on a coroutine moves it at least to 'coroutine'.
        if (ev.corr?.co && ev.corr.req && this.inFlight.has(ev.corr.req)) {
          const r = this.inFlight.get(ev.corr.req)!;
          if (stageIndex(r.stage) < stageIndex('coroutine')) this.advance(r, 'coroutine', ev.ns, loopName(ev), `co ${ev.corr.co}`);
        }
    }
  }

  /** In-flight requests, oldest first. */
  list(): IoRequest[] {
    return [...this.inFlight.values()];
  }

  private find(ev: RecEvent): IoRequest | undefined {
    const c = ev.corr;
    if (c === null) return undefined;
    let req = c.req;
    if (req === undefined && c.job !== undefined) req = this.byJob.get(c.job);
    if (req === undefined && c.co !== undefined && c.co !== 0) req = this.byCo.get(c.co);
    return req === undefined ? undefined : this.inFlight.get(req);
  }

  private advance(r: IoRequest, stage: Stage, ns: number, where: string, detail: string): void {
    if (stageIndex(stage) < stageIndex(r.stage)) return;
    if (r.at[stage] === undefined) r.at[stage] = ns;
    r.stage = stage;
    r.where = where;
    r.detail = detail;
  }

  private finish(r: IoRequest, ev: RecEvent): void {
    r.doneNs = ev.ns;
    this.inFlight.delete(r.req);
    if (r.job !== undefined) this.byJob.delete(r.job);
    if (r.co !== undefined) this.byCo.delete(r.co);
    this.recent.push(r);
    if (this.recent.length > RECENT) this.recent.shift();
    this.completed++;
    this.onDone({ ns: ev.ns, op: r.op, bytes: r.bytes, latencyNs: ev.ns - r.startNs });
  }
}

/** `main-loop` on the emulator thread, the thread's name elsewhere (an iothread). */
export function loopName(ev: RecEvent): string {
  return ev.thread.kind === 'emulator' ? 'main-loop' : ev.thread.name;
}
