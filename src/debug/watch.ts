/**
 * Watchpoints on emulator state: `watch PATH`, `rwatch PATH`, `awatch PATH` (gdb's semantics on a
 * field of a live object instead of a memory address).
 *
 * - The whole chain is watched, as gdb watches every lvalue of `a->b->c`: each member read on the
 *   way (hd0 → root → bs → file → bs → opaque) is tapped (taps.ts); when one changes, the path is
 *   resolved again, the taps follow the new objects, and a write watchpoint reports if the value
 *   changed. The final field itself is tapped for writes (watch, awatch) and reads (rwatch, awatch).
 * - A path that does not resolve yet is pending (the drive is created by `run`): the members read
 *   before it broke are tapped, node opens are followed (lifecycle.ts), and the console re-tries
 *   at every stop and command. It arms when the object appears; the appearance itself is a change
 *   ("Old value = <unreadable>").
 * - Reports are gdb's: "Hardware watchpoint N: EXPR", a blank line, "Old value = ..." /
 *   "New value = ..." (writes) or "Value = ..." (reads), then the frame that wrote or read.
 * - Zero cost when none is set: nothing is tapped without a watchpoint; deleting or disabling the
 *   last one restores every plain field.
 *
 * Contract: emulator thread. A hit calls Stopper.stop synchronously inside the setter/getter of the
 * field, so the emulator stops exactly after the write (before anything else runs) or before the
 * read returns.
 */
import { captureFrames } from './frames';
import { Point, type Points, type PointType } from './points';
import { tap, untap, untappable, type TapListener } from './taps';
import type { Step, StateTree } from './tree';
import { formatValue } from './values';
import type { Stopper } from './stop';
import type { Value } from './expr';

export type WatchMode = 'watch' | 'rwatch' | 'awatch';

const TITLES: Record<WatchMode, string> = {
  watch: 'Hardware watchpoint',
  rwatch: 'Hardware read watchpoint',
  awatch: 'Hardware access (read/write) watchpoint',
};

const TYPES: Record<WatchMode, PointType> = { watch: 'hw watchpoint', rwatch: 'read watchpoint', awatch: 'acc watchpoint' };

type Known = { known: true; value: unknown } | { known: false };

export class WatchError extends Error {}

function show(k: Known): string {
  return k.known ? formatValue(k.value, {}, 1) : '<unreadable>';
}

export class Watchpoint extends Point {
  readonly type: PointType;
  /** The tapped chain: member reads before the final field. */
  private links: Step[] = [];
  private final: Step | null = null;
  private current: Known = { known: false };
  private pendingReason: string | null = null;
  private readonly linkListener: TapListener = { write: () => this.chainChanged() };
  private readonly finalListener: TapListener;

  constructor(
    readonly mode: WatchMode,
    readonly expr: string,
    private readonly tree: StateTree,
    private readonly points: Points,
    private readonly stopper: Stopper,
    private readonly lookup: (name: string) => Value,
  ) {
    super();
    this.type = TYPES[mode];
    this.finalListener = {};
    if (mode !== 'rwatch') this.finalListener.write = (o, n) => this.written(o, n);
    if (mode !== 'watch') this.finalListener.read = (v) => this.read(v);
  }

  /** gdb's line when the watchpoint is set. */
  title(): string {
    return `${TITLES[this.mode]} ${this.num}: ${this.expr}`;
  }

  what(): string {
    return this.expr;
  }

  address(): string {
    return this.pendingReason !== null ? '<PENDING>' : '';
  }

  get pending(): string | null {
    return this.pendingReason;
  }

  /** Resolve once to reject paths that can never work (syntax, non-watchable final field). */
  static validate(tree: StateTree, mode: WatchMode, expr: string): void {
    const r = tree.resolve(expr);
    if (!r.ok) {
      if (!r.pending) throw new WatchError(r.error);
      return;
    }
    const last = r.steps[r.steps.length - 1];
    if (mode !== 'watch' && (!r.direct || last === undefined)) throw new WatchError('Expression cannot be implemented with read/access watchpoint.');
    if (r.direct && last !== undefined) {
      const why = untappable(last.holder, last.key);
      if (why !== null) throw new WatchError(`Cannot watch ${expr}: ${why}.`);
    } else if (r.steps.length === 0) throw new WatchError('Cannot watch constant value `' + expr + "'.");
  }

  arm(): void {
    this.attach();
  }

  disarm(): void {
    this.detach();
    this.current = { known: false };
  }

  /**
   * Re-try a pending watchpoint, or follow a chain whose computed links may have moved. Silent: a
   * change found by polling has no frame that made it (taps report the changes they see).
   */
  refresh(): void {
    if (!this.enabled) return;
    this.attach();
  }

  private detach(): void {
    for (const s of this.links) untap(s.holder, s.key, this.linkListener);
    if (this.final !== null) untap(this.final.holder, this.final.key, this.finalListener);
    this.links = [];
    this.final = null;
  }

  /** Resolve and tap; returns the value now. */
  private attach(): Known {
    this.detach();
    const r = this.tree.resolve(this.expr);
    const steps = r.ok ? r.steps : r.steps ?? [];
    const direct = r.ok && r.direct && steps.length > 0;
    const links = direct ? steps.slice(0, -1) : steps;
    for (const s of links) {
      if (untappable(s.holder, s.key) !== null) continue;
      tap(s.holder, s.key, this.linkListener);
      this.links.push(s);
    }
    if (direct) {
      const last = steps[steps.length - 1];
      tap(last.holder, last.key, this.finalListener);
      this.final = last;
    }
    this.pendingReason = r.ok ? null : r.error;
    this.current = r.ok ? { known: true, value: r.value } : { known: false };
    return this.current;
  }

  private chainChanged(): void {
    const old = this.current;
    const now = this.attach();
    if (this.mode === 'rwatch') return;
    const same = old.known === now.known && (!old.known || Object.is(old.value, (now as { value: unknown }).value));
    if (!same) this.hit(`\n${this.title()}\n\nOld value = ${show(old)}\nNew value = ${show(now)}`);
  }

  private written(oldValue: unknown, newValue: unknown): void {
    const was = this.current;
    this.current = { known: true, value: newValue };
    if (this.mode === 'awatch') {
      this.hit(`\n${this.title()}\n\n${Object.is(oldValue, newValue) ? `Value = ${show(this.current)}` : `Old value = ${show(was.known ? was : { known: true, value: oldValue })}\nNew value = ${show(this.current)}`}`);
      return;
    }
    if (Object.is(oldValue, newValue)) return;
    this.hit(`\n${this.title()}\n\nOld value = ${show(was.known ? was : { known: true, value: oldValue })}\nNew value = ${show(this.current)}`);
  }

  private read(value: unknown): void {
    this.hit(`\n${this.title()}\n\nValue = ${show({ known: true, value })}`);
  }

  private hit(header: string): void {
    const c = this.points.check(this, this.lookup);
    if (!c.stop) return;
    const frames = captureFrames();
    this.stopper.stop({ header: c.condError !== undefined ? `${c.condError}\n${header}` : header, frames, point: this });
  }
}
