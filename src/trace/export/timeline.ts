/**
 * From recorded events (time order) to timeline records (records.ts): which track an event goes
 * on, which event pairs make slices, the coroutine async slices, the counters, and one flow per
 * virtio request.
 *
 * Tracks: each pool worker and iothread is its own track (its thread). The emulator thread runs
 * the vCPUs and the main loop in turn (as QEMU's single-threaded TCG does): events between
 * vcpu_run_begin/end go to that vCPU's track (a synthetic thread, "vcpu0"...), the rest to
 * "main-loop" (the emulator thread's tid).
 *
 * Slices (name: what ran): vcpu_run, virtio_mmio_write (the register, e.g. QueueNotify),
 * main_loop_wait, aio_poll, aio_dispatch_handler, a bottom half (its name), a coroutine run (enter
 * → yield/terminate; its entry function), a pool job (its function), a syscall (entry → exit).
 * Everything else is an instant with its arguments. Coroutine lifetimes (create → terminate) are
 * also async slices. Counters: virtio requests in flight (virtqueue_pop → virtqueue_fill), pool
 * queue depth (thread_pool_submit → worker_thread_job_begin), busy workers (job begin → end).
 *
 * The flow of request R: start at the vCPU's store whose event_notifier_set made the handler
 * ready (else at the dispatch), then the aio_dispatch_handler slice where virtqueue_pop took R,
 * each run of R's coroutine, the worker's syscall for R's pool job (or the job), the completion
 * BH, and it finishes at the first vCPU slice after the interrupt reporting R was raised
 * (virtio_notify; riscv_trap, now emitted at trap entry, could end it at the trap).
 *
 * Cost: an instant is encoded straight from the decoded record (no object per event); slices are
 * objects (records.ts Slice). Tracepoints are told apart by catalog index (a table built once).
 */
import type { RecordView } from '../record-view';
import type { VtrCatalogEntry, VtrThread } from '../vtr-format';
import { FLOW_END, FLOW_START, FLOW_STEP, type Encoder, type OrderWindow, type Slice, type Track } from './records';
import { TimelineOutput } from './timeline-output';

/** Requests whose flow is still open, at most (the oldest is dropped beyond: bounded memory). */
const MAX_OPEN_FLOWS = 100_000;

/** What the builder does with each tracepoint (by name; anything else is an instant). */
const enum Ev {
  Instant, VcpuBegin, VcpuEnd, MmioOpsWrite, MmioWrite, MmioWriteEnd, NotifierSet, MlwBegin, MlwEnd,
  PollBegin, PollEnd, Dispatch, DispatchEnd, BhCall, BhCallEnd, Pop, Fill, CoCreate, CoEnter, CoYield,
  CoTerminate, PoolSubmit, PoolCancel, JobBegin, JobEnd, SysEntry, SysExit, PoolComplete, ReqComplete, Notify,
}

const EVENTS: Record<string, Ev> = {
  vcpu_run_begin: Ev.VcpuBegin, vcpu_run_end: Ev.VcpuEnd, memory_region_ops_write: Ev.MmioOpsWrite,
  virtio_mmio_write_offset: Ev.MmioWrite, virtio_mmio_write_end: Ev.MmioWriteEnd, event_notifier_set: Ev.NotifierSet,
  main_loop_wait_begin: Ev.MlwBegin, main_loop_wait_end: Ev.MlwEnd, aio_poll_begin: Ev.PollBegin, aio_poll_end: Ev.PollEnd,
  aio_dispatch_handler: Ev.Dispatch, aio_dispatch_handler_end: Ev.DispatchEnd, aio_bh_call: Ev.BhCall, aio_bh_call_end: Ev.BhCallEnd,
  virtqueue_pop: Ev.Pop, virtqueue_fill: Ev.Fill, coroutine_create: Ev.CoCreate, qemu_aio_coroutine_enter: Ev.CoEnter,
  qemu_coroutine_yield: Ev.CoYield, qemu_coroutine_terminate: Ev.CoTerminate, thread_pool_submit: Ev.PoolSubmit,
  thread_pool_cancel: Ev.PoolCancel, worker_thread_job_begin: Ev.JobBegin, worker_thread_job_end: Ev.JobEnd,
  syscall_entry: Ev.SysEntry, syscall_exit: Ev.SysExit, thread_pool_complete: Ev.PoolComplete,
  virtio_blk_req_complete: Ev.ReqComplete, virtio_notify: Ev.Notify,
};

