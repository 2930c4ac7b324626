/**
 * Boundary links (DESIGN.md §1, the four `══`): what the child side of a boundary records about the
 * context that caused it, so a backtrace can continue past the boundary.
 *
 *   ioeventfd   the vCPU's event_notifier_set (its JS stack, the hart, the guest pc and return
 *               addresses), linked when the poller dispatches that notifier.
 *   coroutine   qemu_coroutine_create: the creating context's stack (blk_aio_prwv ...
 *               aio_dispatch_handler), its coroutine and its cause.
 *   submit      thread_pool_submit_aio: the coroutine's stack at submission; the id goes to the
 *               worker in the job record (R_LINK_*), so the worker's stacks continue here.
 *   completion  thread_pool_completion_bh: job done on a worker, its callback about to run on the
 *               pool's context; parent = the submission.
 *
 * Every link also says in which context its stack was captured (`co`/`coLink`: the coroutine it ran
 * in and that coroutine's creation link; `ctxLink`: the dispatch or completion being handled), which
 * is how stitching walks on from a link's stack.
 *
 * Ids are process-unique numbers: threadId × 2^32 + a per-thread counter (safe integers), so
 * links of several threads (emulator, iothreads) can share one recording.
 * Contract: a LinkTable belongs to one thread; bounded (oldest links dropped first).
 */
import { threadId } from 'node:worker_threads';
import type { Frame } from './frame';
import type { RawStack } from './frames';

export type LinkKind = 'ioeventfd' | 'coroutine' | 'submit' | 'completion';

/** A link's stack: live (this thread's RawStack) or already frames (recordings, other threads). */
export type LinkStack = RawStack | Frame[] | null;

/** Guest state at the vCPU's store (ioeventfd links). */
export interface GuestContext {
  hart: number;
  /** The store's pc. */
  pc: bigint;
  /** Return addresses found by walking the guest's frame pointers, innermost first. */
  callers: bigint[];
  /** Privilege level letter: U, S or M. */
  priv: string;
}

interface LinkCommon {
  id: number;
  /** JS thread the stack was captured on (`emulator thread`, `worker-2`). */
  thread: string;
  /** What ran there (`main-loop`, `vcpu0`, an iothread's context). */
  role: string;
  ns: bigint;
  stack: LinkStack;
  /** Coroutine the stack was captured in (0: none) and that coroutine's creation link. */
  co: number;
  coLink: number;
  /** The dispatch / completion being handled when the stack was captured (checked against the frames). */
  ctxLink: number;
}

export interface IoeventfdLink extends LinkCommon {
  kind: 'ioeventfd';
  /** Notifier name (`hd0.vq0.host_notifier`). */
  notifier: string;
  guest: GuestContext | null;
  /** The poller's thread and role, filled in at dispatch. */
  pollerThread: string;
  pollerRole: string;
}

export interface CoroutineLink extends LinkCommon {
  kind: 'coroutine';
  /** The new coroutine's id and entry function. */
  newCo: number;
  entry: string;
}

export interface SubmitLink extends LinkCommon {
  kind: 'submit';
  /** ThreadPoolElement id and the worker function (`handle_aiocb_rw`). */
  req: number;
  func: string;
}

export interface CompletionLink extends LinkCommon {
  kind: 'completion';
  req: number;
  func: string;
  /** Worker that ran the job (`worker-2`), ret as the function returned it. */
  worker: string;
  ret: number;
  /** The submission link. */
  submit: number;
}

export type Link = IoeventfdLink | CoroutineLink | SubmitLink | CompletionLink;

/** Where stitching looks links up: the live table, or one rebuilt from a recording. */
export interface LinkSource {
  get(id: number): Link | undefined;
}

const ID_BASE = 0x100000000;
let counter = 0;

/** A new process-unique link (or stack) id for this thread. */
export function newLinkId(): number {
  counter = (counter + 1) % ID_BASE || 1;
  return threadId * ID_BASE + counter;
}

export const LINK_TABLE_DEFAULT = 2048;

/** Bounded map id → link: the oldest goes first when full (a ring of ids beside the map). */
export class LinkTable implements LinkSource {
  private readonly map = new Map<number, Link>();
  private ring: number[] = [];
  private head = 0;
  constructor(public capacity = LINK_TABLE_DEFAULT) {}
  add(link: Link): void {
    const cap = Math.max(1, this.capacity);
    while (this.ring.length - this.head >= cap) this.map.delete(this.ring[this.head++]);
    if (this.head > 4096 && this.head * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
    this.ring.push(link.id);
    this.map.set(link.id, link);
  }
  get(id: number): Link | undefined {
    return this.map.get(id);
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
    this.ring = [];
    this.head = 0;
  }
  /** All links, oldest first (debugging, tests). */
  values(): Link[] {
    return this.ring.slice(this.head).map((id) => this.map.get(id)!).filter((l) => l !== undefined);
  }
}
