/**
 * The console's handles on the debug agents of the iothreads (iothread-agent.ts runs in each):
 * state of drives that live in an iothread (dataplane), watchpoints on it, and the pause of the
 * iothreads during a stop (docs/stops.md).
 *
 *   attachIOThreadAgent(t, options)   machine-setup.ts, right after iothread_create and before
 *                                     the iothread opens any drive: the agent starts answering,
 *                                     listeners (the console) push their watchpoints to it
 *   agentFor(name)                    the agent that owns a drive id or node name, if any
 *   agent.call(name, arg)             a synchronous request (answered by the iothread between its
 *                                     handlers, or from inside a pause or a hit)
 *   pauseIOThreads() / resumeIOThreads()   at every stop and resume of the debug channel
 *   takeAgentHits(fn)                 a hit waiting: fn handles it (stops), then the iothread goes on;
 *                                     its objects ($vdev...) are live remote objects (iothread-agent-proxy.ts)
 *
 * Contract: emulator thread. A request to an iothread that does not answer within the timeout
 * throws AgentError (one line); a pause that is not acknowledged within PAUSE_ACK_MS is given up
 * (the iothread pauses at its next handler dispatch).
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { IOThread } from '../util/iothread';
import { iothread_get_aio_context } from '../util/iothread';
import { aio_wait_bh_oneshot, setAioWaitPoll } from '../util/aio-wait';
import { aio_set_event_notifier } from '../util/aio-context';
import { event_notifier_set, event_notifier_test_and_clear, eventNotifierNew, shareEventNotifier, type EventNotifier } from '../util/event-notifier';
import { qemu_get_aio_context } from '../util/main-loop';
import {
  AGENT_SHARED_BYTES,
  DONE,
  DOORBELL,
  HIT,
  PAUSE,
  PAUSED,
  REPLY_OK,
  RESUME,
  WAKE,
  readHit,
  readReply,
  writeRequest,
  type AgentAttachArg,
  type AgentHit,
} from './agent-shared';
import { remoteValue } from './iothread-agent-proxy';

export class AgentError extends Error {
  override name = 'AgentError';
}

const CALL_TIMEOUT_MS = 10_000;
const PAUSE_ACK_MS = 2_000;

export class IOThreadAgent {
  readonly w: Int32Array;
  tid = -1;
  constructor(
    readonly iothread: IOThread,
    readonly sab: SharedArrayBuffer,
    readonly doorbell: EventNotifier,
    /** Drive ids and node names of the command line that live in this iothread. */
    readonly names: ReadonlySet<string>,
    readonly driveIds: readonly string[],
  ) {
    this.w = new Int32Array(sab);
  }

  get id(): string {
    return this.iothread.id;
  }

  private wake(): void {
    Atomics.add(this.w, WAKE, 1);
    Atomics.notify(this.w, WAKE);
    event_notifier_set(this.doorbell);
  }

  /** A synchronous request; throws AgentError. */
  call<R>(name: string, arg: unknown = null, timeoutMs = CALL_TIMEOUT_MS): R {
    if (!this.iothread.running) throw new AgentError(`iothread ${this.id} is not running`);
    writeRequest(this.sab, { name, arg });
    const seq = Atomics.load(this.w, DOORBELL) + 1;
    Atomics.store(this.w, DOORBELL, seq);
    this.wake();
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.w, DONE) !== seq) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.iothread.running) throw new AgentError(`iothread ${this.id} does not answer (${name})`);
      Atomics.wait(this.w, DONE, Atomics.load(this.w, DONE), Math.min(left, 100));
    }
    const v = readReply(this.sab);
    if (Atomics.load(this.w, REPLY_OK) !== 1) throw new AgentError(`iothread ${this.id}: ${String(v)}`);
    return v as R;
  }

  /** Ask the iothread to pause; true once it acknowledged (it runs nothing but this agent). */
  pause(): boolean {
    if (!this.iothread.running) return false;
    Atomics.store(this.w, PAUSE, 1);
    this.wake();
    const deadline = Date.now() + PAUSE_ACK_MS;
    while (Atomics.load(this.w, PAUSED) !== 1) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.iothread.running) return false;
      Atomics.wait(this.w, PAUSED, 0, Math.min(left, 50));
    }
    return true;
  }

  resume(): void {
    Atomics.store(this.w, PAUSE, 0);
    this.wake();
  }

  get paused(): boolean {
    return Atomics.load(this.w, PAUSED) === 1;
  }

  /** The hit waiting for the console, consumed; release() lets the iothread go on. */
  takeHit(): AgentHit | null {
    if (Atomics.load(this.w, HIT) !== 1) return null;
    const { vars, ...hit } = readHit(this.sab);
    Atomics.store(this.w, HIT, 0);
    if (vars === undefined) return hit;
    return { ...hit, vars: vars.map(([k, v]) => [k, v.ok ? remoteValue(this, v) : undefined]) };
  }

  release(): void {
    Atomics.add(this.w, RESUME, 1);
    this.wake();
  }
}

