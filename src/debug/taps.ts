/**
 * Property taps: how a watchpoint sees a field of a live object change (or be read) with no cost
 * when no watchpoint is set. While at least one listener wants (obj, key), the own data property
 * is replaced by an accessor pair that keeps the value in the tap and calls the listeners; when
 * the last listener goes, the plain data property is put back with the current value. Objects
 * nobody watches are never touched (DESIGN.md: "zero cost when none is set").
 *
 * Listener order and timing: `write(old, new)` runs after the store (gdb reports a write watchpoint
 * after the instruction that wrote); `read(value)` runs before the read returns. Listeners may block
 * the thread (a stop); they must not throw (a throwing listener is reported once and dropped).
 *
 * The debugger's own reads (print, conditions, path resolution) run inside `quietly()`, which
 * silences read listeners: inspecting a value never triggers an rwatch.
 *
 * Contract: one JS thread (the emulator thread). Only own, configurable data properties can be
 * tapped (class fields and record members are); `tap()` throws TapError otherwise.
 */

export class TapError extends Error {
  override name = 'TapError';
}

export interface TapListener {
  write?(oldValue: unknown, newValue: unknown): void;
  read?(value: unknown): void;
}

class Tap {
  readonly listeners = new Set<TapListener>();
  constructor(
    readonly obj: object,
    readonly key: PropertyKey,
    public value: unknown,
    readonly enumerable: boolean,
  ) {}
}

const taps = new WeakMap<object, Map<PropertyKey, Tap>>();
let quiet = 0;

/** Run `fn` with read listeners silenced (the debugger's own reads). */
export function quietly<T>(fn: () => T): T {
  quiet++;
  try {
    return fn();
  } finally {
    quiet--;
  }
}

export function isQuiet(): boolean {
  return quiet > 0;
}

function report(t: Tap, l: TapListener, e: unknown): void {
  t.listeners.delete(l);
  process.emitWarning(`vtrace debug: a watchpoint listener threw and was removed: ${e instanceof Error ? e.message : String(e)}`);
}

/** Why (obj, key) cannot be tapped, or null if it can. */
export function untappable(obj: object, key: PropertyKey): string | null {
  const existing = taps.get(obj)?.get(key);
  if (existing !== undefined) return null;
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d === undefined) return `${String(key)} is not a field of this object (computed or inherited)`;
  if (d.get !== undefined || d.set !== undefined) return `${String(key)} is a computed property`;
  if (!d.configurable) return `${String(key)} cannot be watched: the object is frozen`;
  if (!d.writable) return `${String(key)} is read-only`;
  return null;
}

/** Add a listener on obj[key]; installs the accessor on first use. Throws TapError. */
export function tap(obj: object, key: PropertyKey, l: TapListener): void {
  let byKey = taps.get(obj);
  let t = byKey?.get(key);
  if (t === undefined) {
    const why = untappable(obj, key);
    if (why !== null) throw new TapError(why);
    const d = Object.getOwnPropertyDescriptor(obj, key)!;
    const created = new Tap(obj, key, d.value, d.enumerable ?? true);
    t = created;
    Object.defineProperty(obj, key, {
      configurable: true,
      enumerable: created.enumerable,
      get(): unknown {
        const v = created.value;
        if (quiet === 0) {
          for (const x of [...created.listeners]) {
            if (x.read === undefined) continue;
            try {
              x.read(v);
            } catch (e) {
              report(created, x, e);
            }
          }
        }
        return created.value;
      },
      set(v: unknown): void {
        const old = created.value;
        created.value = v;
        for (const x of [...created.listeners]) {
          if (x.write === undefined) continue;
          try {
            x.write(old, v);
          } catch (e) {
            report(created, x, e);
          }
        }
      },
    });
    if (byKey === undefined) taps.set(obj, (byKey = new Map()));
    byKey.set(key, t);
  }
  t.listeners.add(l);
}

/** Remove a listener; the last one restores the plain data property. */
export function untap(obj: object, key: PropertyKey, l: TapListener): void {
  const byKey = taps.get(obj);
  const t = byKey?.get(key);
  if (t === undefined) return;
  t.listeners.delete(l);
  if (t.listeners.size > 0) return;
  Object.defineProperty(obj, key, { value: t.value, writable: true, configurable: true, enumerable: t.enumerable });
  byKey!.delete(key);
  if (byKey!.size === 0) taps.delete(obj);
}

/** Is (obj, key) currently tapped (tests, `info watchpoints`)? */
export function isTapped(obj: object, key: PropertyKey): boolean {
  return taps.get(obj)?.has(key) ?? false;
}
