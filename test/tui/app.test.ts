/**
 * The Ink components at fixed widths (80 and 120 columns), rendered with ink-testing-library from
 * a model fed a real recording of the default guest; keys go through the real Controller (no
 * machine: the VM keys answer that this is a recording).
 */
import * as fs from 'node:fs';
import * as React from 'react';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { loadInk } from '../../src/tui/ink';
import { App } from '../../src/tui/ui/app';
import { Controller } from '../../src/tui/controller';
import type { TuiModel } from '../../src/tui/model/tui-model';
import { KEYS, modelFrom, recordDefaultGuest, stripAnsi, type DefaultRecording } from './tui-helpers';

let rec: DefaultRecording;
beforeAll(async () => {
  await loadInk();
  rec = recordDefaultGuest();
}, 120_000);
afterAll(() => {
  cleanup();
  fs.rmSync(rec.dir, { recursive: true, force: true });
});

function mount(m: TuiModel, cols: number, rows: number) {
  let frame = 0;
  const el = () => React.createElement(App, { model: m, cols, rows, frame: frame++ });
  const r = render(el());
  let quit = false;
  const c = new Controller(m, null, () => (quit = true));
  return {
    screen: () => stripAnsi(r.lastFrame() ?? ''),
    keys(...ks: string[]) {
      for (const k of ks) c.input(k);
      r.rerender(el());
    },
    quit: () => quit,
  };
}

describe.each([
  [80, 24],
  [120, 40],
])('at %i×%i', (cols, rows) => {
  test('every line fits the width and the frame leaves the last row free', () => {
    const ui = mount(modelFrom(rec), cols, rows);
    const lines = ui.screen().split('\n');
    expect(lines.length).toBe(rows - 1);
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(cols);
    expect(lines.some((l) => [...l].length === cols)).toBe(true);
  });

  test('shows the guest console, I/O-path events, the pipeline, threads and stats', () => {
    const ui = mount(modelFrom(rec), cols, rows);
    const s = ui.screen();
    expect(s).toContain('machine: exited (powered off, status 0)');
    expect(s).toContain('guest console');
    expect(s).toContain('all 9 checks passed');
    expect(s).toMatch(/events \[default\] following, \d+ total/);
    // Threads: the vCPU, the main loop on the emulator thread, the pool worker that did the I/O.
    expect(s).toMatch(/vcpu0 +idle/);
    expect(s).toContain('main-loop');
    expect(s).toMatch(/worker-\d+ +idle +6 jobs/);
    expect(s).toMatch(/coroutines 0/);
    // The pipeline's finished requests: the two writes, the flush, the three reads.
    expect(s).toMatch(/#\d +read +2048\+1 +━+● irq/);
    expect(s).toContain('done 6');
    expect(s).toMatch(/IOPS/);
    expect(s).toMatch(/latency p50 [\d.]+m?s p90/);
  });

  test('filter, select a syscall, and its backtrace is stitched down to the vCPU', () => {
    const m = modelFrom(rec);
    const ui = mount(m, cols, rows);
    ui.keys('/', 'syscall_exit', KEYS.enter);
    expect(ui.screen()).toContain('events [syscall_exit]');
    // Select the last syscall: the guest's read past the end (pread64 on the worker).
    ui.keys(KEYS.up, KEYS.down, KEYS.enter);
    const s = ui.screen();
    expect(s).toMatch(/paused \d+ shown/);
    expect(m.stream.selected()?.ev.name).toBe('syscall_exit');
    expect(s).toMatch(/backtrace of syscall_exit: pread64 on worker-\d+/);
    const bt = m.backtrace!.result;
    expect('lines' in bt).toBe(true);
    const text = 'lines' in bt ? bt.lines.join('\n') : '';
    expect(text).toMatch(/#0 +pread64 \(fd=\d+/);
    const order = ['handle_aiocb_rw', 'thread-pool submission', 'thread_pool_submit_aio', 'raw_co_prw', 'blk_aio_read_entry', 'coroutine', 'blk_aio_prwv', 'virtio_blk_handle_vq', 'aio_dispatch_handler', 'ioeventfd', 'virtio_mmio_write', 'guest: hart 0'];
    let at = -1;
    for (const f of order) {
      const i = text.indexOf(f, at + 1);
      expect(i, `${f} after position ${at} in\n${text}`).toBeGreaterThan(at);
      at = i;
    }
  });

  test('a category filter, pane toggles, help, and the VM keys of a recording', () => {
    const m = modelFrom(rec);
    const ui = mount(m, cols, rows);
    ui.keys('f');
    expect(ui.screen()).toContain('events [@vcpu]');
    ui.keys('1');
    expect(ui.screen()).not.toContain('guest console');
    ui.keys('1', '?');
    expect(ui.screen()).toContain('vtrace live TUI — keys');
    ui.keys('x', 'p');
    expect(ui.screen()).toContain('no machine: this is a recording');
    ui.keys('q');
    expect(ui.quit()).toBe(true);
  });

  test('garbage input never throws and leaves the frame intact', () => {
    const m = modelFrom(rec);
    const ui = mount(m, cols, rows);
    ui.keys('\x1b[999;999~', '\x00\x1b\x1b[', '\udc00', '/', '\x1b[A\x7f\x7f\x7f@nosuch', KEYS.enter);
    const s = ui.screen();
    expect(s).toContain('unknown category @nosuch');
    expect(s.split('\n').length).toBe(rows - 1);
  });
});

test('follows a resize: the same model at 120 then 80 columns switches from two columns to one', () => {
  const m = modelFrom(rec);
  const wide = mount(m, 120, 40).screen().split('\n');
  const narrow = mount(m, 80, 24).screen().split('\n');
  // Two columns: the console's and the pipeline's frames share the first pane row.
  expect(wide[1]).toMatch(/╭─ guest console.*╮╭─ request pipeline/);
  expect(narrow[1]).toMatch(/^╭─ guest console.*╮$/);
});
