/**
 * A route from the main thread into vtrace's worker threads through V8's inspector protocol: the
 * same protocol Chrome DevTools speaks, over node:inspector's in-process Session. The main thread's
 * session enables the `NodeWorker` domain, which attaches to the emulator thread; inside that
 * worker's session `NodeWorker` is enabled again, which attaches to its children (thread-pool
 * workers, iothreads), and so on down. Messages to a nested worker are wrapped once per level
 * (`NodeWorker.sendMessageToWorker`), its replies and events come back unwrapped level by level
 * (`NodeWorker.receivedMessageFromWorker`).
 *
 * Why it works on a stopped machine: a worker blocked in `Atomics.wait` (a debug stop, a pool
 * worker held before its syscall) still services V8 interrupts, and Node delivers inspector
 * messages to a busy worker by interrupt. So a stopped thread answers, and `Debugger.pause`
 * pauses it right where it waits, with its whole stack.
 *
 * Contract: main thread; one InspectorRoute per process (connected lazily, on first use). Nothing
 * here runs while no front end asks (the frame commands): the workers' inspector agents stay idle.
 * Requests reject with an Error when the protocol answers an error or the worker is gone; connect()
 * rejects when this Node has no inspector.
 */
import type { Session } from 'node:inspector';

/** A worker as the inspector knows it. */
export interface WorkerTarget {
  /** The inspector's session id for it (unique within its parent). */
  sessionId: string;
  /** Node's worker name (`emulator`, `worker-2`, `IO io0`), from the title `[worker N] NAME`. */
  name: string;
  /** The route: session ids from the main thread's child down to this worker. */
  path: string[];
}

type Listener = (method: string, params: Record<string, unknown>) => void;

interface Level {
  /** Pending replies by message id. */
  pending: Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>;
  listeners: Set<Listener>;
}

const TITLE = /^\[worker \d+\]\s?(.*)$/;

export class InspectorRoute {
  private session: Session | null = null;
  private nextId = 1;
  private readonly levels = new Map<string, Level>();
  /** NodeWorker.enable requests in flight inside workers (connect() waits for them). */
  private enabling: Array<Promise<unknown>> = [];
  private connecting = false;
  readonly workers: WorkerTarget[] = [];

  /** Connect and attach to every worker that exists now (and those started later). */
  async connect(): Promise<void> {
    if (this.session !== null) return;
    // Loaded here: a Node built without the inspector fails this call (no live arguments), not
    // the console that imports this module.
    const { Session: InspectorSession } = require('node:inspector') as typeof import('node:inspector');
    const s = new InspectorSession();
    s.connect();
    this.session = s;
    this.connecting = true;
    s.on('NodeWorker.attachedToWorker', (m) => this.attached([], m.params as AttachParams));
    s.on('NodeWorker.detachedFromWorker', (m) => this.detached([], (m.params as { sessionId: string }).sessionId));
    s.on('NodeWorker.receivedMessageFromWorker', (m) => this.received([], m.params as { sessionId: string; message: string }));
    await new Promise<void>((resolve, reject) => s.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (e) => (e ? reject(e) : resolve())));
    // The attach events of existing workers come before the reply; their children's before the
    // reply of the NodeWorker.enable sent into them.
    while (this.enabling.length > 0) await Promise.allSettled(this.enabling.splice(0));
    this.connecting = false;
  }

  /** Send a protocol request to a worker; resolves with its result. */
  send(w: WorkerTarget, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const level = this.levels.get(key(w.path));
    if (level === undefined || this.session === null) return Promise.reject(new Error(`worker ${w.name} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      level.pending.set(id, { resolve, reject });
      this.post(w.path, JSON.stringify({ id, method, params }));
    });
  }

  /** Listen to a worker's events (Debugger.paused, ...); returns the unsubscribe function. */
  on(w: WorkerTarget, l: Listener): () => void {
    const level = this.levels.get(key(w.path));
    level?.listeners.add(l);
    return () => level?.listeners.delete(l);
  }

  /** Wrap a message once per level and post it from the main thread's session. */
  private post(path: string[], message: string): void {
    let msg = message;
    for (let i = path.length - 1; i >= 1; i--) {
      msg = JSON.stringify({ id: this.nextId++, method: 'NodeWorker.sendMessageToWorker', params: { sessionId: path[i], message: msg } });
    }
    this.session?.post('NodeWorker.sendMessageToWorker', { sessionId: path[0], message: msg });
  }

  private attached(parent: string[], p: AttachParams): void {
    const path = [...parent, p.sessionId];
    const m = TITLE.exec(p.workerInfo.title);
    const w: WorkerTarget = { sessionId: p.sessionId, name: m !== null ? m[1] : p.workerInfo.title, path };
    this.levels.set(key(path), { pending: new Map(), listeners: new Set() });
    this.workers.push(w);
    // Follow its children too (connect() waits for the existing ones; later ones need no wait).
    const enabled = this.send(w, 'NodeWorker.enable', { waitForDebuggerOnStart: false }).catch(() => undefined);
    if (this.connecting) this.enabling.push(enabled);
  }

  private detached(parent: string[], sessionId: string): void {
    const k = key([...parent, sessionId]);
    const level = this.levels.get(k);
    for (const p of level?.pending.values() ?? []) p.reject(new Error('the worker exited'));
    this.levels.delete(k);
    const i = this.workers.findIndex((w) => key(w.path) === k);
    if (i >= 0) this.workers.splice(i, 1);
  }

  /** A message from the worker at parent+sessionId: a reply, an event, or a nested worker's message. */
  private received(parent: string[], p: { sessionId: string; message: string }): void {
    const path = [...parent, p.sessionId];
    let msg: { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string } };
    try {
      msg = JSON.parse(p.message);
    } catch {
      return;
    }
    const level = this.levels.get(key(path));
    if (level === undefined) return;
    if (msg.id !== undefined) {
      const r = level.pending.get(msg.id);
      if (r === undefined) return; // a wrapper's own reply (sendMessageToWorker)
      level.pending.delete(msg.id);
      if (msg.error !== undefined) r.reject(new Error(msg.error.message));
      else r.resolve(msg.result ?? {});
      return;
    }
    const params = msg.params ?? {};
    switch (msg.method) {
      case 'NodeWorker.attachedToWorker':
        this.attached(path, params as unknown as AttachParams);
        return;
      case 'NodeWorker.detachedFromWorker':
        this.detached(path, (params as { sessionId: string }).sessionId);
        return;
      case 'NodeWorker.receivedMessageFromWorker':
        this.received(path, params as unknown as { sessionId: string; message: string });
        return;
    }
    for (const l of level.listeners) l(msg.method ?? '', params);
  }
}

interface AttachParams {
  sessionId: string;
  workerInfo: { workerId: string; title: string; url: string };
}

function key(path: string[]): string {
  return path.join('/');
}
