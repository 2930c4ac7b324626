/**
 * Property taps (src/debug/taps.ts): a watched field becomes an accessor only while watched, and
 * is a plain data property again afterwards — zero cost when no watchpoint is set.
 */
import { describe, expect, test } from 'vitest';
import { isTapped, quietly, tap, TapError, untap, untappable } from '../../src/debug/taps';

class RawState {
  fd = 12;
  get computed(): number {
    return this.fd + 1;
  }
}

describe('taps', () => {
  test('writes are seen after the store, reads before they return; the last untap restores a data property', () => {
    const s = new RawState();
    const before = Object.getOwnPropertyDescriptor(s, 'fd');
    const events: string[] = [];
    const l = { write: (o: unknown, n: unknown) => events.push(`w ${String(o)}->${String(n)} now=${s.fd}`), read: (v: unknown) => events.push(`r ${String(v)}`) };
    tap(s, 'fd', l);
    expect(isTapped(s, 'fd')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(s, 'fd')!.get).toBeTypeOf('function');
    s.fd = 13;
    expect(events).toEqual(['r 13', 'w 12->13 now=13']); // the listener's own read of s.fd (a read, reported first)
    events.length = 0;
    expect(quietly(() => s.fd)).toBe(13);
    expect(events).toEqual([]);
    untap(s, 'fd', l);
    expect(isTapped(s, 'fd')).toBe(false);
    const after = Object.getOwnPropertyDescriptor(s, 'fd')!;
    expect(after).toEqual({ ...before, value: 13 });
    s.fd = 14;
    expect(events).toEqual([]);
    expect(Object.keys(s)).toEqual(['fd']);
  });

  test('several listeners share one accessor; it stays until the last goes', () => {
    const s = { fd: 1 };
    const seen: number[] = [];
    const a = { write: () => seen.push(1) };
    const b = { write: () => seen.push(2) };
    tap(s, 'fd', a);
    tap(s, 'fd', b);
    s.fd = 2;
    untap(s, 'fd', a);
    s.fd = 3;
    expect(seen).toEqual([1, 2, 2]);
    expect(isTapped(s, 'fd')).toBe(true);
    untap(s, 'fd', b);
    expect(Object.getOwnPropertyDescriptor(s, 'fd')).toEqual({ value: 3, writable: true, enumerable: true, configurable: true });
  });

  test('what cannot be tapped says why, and a throwing listener is dropped without disturbing the writer', () => {
    expect(untappable(new RawState(), 'computed')).toMatch(/computed or inherited/);
    expect(untappable(Object.freeze({ fd: 1 }), 'fd')).toMatch(/frozen/);
    expect(() => tap({}, 'nope', {})).toThrow(TapError);
    const s = { fd: 1 };
    const bad = {
      write: () => {
        throw new Error('boom');
      },
    };
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarn);
    tap(s, 'fd', bad);
    s.fd = 2;
    expect(s.fd).toBe(2);
    s.fd = 3; // the listener is gone
    untap(s, 'fd', bad);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', onWarn);
        expect(warnings.filter((w) => w.includes('boom'))).toHaveLength(1);
        resolve();
      }),
    );
  });
});