/** Slice keys: a kind in the low 4 bits, the id (handler, coroutine, job...) above. */
const K_VCPU = 1;
const K_MMIO = 2;
const K_MLW = 3;
const K_POLL = 4;
const K_HANDLER = 5;
const K_BH = 6;
const K_CO = 7;
const K_JOB = 8;
const K_SYS = 9;
const key = (kind: number, id: number): number => kind + 16 * id;

const CORR_REQ = 1;
const CORR_CO = 2;
const CORR_JOB = 4;

interface Flow {
  id: number;
  last: Slice | null;
}

export class TimelineBuilder extends TimelineOutput {
  private readonly code: Uint8Array;
  private readonly flows = new Map<number, Flow>();
  private readonly kicks = new Map<number, Slice>();
  private readonly dispatchKick = new Map<Track, { slice: Slice; kick: Slice | undefined }>();
  private readonly jobReq = new Map<number, number>();
  private readonly jobFlowed = new Map<number, boolean>();
  private readonly mmioNames = new Map<string, string>();
  private pendingIrq: number[] = [];
  private awaitingVcpu: number[] = [];
  private nextFlow = 1;
  private inflight = 0;
  private queued = 0;
  private busy = 0;
  private readonly queueCounted: boolean;
  events = 0;

  constructor(out: OrderWindow, enc: Encoder, catalog: readonly VtrCatalogEntry[], enabledTracepoints: readonly string[]) {
    super(out, enc);
    this.code = Uint8Array.from(catalog, (c) => EVENTS[c.name] ?? Ev.Instant);
    this.queueCounted = enabledTracepoints.includes('worker_thread_job_begin');
  }

  private bind(slice: Slice | undefined, flow: Flow, ph: number): void {
    if (slice === undefined || flow.last === slice) return;
    if (!this.out.holds(slice)) {
      this.out.missedFlows++;
      return;
    }
    (slice.flows ??= []).push(flow.id, ph);
    flow.last = slice;
  }

  private flowOf(req: number | undefined): Flow | undefined {
    return req !== undefined ? this.flows.get(req) : undefined;
  }

