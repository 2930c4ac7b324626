/**
 * When the TUI draws: never per event, and within a CPU budget. A frame is drawn when the model
 * changed, no sooner than MIN_INTERVAL_MS after the previous one, and — measuring what the last
 * frames cost (React's update plus Ink's output, from Ink's onRender metrics) — no more often than
 * keeps drawing under BUDGET of one core; at most MAX_INTERVAL_MS apart while things change.
 * A key press draws at once (responsiveness beats the budget for a single frame).
 *
 * Contract: main thread; start()/stop(); `onInkRender` is given to Ink's `onRender` option.
 */
import { performance } from 'node:perf_hooks';

export const BUDGET = 0.08;
export const MIN_INTERVAL_MS = 200;
export const MAX_INTERVAL_MS = 2000;

export class RenderLoop {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  /** Smoothed cost of a frame, ms. */
  costMs = 0;
  private inkMs = 0;
  frames = 0;

  constructor(
    private readonly dirty: () => boolean,
    private readonly draw: () => void,
  ) {}

  /** Ink's onRender metrics (its output pass, which Ink runs after React's update). */
  onInkRender = (m: { renderTime: number }): void => {
    this.inkMs += m.renderTime;
  };

  /** The interval the budget allows for frames costing `costMs`. */
  static interval(costMs: number): number {
    return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, costMs / BUDGET));
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(tick, 50);
      if (performance.now() - this.last >= RenderLoop.interval(this.costMs)) this.frame(false);
    };
    this.timer = setTimeout(tick, 50);
  }

  /** Draw now if anything changed (`force`: a key, draw even if the budget says wait). */
  frame(force: boolean): void {
    const changed = this.dirty();
    if (!changed && !force) return;
    const t0 = performance.now();
    this.inkMs = 0;
    this.draw();
    const cost = performance.now() - t0 + this.inkMs;
    this.costMs = this.frames === 0 ? cost : this.costMs * 0.7 + cost * 0.3;
    this.frames++;
    this.last = performance.now();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
