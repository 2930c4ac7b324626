/**
 * Objects of an iothread on the console's side: what an agent's AgentValue becomes in the
 * console's state tree (`print hd0` of a dataplane drive) and in the convenience variables of a
 * stop in the iothread (`$vdev`, `$member`, `$container` of a tracepoint that fired there).
 *
 * An object arrives as a handle (iothread-agent-tree.ts). Here it is a RemoteObject — so print,
 * ptype and whatis show the iothread's own text, ptype and type name — behind a Proxy whose members
 * are read in the iothread when the state tree walks them: `$container.vdev.blk.file.fd` reads
 * `$:N.vdev` there, then the member of that handle, and so on, live. `x[3]` reads element 3 and
 * `x.length` an array's length. The same remote object is always the same proxy (per agent and
 * handle), so `$vdev == $container.vdev` compares identity as it does for the emulator thread's.
 *
 * The RemoteObject's own facts (its text, type name, place and ptype) are symbol-keyed, so every
 * string key is the remote object's member (`$req.type` reads its `type`).
 *
 * Contract: emulator thread. A member read throws ExprError (one line) when the agent does not
 * answer; a member the object does not have reads as absent.
 */
import type { AgentValue } from './agent-shared';
import { ExprError } from './expr';
import type { IOThreadAgent } from './iothread-agents';
import { REMOTE_PTYPE, REMOTE_TEXT, RemoteObject } from './values';

interface Handle {
  agent: IOThreadAgent;
  handle: number;
}

const proxies = new WeakMap<IOThreadAgent, Map<number, object>>();
const handles = new WeakMap<object, Handle>();

/** Keys a proxy answers itself (the RemoteObject's symbols, and what JS asks of any object). */
function local(key: string | symbol): boolean {
  return typeof key === 'symbol' || key in Object.prototype || key === 'toJSON' || key === 'then';
}

function ask<R>(a: IOThreadAgent, name: string, arg: unknown): R {
  try {
    return a.call<R>(name, arg);
  } catch (e) {
    throw new ExprError(e instanceof Error ? e.message : String(e));
  }
}

function member(h: Handle, key: string): AgentValue {
  const path = /^\d+$/.test(key) ? `$:${h.handle}[${key}]` : `$:${h.handle}.${key}`;
  return ask<AgentValue>(h.agent, 'resolve', { path });
}

function proxyFor(a: IOThreadAgent, handle: number, type: string): object {
  let byHandle = proxies.get(a);
  if (byHandle === undefined) proxies.set(a, (byHandle = new Map()));
  const known = byHandle.get(handle);
  if (known !== undefined) return known;
  const h: Handle = { agent: a, handle };
  const target = new RemoteObject('', type, `iothread ${a.id}`, '');
  const p = new Proxy(target, {
    get(t, key, receiver) {
      if (key === REMOTE_TEXT) return ask<string>(a, 'format', { handle });
      if (key === REMOTE_PTYPE) return ask<string>(a, 'ptype', { handle });
      if (local(key)) return Reflect.get(t, key, receiver) as unknown;
      const v = member(h, key as string);
      return v.ok ? remoteValue(a, v) : undefined;
    },
    has(t, key) {
      if (local(key)) return Reflect.has(t, key);
      return member(h, key as string).ok;
    },
  });
  byHandle.set(handle, p);
  handles.set(p, h);
  return p;
}

/** The console's value for an agent's answer (ok). */
export function remoteValue(a: IOThreadAgent, v: AgentValue & { ok: true }): unknown {
  switch (v.kind) {
    case 'object':
      return proxyFor(a, v.handle, v.type);
    case 'bigint':
      return BigInt(v.value);
    case 'undefined':
      return undefined;
    default:
      return v.value;
  }
}

/** The agent and handle behind a value, if it is an iothread's object. */
export function remoteHandle(v: unknown): Handle | undefined {
  return v !== null && typeof v === 'object' ? handles.get(v) : undefined;
}

/** Member names of an iothread's object that start with `word` (tab completion); [] if the agent does not answer. */
export function remoteMembers(h: Handle, word: string): string[] {
  try {
    return h.agent.call<string[]>('members', { handle: h.handle, word });
  } catch {
    return [];
  }
}
