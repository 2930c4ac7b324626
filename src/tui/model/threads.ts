/**
 * The threads pane's model (DESIGN.md §2): the vCPUs, the main loop, iothreads, the thread pool's
 * workers (busy with a job or idle) and the live coroutines, from the events:
 *
 *   vcpu_run_begin/end              a vCPU's slice: running, or why it stopped (budget, wfi, stop)
 *   aio_dispatch_handler, aio_bh_call   activity of the loop whose thread emitted it
 *   worker_thread_start, worker_thread_job_begin/end   pool workers
 *   coroutine_create, qemu_aio_coroutine_enter, qemu_coroutine_yield, qemu_coroutine_terminate
 *
 * Threads of the recording (its THRD chunks) are added as they are announced, so a worker shows
 * up even before its first job. Contract: bounded (coroutines capped at MAX_COROUTINES, the oldest
 * dropped); feed events in (roughly) time order.
 */
import type { RecEvent } from '../../trace/vtr-reader';
import type { VtrThread } from '../../trace/vtr-format';
import { numArg, objId, strArg } from './args';

export interface VcpuState {
  index: number;
  state: 'running' | 'idle' | 'runnable' | 'stopped';
  reason: string;
  pc: number;
  instructions: number;
}

export interface LoopState {
  name: string;
  thread: string;
  dispatches: number;
  bottomHalves: number;
}

export interface WorkerState {
  name: string;
  tid: number;
  busy: boolean;
  func: string;
  job: number;
  jobs: number;
}

export interface CoroutineState {
  co: number;
  entry: string;
  state: 'running' | 'yielded' | 'created';
  req?: number;
}

const MAX_COROUTINES = 1024;

export class ThreadsModel {
  readonly vcpus = new Map<number, VcpuState>();
  readonly loops = new Map<string, LoopState>();
  readonly workers = new Map<string, WorkerState>();
  readonly coroutines = new Map<number, CoroutineState>();

  /** A thread of the recording was announced. */
  addThread(t: VtrThread): void {
    if (t.kind === 'pool-worker') this.worker(t.name, t.tid);
    else if (t.kind === 'emulator') this.loop('main-loop', t.name);
    else if (t.kind === 'iothread') this.loop(t.name, t.name);
  }

  feed(ev: RecEvent): void {
    switch (ev.name) {
      case 'vcpu_run_begin': {
        const v = this.vcpu(numArg(ev, 'cpu_index'));
        v.state = 'running';
        v.reason = '';
        v.pc = numArg(ev, 'pc');
        return;
      }
      case 'vcpu_run_end': {
        const v = this.vcpu(numArg(ev, 'cpu_index'));
        v.instructions += numArg(ev, 'instructions');
        const reason = strArg(ev, 'reason');
        v.reason = reason;
        v.state = reason === 'wfi' ? 'idle' : reason === 'budget' ? 'runnable' : 'stopped';
        return;
      }
      case 'aio_dispatch_handler':
        this.loopOf(ev).dispatches++;
        return;
      case 'aio_bh_call':
        this.loopOf(ev).bottomHalves++;
        return;
      case 'worker_thread_start':
        this.worker(strArg(ev, 'worker') || ev.thread.name, numArg(ev, 'tid'));
        return;
      case 'worker_thread_job_begin': {
        const w = this.worker(strArg(ev, 'worker') || ev.thread.name, ev.thread.tid);
        w.busy = true;
        w.func = strArg(ev, 'func');
        w.job = ev.corr?.job ?? objId(ev.args[1]);
        return;
      }
      case 'worker_thread_job_end': {
        const w = this.worker(strArg(ev, 'worker') || ev.thread.name, ev.thread.tid);
        w.busy = false;
        w.jobs++;
        return;
      }
      case 'coroutine_create': {
        const co = objId(ev.args[0]);
        this.coroutines.set(co, { co, entry: strArg(ev, 'entry'), state: 'created', req: ev.corr?.req });
        if (this.coroutines.size > MAX_COROUTINES) this.coroutines.delete(this.coroutines.keys().next().value as number);
        return;
      }
      case 'qemu_aio_coroutine_enter': {
        const c = this.coroutines.get(objId(ev.args[2]));
        if (c !== undefined) c.state = 'running';
        return;
      }
      case 'qemu_coroutine_yield': {
        const c = this.coroutines.get(objId(ev.args[0]));
        if (c !== undefined) c.state = 'yielded';
        return;
      }
      case 'qemu_coroutine_terminate':
        this.coroutines.delete(objId(ev.args[0]));
        return;
      default:
    }
  }

  busyWorkers(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.busy) n++;
    return n;
  }

  private vcpu(index: number): VcpuState {
    let v = this.vcpus.get(index);
    if (v === undefined) this.vcpus.set(index, (v = { index, state: 'runnable', reason: '', pc: 0, instructions: 0 }));
    return v;
  }

  private loop(name: string, thread: string): LoopState {
    let l = this.loops.get(name);
    if (l === undefined) this.loops.set(name, (l = { name, thread, dispatches: 0, bottomHalves: 0 }));
    return l;
  }

  private loopOf(ev: RecEvent): LoopState {
    return ev.thread.kind === 'emulator' ? this.loop('main-loop', ev.thread.name) : this.loop(ev.thread.name, ev.thread.name);
  }

  private worker(name: string, tid: number): WorkerState {
    let w = this.workers.get(name);
    if (w === undefined) this.workers.set(name, (w = { name, tid, busy: false, func: '', job: 0, jobs: 0 }));
    if (tid) w.tid = tid;
    return w;
  }
}
