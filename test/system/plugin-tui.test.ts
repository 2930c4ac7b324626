/**
 * Plugins in the live TUI, in a real terminal (tmux): `vtrace run -S --plugin biolatency --plugin
 * syscount` shows the plugins pane (key 7) with each plugin's pane, filled from the emulator
 * thread (the final state too, posted as the machine ends); a plugin's console command runs from
 * the `:` prompt; 7 hides and shows the pane; q quits with status 0 and the plugins' reports reach
 * stderr after the TUI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';
import { haveTmux, Tmux } from '../tui/tmux';

const sessions: Tmux[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-plugin-tui-'));
afterAll(() => {
  sessions.forEach((s) => s.kill());
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveTmux())('the plugins pane', () => {
  test('default guest at 120×40: panes of two plugins, a plugin command, toggle, quit', { timeout: 180_000 }, async () => {
    const t = new Tmux(120, 40, REPO);
    sessions.push(t);
    await t.waitFor('tui-test$', 10_000);
    const err = path.join(tmp, 'stderr.txt');
    t.type(`${process.execPath} ${VTRACE} run -S --plugin biolatency --plugin syscount 2>${err}; echo "EXIT=$?"; grep -c 'usecs  ' ${err}`);
    t.keys('Enter');
    let s = await t.waitFor(['machine: stopped (stopped at start (-S))', /─ plugins ─/], 60_000);
    s = await t.waitFor(['[biolatency] biolatency', 'no request completed yet'], 10_000); // fetched from the stopped machine
    // A plugin's console command: the drive was opened on the emulator thread before the start.
    t.type(':syscount');
    t.keys('Enter');
    // The pane's title comes first, the table with the next frame: wait for the row itself.
    s = await t.waitFor([/\d+ +emulator +openat +3/, 'debug console: syscount'], 10_000);
    t.keys('Escape');

    t.keys('c');
    s = await t.waitFor('machine: exited (powered off, status 0)', 120_000);
    // Room for the plugins: hide the console, events, pipeline, threads and stats panes. The
    // final state shows: the emulator thread posted it as it ended.
    t.keys('1', '2', '3', '5', '6');
    s = await t.waitFor(/\[syscount\] syscount[\s\S]*pwrite64 +2[\s\S]*preadv +1/, 10_000);
    expect(s).toMatch(/\[biolatency\] biolatency[^\n]*\n[^\n]*usecs +: count +distribution/);

    t.keys('7');
    await t.waitFor(/^(?![\s\S]*─ plugins ─)/, 10_000); // hidden
    t.keys('7');
    await t.waitFor('─ plugins ─', 10_000);

    t.keys('q');
    await t.waitFor(/EXIT=0\n1\n/, 30_000); // the biolatency report went to stderr
  });
});
