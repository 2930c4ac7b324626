/**
 * End to end in a real terminal (tmux): `vtrace run` on the embedded default guest opens the TUI;
 * the screen shows the console, I/O-path events and the vCPU/worker threads; keys step one event
 * while stopped (-S), continue, filter and select an event, show and scroll its stitched
 * backtrace, run a debug console command, follow a resize; `q` quits with exit status 0 and the
 * terminal restored (the shell's screen and prompt back, the tty out of raw mode).
 * Requires dist/ (npm test compiles first) and tmux (scripts/host-deps.sh).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';
import { haveTmux, Tmux } from '../tui/tmux';

const sessions: Tmux[] = [];
afterAll(() => sessions.forEach((s) => s.kill()));

describe.skipIf(!haveTmux())('vtrace run with the live TUI', () => {
  test('default guest: stop, step, continue, select, backtrace, console, resize, q', { timeout: 180_000 }, async () => {
    const t = new Tmux(120, 40, REPO);
    sessions.push(t);
    await t.waitFor('tui-test$', 10_000);
    t.type('echo BEFORE-THE-TUI; stty -a | grep -o -- "-\\?icanon"');
    t.keys('Enter');
    const before = await t.waitFor(/^icanon$/m, 10_000);
    expect(before).toContain('BEFORE-THE-TUI');

    t.type(`${process.execPath} ${VTRACE} run -S; echo "EXIT=$?"`);
    t.keys('Enter');
    let s = await t.waitFor(['machine: stopped (stopped at start (-S))', 'guest console'], 60_000);
    expect(s).not.toContain('BEFORE-THE-TUI'); // the alternate screen

    // A debug console command while stopped.
    t.type(':info registers');
    t.keys('Enter');
    s = await t.waitFor([/pc +0000000080200000/, 'debug console: info registers'], 10_000);

    // Step one event (the console's next-event): the first tracepoint after the start.
    t.keys('n');
    s = await t.waitFor(/vcpu_run_begin cpu 0 pc 0x80200000/, 30_000);

    t.keys('c');
    await t.waitFor('machine: exited (powered off, status 0)', 120_000);
    // The console's last line; threads: the vCPU and the pool worker that did the guest's I/O; the
    // pipeline. (One capture with all of them: the status line alone once matched a half-drawn
    // frame in CI, see tmux.ts.)
    s = await t.waitFor(['machine: exited (powered off, status 0)', 'vtrace default guest: all 9 checks passed', /vcpu0 +idle/, /worker-\d+ +idle +6 jobs/, /in flight 0 +done 6/], 10_000);
    // I/O-path events in the stream.
    t.type('/virtio_blk_* virtqueue_pop');
    t.keys('Enter');
    s = await t.waitFor('events [virtio_blk_* virtqueue_pop]', 10_000);
    expect(s).toMatch(/virtio_blk_req_complete vdev 0x10000001/);
    expect(s).toMatch(/virtio_blk_handle_read vdev 0x10000001/);
    expect(s).toMatch(/virtqueue_pop vq 0x11000001 elem 0x1200000\d/);

    // Select the last syscall (the guest's read of the last sector: pread64 on the worker).
    t.type('/syscall_exit');
    t.keys('Enter');
    await t.waitFor('events [syscall_exit]', 10_000);
    t.keys('Up', 'Down', 'Enter');
    s = await t.waitFor(/backtrace of syscall_exit: pread64 on worker-\d+/, 10_000);
    expect(s).toMatch(/#0 +pread64 \(fd=\d+, buf=0x[0-9a-f]+, count=512, offset=1048064\)/);
    expect(s).toMatch(/events \[syscall_exit\] paused \d+ shown/);
    // Scroll the backtrace (focus it with Tab) down to the thread-pool and ioeventfd boundaries.
    t.keys('Tab', 'Tab', 'Down', 'Down', 'G');
    s = await t.waitFor('guest: hart 0 (S-mode) store at pc 0x', 10_000);
    expect(s).toMatch(/#\d+ +cpu_exec \(\.\.\.\) at src\/target\/riscv\/exec\.ts:\d+/);
    t.keys('PageUp');
    s = await t.waitFor(/--- ioeventfd: vcpu0 on emulator thread/, 10_000);

    // Once the machine is gone, the console says so.
    t.type(':info threads');
    t.keys('Enter');
    s = await t.waitFor(['the machine has exited', 'debug console: info threads'], 10_000);

    // Follows a resize: 80×24 is one column.
    t.resize(80, 24);
    s = await t.waitFor(/^╭─ guest console[^╮]*╮$/m, 10_000);
    expect(s.split('\n').every((l) => [...l].length <= 80)).toBe(true);

    t.keys('q');
    s = await t.waitFor(/EXIT=0\s*\ntui-test\$/, 30_000);
    expect(s).toContain('BEFORE-THE-TUI');
    expect(s).not.toContain('╭─');
    t.type('stty -a | grep -o -- "-\\?icanon"; tput cnorm >/dev/null; echo DONE');
    t.keys('Enter');
    s = await t.waitFor(/^DONE$/m, 10_000);
    expect(s).toMatch(/^icanon$/m);
    expect(s).not.toMatch(/^-icanon$/m);
  });
});
