/**
 * The live TUI on a Linux guest (the recipe's kernel and initramfs, cached by guest/linux/build.sh),
 * in a real terminal (tmux): it boots to the busybox shell under full tracing; `p` pauses the
 * running machine and `c` continues it; `i` types into the guest's UART (a command runs, its output
 * appears in the console pane); Ctrl-A then a key returns to the TUI's keys; `q` quits with exit
 * status 0 and the terminal restored. Skipped when the Linux guest is not built.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { linuxGuestDir, REPO, VTRACE } from '../helpers/spawn-guest';
import { haveTmux, Tmux } from '../tui/tmux';

const dir = linuxGuestDir();
const sessions: Tmux[] = [];
afterAll(() => sessions.forEach((s) => s.kill()));

describe.skipIf(!dir || !haveTmux())('the live TUI on Linux', () => {
  test('boot, pause, continue, type into the guest, quit', { timeout: 420_000 }, async () => {
    const t = new Tmux(120, 40, REPO);
    sessions.push(t);
    await t.waitFor('tui-test$', 10_000);
    t.type(`${process.execPath} ${VTRACE} run -M virt -m 256M -kernel ${path.join(dir!, 'Image')} -initrd ${path.join(dir!, 'initramfs.cpio.gz')} -append console=ttyS0; echo "EXIT=$?"`);
    t.keys('Enter');
    let s = await t.waitFor(['vtrace-guest: init reached', 'machine: running'], 300_000);
    await t.waitFor(/^│\/ # +│/m, 60_000);

    t.keys('p');
    s = await t.waitFor('machine: stopped (paused)', 30_000);
    t.keys('c');
    s = await t.waitFor('machine: running', 30_000);

    t.keys('i');
    await t.waitFor('TYPING TO GUEST', 10_000);
    t.type('echo tui-$((6*7))');
    t.keys('Enter');
    s = await t.waitFor(/^│tui-42 +│/m, 60_000);
    expect(s).toMatch(/vcpu0 +(idle|runnable|running)/);
    t.keys('C-a', 'q');
    await t.waitFor('back to vtrace keys', 10_000);

    t.keys('q');
    s = await t.waitFor(/EXIT=0\s*\ntui-test\$/, 60_000);
    expect(s).not.toContain('╭─');
  });
});