  /** Feed the next event (time order): `v` decoded, `thread` the thread that recorded it. */
  feed(v: RecordView, thread: VtrThread): void {
    this.events++;
    const th = this.threadState(thread);
    const cur = th.vcpu ?? th.mainTrack;
    const ns = v.ns;
    const mask = v.mask;
    const req = mask & CORR_REQ ? v.corr[0] : undefined;
    const co = mask & CORR_CO ? v.corr[1] : undefined;
    const job = mask & CORR_JOB ? v.corr[2] : undefined;
    switch (this.code[v.tpId] as Ev) {
      case Ev.Instant:
        break;
      case Ev.VcpuBegin: {
        const cpu = v.num(0);
        th.vcpu = this.vcpuTrack(cpu);
        const s = this.begin(th.vcpu, K_VCPU, 'vcpu_run', v);
        for (const r of this.awaitingVcpu) {
          const f = this.flows.get(r);
          if (f !== undefined) this.bind(s, f, FLOW_END);
          this.flows.delete(r);
        }
        this.awaitingVcpu = [];
        return;
      }
      case Ev.VcpuEnd:
        if (th.vcpu !== null) this.end(th.vcpu, K_VCPU, ns);
        th.vcpu = null;
        return;
      case Ev.MmioOpsWrite:
        th.lastMmioName = v.nargs > 5 && v.strLen(5) >= 0 ? this.strArg(v, 5) : '';
        break;
      case Ev.MmioWrite:
        this.begin(cur, K_MMIO, this.mmioSliceName(th.lastMmioName), v);
        return;
      case Ev.MmioWriteEnd:
        this.end(cur, K_MMIO, ns);
        return;
      case Ev.NotifierSet: {
        const s = this.top(cur);
        if (s !== undefined) this.kicks.set(v.num(1), s);
        break;
      }
      case Ev.MlwBegin:
        this.begin(cur, K_MLW, 'main_loop_wait', v);
        return;
      case Ev.MlwEnd:
        this.end(cur, K_MLW, ns);
        return;
      case Ev.PollBegin:
        this.begin(cur, key(K_POLL, v.num(0)), 'aio_poll', v);
        return;
      case Ev.PollEnd:
        this.end(cur, key(K_POLL, v.num(0)), ns);
        return;
      case Ev.Dispatch: {
        const s = this.begin(cur, key(K_HANDLER, v.num(1)), 'aio_dispatch_handler', v);
        const slot = v.num(3);
        const kick = this.kicks.get(slot);
        this.kicks.delete(slot);
        this.dispatchKick.set(cur, { slice: s, kick });
        return;
      }
      case Ev.DispatchEnd:
        this.end(cur, key(K_HANDLER, v.num(1)), ns);
        return;
      case Ev.BhCall:
        this.begin(cur, key(K_BH, v.num(1)), this.strArg(v, 2), v);
        return;
      case Ev.BhCallEnd:
        this.end(cur, key(K_BH, v.num(1)), ns);
        return;
      case Ev.Pop: {
        this.counter('virtio requests in flight', ns, ++this.inflight);
        if (req === undefined) break;
        const d = this.dispatchKick.get(cur);
        const open = d !== undefined && cur.stack.includes(d.slice);
        const f: Flow = { id: this.nextFlow++, last: null };
        this.flows.set(req, f);
        if (this.flows.size > MAX_OPEN_FLOWS) this.flows.delete(this.flows.keys().next().value!);
        if (open && d.kick !== undefined) this.bind(d.kick, f, FLOW_START);
        this.bind(open ? d.slice : this.top(cur), f, f.last === null ? FLOW_START : FLOW_STEP);
        break;
      }
      case Ev.Fill:
        this.counter('virtio requests in flight', ns, Math.max(0, --this.inflight));
        break;
      case Ev.CoCreate: {
        const id = co ?? NaN;
        const name = this.strArg(v, 1);
        const lane = this.lane(id, name, cur.tid); // declares the lane's track first
        this.asyncSlice(true, lane, id, name, cur.tid, ns, v);
        return;
      }
      case Ev.CoEnter: {
        const s = this.begin(cur, key(K_CO, co ?? -1), `coroutine ${co}`, v, v.ns, false);
        const f = this.flowOf(req);
        if (f !== undefined) this.bind(s, f, FLOW_STEP);
        return;
      }
      case Ev.CoYield:
        this.end(cur, key(K_CO, co ?? -1), ns);
        return;
      case Ev.CoTerminate: {
        this.end(cur, key(K_CO, co ?? -1), ns);
        const id = co ?? NaN;
        const lane = this.laneOf.get(id);
        if (lane !== undefined) {
          this.asyncSlice(false, lane.track, id, lane.name, lane.tid, ns, null);
          lane.track.busy = false;
          this.laneOf.delete(id);
        }
        return;
      }
      case Ev.PoolSubmit:
        if (job !== undefined && req !== undefined) this.jobReq.set(job, req);
        if (this.queueCounted) this.counter('thread-pool queue depth', ns, ++this.queued);
        break;
      case Ev.PoolCancel:
        if (this.queueCounted) this.counter('thread-pool queue depth', ns, Math.max(0, --this.queued));
        break;
      case Ev.JobBegin: {
        const j = job ?? NaN;
        this.begin(cur, key(K_JOB, job ?? -1), this.strArg(v, 2), v);
        this.jobFlowed.set(j, false);
        this.counter('thread-pool queue depth', ns, Math.max(0, --this.queued));
        this.counter('busy workers', ns, ++this.busy);
        return;
      }
      case Ev.JobEnd: {
        const j = job ?? NaN;
        const s = this.end(cur, key(K_JOB, job ?? -1), ns);
        const f = this.flowOf(this.jobReq.get(j));
        if (f !== undefined && this.jobFlowed.get(j) === false) this.bind(s, f, FLOW_STEP);
        this.jobFlowed.delete(j);
        this.counter('busy workers', ns, Math.max(0, --this.busy));
        return;
      }
      case Ev.SysEntry: {
        const s = this.begin(cur, K_SYS, this.strArg(v, 1), v);
        const f = job !== undefined ? this.flowOf(this.jobReq.get(job)) : undefined;
        if (f !== undefined && job !== undefined) {
          this.bind(s, f, FLOW_STEP);
          this.jobFlowed.set(job, true);
        }
        return;
      }
      case Ev.SysExit:
        this.syscallExit(cur, v);
        return;
      case Ev.PoolComplete: {
        const f = this.flowOf(req ?? (job !== undefined ? this.jobReq.get(job) : undefined));
        if (f !== undefined) this.bind(this.top(cur), f, FLOW_STEP);
        if (job !== undefined) this.jobReq.delete(job);
        break;
      }
      case Ev.ReqComplete:
        if (req !== undefined) this.pendingIrq.push(req);
        break;
      case Ev.Notify:
        for (const r of this.pendingIrq) {
          const f = this.flows.get(r);
          if (f !== undefined) this.bind(this.top(cur), f, FLOW_STEP);
          this.awaitingVcpu.push(r);
        }
        this.pendingIrq = [];
        break;
    }
    this.instant(cur, v);
  }

