/**
 * Tracepoints: a disabled one costs a branch and evaluates no argument; enabling follows QEMU's
 * -trace glob semantics in order; events carry time, thread and correlation ids.
 */
import { afterEach, describe, expect, test } from 'vitest';
import * as t from '../../src/trace/generated/tracepoints';
import { addTraceSink, type TraceEvent } from '../../src/trace/tracepoint';
import { applyTraceSpecs, disableAllTracepoints, globMatch, parseEventsFile, traceHelpText } from '../../src/trace/control';
import { virtioBlkTraceHooks } from '../../src/hw/block/trace-hooks';
import { installVirtioHooks } from '../../src/trace/attach-virtio';

afterEach(() => disableAllTracepoints());

describe('disabled tracepoints', () => {
  test('do not evaluate their arguments at the call site', () => {
    let evaluated = 0;
    const req = {
      get id(): number {
        evaluated++;
        throw new Error('argument evaluated while the tracepoint is off');
      },
    };
    const events: TraceEvent[] = [];
    const remove = addTraceSink((ev) => events.push(ev));
    for (let i = 0; i < 3; i++) if (t.virtio_blk_rw_complete.on) t.virtio_blk_rw_complete.emit(1, req.id, 0);
    expect(evaluated).toBe(0);
    applyTraceSpecs([{ pattern: 'virtio_blk_rw_complete', enable: true }]);
    expect(() => {
      if (t.virtio_blk_rw_complete.on) t.virtio_blk_rw_complete.emit(1, req.id, 0);
    }).toThrow(/evaluated/);
    remove();
  });

  test('leave the subsystem hooks null (one null check at the call site)', () => {
    applyTraceSpecs([{ pattern: 'virtio_blk_handle_*', enable: true }]);
    installVirtioHooks();
    expect(virtioBlkTraceHooks.virtio_blk_handle_read).not.toBeNull();
    expect(virtioBlkTraceHooks.virtio_blk_rw_complete).toBeNull();
    disableAllTracepoints();
    installVirtioHooks();
    expect(virtioBlkTraceHooks.virtio_blk_handle_read).toBeNull();
  });
});

describe('-trace patterns', () => {
  test('globs are g_pattern_match_simple: * and ? only', () => {
    expect(globMatch('virtio_blk_*', 'virtio_blk_rw_complete')).toBe(true);
    expect(globMatch('virtio_blk_*', 'virtio_queue_notify')).toBe(false);
    expect(globMatch('virtio_?otify', 'virtio_notify')).toBe(true);
    expect(globMatch('blk.co', 'blk_co')).toBe(false);
    expect(globMatch('*', 'anything')).toBe(true);
  });

  test('specs apply in order; - disables; unmatched patterns are reported', () => {
    const unmatched = applyTraceSpecs([
      { pattern: 'virtio_*', enable: true },
      { pattern: 'virtio_mmio_*', enable: false },
      { pattern: 'no_such_event_*', enable: true },
    ]);
    expect(unmatched).toEqual(['no_such_event_*']);
    expect(t.virtio_notify.on).toBe(true);
    expect(t.virtio_blk_rw_complete.on).toBe(true);
    expect(t.virtio_mmio_read.on).toBe(false);
    expect(t.virtqueue_pop.on).toBe(false);
  });

  test('events files: one pattern per line, - disables, # comments, blanks skipped', () => {
    expect(parseEventsFile('# comment\nvirtio_blk_*\n\n  -virtio_blk_submit_multireq  \nthread_pool_submit\n')).toEqual([
      { pattern: 'virtio_blk_*', enable: true },
      { pattern: 'virtio_blk_submit_multireq', enable: false },
      { pattern: 'thread_pool_submit', enable: true },
    ]);
  });

  test('-trace help lists every event, one per line', () => {
    const lines = traceHelpText().trimEnd().split('\n');
    expect(lines).toContain('virtio_blk_rw_complete');
    expect(lines).toContain('qemu_coroutine_yield');
    expect(lines.length).toBe(t.allTracepoints.length);
  });
});

describe('events', () => {
  test('carry name, monotonic ns, thread, tid, args and correlation ids', () => {
    const events: TraceEvent[] = [];
    const remove = addTraceSink((ev) => events.push(ev));
    applyTraceSpecs([{ pattern: 'thread_pool_submit', enable: true }]);
    const before = process.hrtime.bigint();
    t.thread_pool_submit.emitCorr({ job: 7 }, 1, 2, 3);
    remove();
    expect(events).toHaveLength(1);
    const ev = events[0];
    expect(ev).toMatchObject({ name: 'thread_pool_submit', args: [1, 2, 3], corr: { job: 7 }, thread: 'main' });
    expect(ev.ns >= before).toBe(true);
    expect(ev.tid).toBeGreaterThan(0);
  });
});
