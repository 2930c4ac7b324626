/**
 * The event stream's filter: what the user types after `/`, or a category chosen with `c`.
 *
 *   virtio_blk_* syscall_*        names matching any glob (QEMU's -trace globs: `*`, `?`)
 *   @block @pool                  whole categories (categories.ts)
 *   -aio_poll_* -@mmio            exclusions, applied after the inclusions
 *   (empty)                       the default: everything except the noisy bookkeeping events
 * Terms are separated by spaces or commas. With only exclusions, everything else is shown.
 *
 * Contract: parseFilter never throws; an unknown `@category` is reported in `errors` and ignored.
 * `test(name)` is cached per name (a filter is immutable).
 */
import { globMatch } from '../../trace/control';
import { categoryOf, isCategory } from './categories';

interface Term {
  negate: boolean;
  category?: string;
  glob?: string;
}

/** What an empty filter hides: the backtrace bookkeeping, the per-round event-loop markers and every MMIO access (the UART's dominate; virtio_mmio_* events still show the device's). */
export const DEFAULT_FILTER_TEXT = '-@backtrace -aio_poll_* -main_loop_wait_* -memory_region_ops_*';

export class EventFilter {
  private readonly cache = new Map<string, boolean>();
  private constructor(
    readonly text: string,
    private readonly terms: Term[],
    readonly errors: string[],
  ) {}

  static parse(text: string): EventFilter {
    const source = text.trim() === '' ? DEFAULT_FILTER_TEXT : text.trim();
    const terms: Term[] = [];
    const errors: string[] = [];
    for (const raw of source.split(/[\s,]+/)) {
      if (raw === '' || raw === '-') continue;
      const negate = raw.startsWith('-');
      const body = negate ? raw.slice(1) : raw;
      if (body.startsWith('@')) {
        const cat = body.slice(1);
        if (!isCategory(cat)) errors.push(`unknown category @${cat}`);
        else terms.push({ negate, category: cat });
      } else terms.push({ negate, glob: body });
    }
    return new EventFilter(text.trim(), terms, errors);
  }

  /** A filter showing one category (the `c` key), or the default for undefined. */
  static category(cat: string | undefined): EventFilter {
    return EventFilter.parse(cat === undefined ? '' : `@${cat}`);
  }

  /** How the pane title shows it. */
  get label(): string {
    return this.text === '' ? 'default' : this.text;
  }

  test(name: string): boolean {
    let r = this.cache.get(name);
    if (r === undefined) {
      r = this.compute(name);
      this.cache.set(name, r);
    }
    return r;
  }

  private compute(name: string): boolean {
    const match = (t: Term) => (t.category !== undefined ? categoryOf(name) === t.category : globMatch(t.glob!, name));
    const includes = this.terms.filter((t) => !t.negate);
    if (includes.length > 0 && !includes.some(match)) return false;
    return !this.terms.some((t) => t.negate && match(t));
  }
}
