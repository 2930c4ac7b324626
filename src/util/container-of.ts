/**
 * container_of (QEMU include/qemu/compiler.h, from Linux): from a pointer to a member embedded in a
 * struct, get the struct. C computes `(char *)ptr - offsetof(type, member)`; JS objects have no
 * addresses, so embedding is recorded explicitly and container_of is a real lookup:
 *
 *   embed(vq, 'host_notifier', n)                       // VirtQueue init: vq.host_notifier = n
 *   const vq = container_of(n, VirtQueue, 'host_notifier')  // in the notifier's io_read handler
 *
 * container_of checks, as the C version silently assumes, that the member really is that field of
 * an object of that type, and throws ContainerOfError otherwise (a notifier that belongs to nothing,
 * to another field, or to a container of another type). What it resolved can be reported to
 * tracing: `utilTraceHooks.container_of` receives the member type, field and container type, and
 * `containerOfDescribe` answers the same question without resolving.
 *
 * Contract: any thread, for objects of that thread (a member shared to another thread is a
 * different JS object there, embedded in nothing until that thread embeds it).
 */
import { utilTraceHooks } from './trace-hooks';

interface Embedding {
  container: object;
  field: string;
}

const embeddings = new WeakMap<object, Embedding>();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass = abstract new (...args: any[]) => object;

export class ContainerOfError extends Error {
  override name = 'ContainerOfError';
}

function typeName(o: object): string {
  return (o.constructor as { name?: string } | undefined)?.name || 'Object';
}

/**
 * Store `member` as `container[field]` and record the embedding. A member lives in at most one
 * container field (as a C struct member does); embedding it elsewhere throws. Returns `member`.
 */
export function embed<T extends object, K extends keyof T & string>(container: T, field: K, member: T[K] & object): T[K] {
  const prev = embeddings.get(member);
  if (prev !== undefined && (prev.container !== container || prev.field !== field)) {
    throw new ContainerOfError(
      `embed: ${typeName(member)} is already embedded as ${typeName(prev.container)}.${prev.field}; cannot embed it as ${typeName(container)}.${field}`,
    );
  }
  const old = container[field];
  if (old !== member && typeof old === 'object' && old !== null) {
    const e = embeddings.get(old);
    if (e !== undefined && e.container === container && e.field === field) embeddings.delete(old);
  }
  container[field] = member;
  embeddings.set(member, { container, field });
  return member;
}

/** Forget that `member` is embedded (the container is being torn down). */
export function unembed(member: object): void {
  embeddings.delete(member);
}

/**
 * container_of(member, Type, 'field'): the object of class `Type` whose `field` is `member`.
 * Throws ContainerOfError when `member` is not embedded, is embedded as another field, in a
 * container of another type, or has since been replaced in that field.
 */
export function container_of<C extends AnyClass, K extends keyof InstanceType<C> & string>(
  member: InstanceType<C>[K] & object,
  type: C,
  field: K,
): InstanceType<C> {
  const e = embeddings.get(member);
  if (e === undefined) {
    throw new ContainerOfError(`container_of(${typeName(member)}, ${type.name}, ${field}): the ${typeName(member)} is not embedded in any container`);
  }
  if (e.field !== field || !(e.container instanceof type)) {
    throw new ContainerOfError(
      `container_of(${typeName(member)}, ${type.name}, ${field}): the ${typeName(member)} is ${typeName(e.container)}.${e.field}, not ${type.name}.${field}`,
    );
  }
  if ((e.container as Record<string, unknown>)[field] !== member) {
    throw new ContainerOfError(`container_of(${typeName(member)}, ${type.name}, ${field}): the ${typeName(member)} is no longer that container's ${field}`);
  }
  const h = utilTraceHooks.container_of;
  if (h !== null) h({ member, memberType: typeName(member), field, containerType: type.name, container: e.container });
  return e.container as InstanceType<C>;
}

/** Where `member` is embedded, without asserting a type (for tracing and the debugger's state tree). */
export function containerOfDescribe(member: object): { container: object; containerType: string; field: string; memberType: string } | undefined {
  const e = embeddings.get(member);
  if (e === undefined) return undefined;
  return { container: e.container, containerType: typeName(e.container), field: e.field, memberType: typeName(member) };
}