const agents = new Map<string, IOThreadAgent>();
const listeners: Array<(a: IOThreadAgent) => void> = [];
let hitNotifier: EventNotifier | null = null;
let hitHandler: ((a: IOThreadAgent, hit: AgentHit) => void) | null = null;
let paused = false;

/** The console: called with each agent that attaches (also the ones attached already). */
export function onAgentAttached(l: (a: IOThreadAgent) => void): void {
  listeners.push(l);
  for (const a of agents.values()) l(a);
}

/** The console: who handles an iothread's hit (it stops; the iothread goes on afterwards). */
export function setAgentHitHandler(fn: ((a: IOThreadAgent, hit: AgentHit) => void) | null): void {
  hitHandler = fn;
}

/** Handle every hit waiting (the main loop's notifier, or a wait on an iothread). */
export function takeAgentHits(): void {
  for (const a of agents.values()) {
    const hit = a.takeHit();
    if (hit === null) continue;
    try {
      hitHandler?.(a, hit);
    } finally {
      a.release();
    }
  }
}

function ensureHitNotifier(): EventNotifier {
  if (hitNotifier !== null) return hitNotifier;
  hitNotifier = eventNotifierNew('debug.iothread-agent.hit');
  aio_set_event_notifier(qemu_get_aio_context(), hitNotifier, function debug_agent_hit(n) {
    event_notifier_test_and_clear(n);
    takeAgentHits();
  });
  // The emulator thread waiting on an iothread (a drive opened there, a dataplane stopped) must
  // still see the iothread's hits, or both would wait for each other.
  setAioWaitPoll(() => {
    if (hitNotifier !== null && event_notifier_test_and_clear(hitNotifier)) takeAgentHits();
  });
  return hitNotifier;
}

/** The command line's -devices with their QOM paths, as the state tree names them (qom.ts). */
function devicePaths(o: MachineOptions): Array<{ drive: string; id?: string; path: string }> {
  let anon = 0;
  return o.devices.map((d) => ({ drive: d.drive, ...(d.id !== undefined ? { id: d.id } : {}), path: d.id !== undefined ? `/machine/peripheral/${d.id}` : `/machine/peripheral-anon/device[${anon++}]` }));
}

/** machine-setup.ts: `t` has started; its agent answers from now on. Never throws (no agent then). */
export function attachIOThreadAgent(t: IOThread, o: MachineOptions): IOThreadAgent | null {
  const devs = o.devices.filter((d) => d.iothread === t.id);
  const drives = o.drives.filter((d) => devs.some((x) => x.drive === d.id));
  const sab = new SharedArrayBuffer(AGENT_SHARED_BYTES);
  const doorbell = eventNotifierNew(`debug.agent.${t.id}`);
  const arg: AgentAttachArg = {
    id: t.id,
    sab,
    doorbell: shareEventNotifier(doorbell),
    hit: shareEventNotifier(ensureHitNotifier()),
    drives: drives.map((d) => ({ id: d.id, file: d.file, ...(d.nodeName !== undefined ? { nodeName: d.nodeName } : {}) })),
    devices: devicePaths(o).filter((d) => devs.some((x) => x.drive === d.drive)),
  };
  let r: { tid: number };
  try {
    r = aio_wait_bh_oneshot<{ tid: number }>(iothread_get_aio_context(t), 'debug_agent_attach', arg);
  } catch (e) {
    process.emitWarning(`vtrace debug: iothread ${t.id}: no debug agent: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  const names = new Set<string>();
  for (const d of drives) {
    names.add(d.id);
    if (d.nodeName !== undefined) names.add(d.nodeName);
  }
  const a = new IOThreadAgent(t, sab, doorbell, names, drives.map((d) => d.id));
  a.tid = r.tid;
  agents.set(t.id, a);
  if (paused) a.pause();
  for (const l of listeners) l(a);
  return a;
}

/** machine-setup.ts: the iothread is going away. */
export function detachIOThreadAgent(t: IOThread): void {
  const a = agents.get(t.id);
  if (a === undefined) return;
  a.resume();
  agents.delete(t.id);
}

export function ioThreadAgents(): IOThreadAgent[] {
  return [...agents.values()];
}

/** The agent whose iothread owns drive id / node name `name` (by the command line), if attached. */
export function agentFor(name: string): IOThreadAgent | undefined {
  for (const a of agents.values()) if (a.names.has(name)) return a;
  return undefined;
}

/** Pause every iothread (a stop begins). Returns the ids that did not acknowledge in time. */
export function pauseIOThreads(): string[] {
  paused = true;
  const late: string[] = [];
  for (const a of agents.values()) if (!a.pause()) late.push(a.id);
  return late;
}

/** Let every iothread go on (a stop ends). */
export function resumeIOThreads(): void {
  paused = false;
  for (const a of agents.values()) a.resume();
}
