/**
 * The breakpoint table: watchpoints, catchpoints and tracepoint breakpoints share gdb's one
 * numbering, and `delete`, `disable`, `enable`, `ignore`, `condition`, `commands` and
 * `info breakpoints` / `info watchpoints` work on all of them.
 *
 * gdb's order at a hit (breakpoint.c bpstat_check_breakpoint_conditions): a disabled point does
 * nothing; the condition is evaluated (an error in it stops, with "Error in testing condition");
 * a false condition does nothing; then the hit count goes up, and while the ignore count is > 0 it
 * is decremented instead of stopping. A temporary point (tbreak) is deleted when it stops.
 *
 * Contract: emulator thread. Subclasses arm/disarm their mechanism (property taps, trace sinks,
 * the syscall catcher); `arm` is called while enabled and `disarm` when disabled or deleted.
 */
import { evalExpr, parseExpr, truthy, type Expr, type Value } from './expr';

export type PointType = 'hw watchpoint' | 'read watchpoint' | 'acc watchpoint' | 'catchpoint' | 'breakpoint';

export abstract class Point {
  num = 0;
  enabled = true;
  hits = 0;
  ignore = 0;
  cond: { text: string; expr: Expr } | null = null;
  commands: string[] = [];
  temporary = false;

  abstract readonly type: PointType;
  /** The "What" column of info breakpoints. */
  abstract what(): string;
  /** The "Address" column (<PENDING> for a watchpoint whose object does not exist yet). */
  address(): string {
    return '';
  }
  abstract arm(): void;
  abstract disarm(): void;
  /** Extra lines for info breakpoints (after the hit count). */
  details(): string[] {
    return [];
  }
  /** The condition changed (a point evaluated elsewhere republishes it). */
  changed(): void {}
}

export type CheckResult = { stop: false } | { stop: true; condError?: string };

export class Points {
  private readonly list: Point[] = [];
  private next = 1;

  add(p: Point): Point {
    p.num = this.next++;
    this.list.push(p);
    if (p.enabled) p.arm();
    return p;
  }

  all(): readonly Point[] {
    return this.list;
  }

  get(num: number): Point | undefined {
    return this.list.find((p) => p.num === num);
  }

  delete(p: Point): void {
    const i = this.list.indexOf(p);
    if (i < 0) return;
    this.list.splice(i, 1);
    if (p.enabled) p.disarm();
  }

  setEnabled(p: Point, on: boolean): void {
    if (p.enabled === on) return;
    p.enabled = on;
    if (on) p.arm();
    else p.disarm();
  }

  /**
   * gdb's decision at a hit. `lookup` resolves the condition's names (the hit's locals first).
   * Increments the hit count and consumes the ignore count. `condDone`: the condition was already
   * found true elsewhere (a pool worker evaluated it); `condError`: evaluating it there failed.
   */
  check(p: Point, lookup: (name: string) => Value, opts: { condDone?: boolean; condError?: string } = {}): CheckResult {
    if (!p.enabled) return { stop: false };
    let condError: string | undefined = opts.condError;
    if (p.cond !== null && !opts.condDone && condError === undefined) {
      try {
        if (!truthy(evalExpr(p.cond.expr, lookup))) return { stop: false };
      } catch (e) {
        condError = `Error in testing condition for breakpoint ${p.num}:\n${e instanceof Error ? e.message : String(e)}`;
      }
    }
    p.hits++;
    if (condError === undefined && p.ignore > 0) {
      p.ignore--;
      return { stop: false };
    }
    return { stop: true, condError };
  }

  /** `condition N [EXPR]`: parse now so a syntax error is reported at once. */
  setCondition(p: Point, text: string | null): void {
    p.cond = text === null || text.trim() === '' ? null : { text: text.trim(), expr: parseExpr(text.trim()) };
    p.changed();
  }

  /** info breakpoints / info watchpoints (gdb's table). */
  table(filter?: (p: Point) => boolean): string {
    const rows = this.list.filter(filter ?? (() => true));
    if (rows.length === 0) return '';
    let out = 'Num     Type            Disp Enb Address            What\n';
    for (const p of rows) {
      out += `${String(p.num).padEnd(8)}${p.type.padEnd(16)}${(p.temporary ? 'del' : 'keep').padEnd(5)}${(p.enabled ? 'y' : 'n').padEnd(4)}${p.address().padEnd(19)}${p.what()}\n`;
      for (const d of p.details()) out += `\t${d}\n`;
      if (p.cond !== null) out += `\tstop only if ${p.cond.text}\n`;
      if (p.hits > 0) out += `\t${p.type === 'catchpoint' ? 'catchpoint' : 'breakpoint'} already hit ${p.hits} time${p.hits === 1 ? '' : 's'}\n`;
      if (p.ignore > 0) out += `\tWill ignore next ${p.ignore} crossings of breakpoint.\n`;
      for (const c of p.commands) out += `        ${c}\n`;
    }
    return out;
  }
}