  /** "virtio_mmio_write QueueNotify": the slice name of a register write (cached per register name). */
  private mmioSliceName(reg: string): string {
    if (reg === '') return 'virtio_mmio_write';
    let n = this.mmioNames.get(reg);
    if (n === undefined) {
      n = `virtio_mmio_write ${reg}`.trim();
      if (this.mmioNames.size < 4096) this.mmioNames.set(reg, n);
    }
    return n;
  }

  /** syscall_exit(tid, name, args, ret, duration_ns, fd, retval, path): ends the entry's slice. */
  private syscallExit(cur: Track, v: RecordView): void {
    const s = this.end(cur, K_SYS, v.ns);
    if (s !== undefined) {
      if (s.argsOff >= 0 && this.out.holds(s) && v.nargs >= 8) {
        const a = this.out.arena;
        const at = a.pos;
        this.enc.extra(a, true, 'ret', v, 3);
        if (v.strLen(7) > 0) this.enc.extra(a, true, 'path', v, 7);
        if (s.extraOff >= 0 && s.extraOff + s.extraLen === at) s.extraLen += a.pos - at;
        else if (s.extraOff < 0) {
          s.extraOff = at;
          s.extraLen = a.pos - at;
        }
      }
    } else {
      // No entry recorded (filtered out): a slice of the measured duration.
      const d = v.nargs > 4 ? v.num(4) : 0;
      this.begin(cur, K_SYS, this.strArg(v, 1), v, v.ns - d);
      this.end(cur, K_SYS, v.ns);
    }
  }

  /** Close what is still open at `ns` (the end of the window) and finish dangling flows. */
  finish(ns: number): void {
    for (const t of this.allTracks()) while (t.stack.length > 0) this.end(t, t.stack[t.stack.length - 1].key, ns);
    for (const [co, lane] of this.laneOf) this.asyncSlice(false, lane.track, co, lane.name, lane.tid, ns, null);
    this.laneOf.clear();
    for (const f of this.flows.values()) {
      const s = f.last;
      if (s === null || s.flows === null || !this.out.holds(s)) continue;
      for (let i = 0; i < s.flows.length; i += 2) {
        if (s.flows[i] === f.id) {
          if (s.flows[i + 1] === FLOW_STEP) s.flows[i + 1] = FLOW_END;
          break;
        }
      }
    }
  }

  get flowCount(): number {
    return this.nextFlow - 1;
  }
}
