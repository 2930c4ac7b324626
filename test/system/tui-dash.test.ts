/**
 * `vtrace dash` in a real terminal (tmux): the charts of a real recording of the default guest,
 * and of a live run over its control socket (`vtrace run -S --control-socket` with the TUI in one
 * terminal, `vtrace dash SOCKET` in another; the TUI continues the machine, the dash sees the
 * samples, the machine's state and the end of the run). q quits with exit status 0.
 * Requires dist/ (npm test compiles first) and tmux.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';
import { haveTmux, Tmux } from '../tui/tmux';
import { recordDefaultGuest, type DefaultRecording } from '../tui/tui-helpers';

const sessions: Tmux[] = [];
let rec: DefaultRecording;
beforeAll(() => {
  rec = recordDefaultGuest();
}, 120_000);
afterAll(() => {
  sessions.forEach((s) => s.kill());
  fs.rmSync(rec.dir, { recursive: true, force: true });
});

function term(cols: number, rows: number): Tmux {
  const t = new Tmux(cols, rows, REPO);
  sessions.push(t);
  return t;
}

describe.skipIf(!haveTmux())('vtrace dash', () => {
  test('charts a recording of the default guest', { timeout: 60_000 }, async () => {
    const t = term(100, 30);
    await t.waitFor('tui-test$', 10_000);
    t.type(`${process.execPath} ${VTRACE} dash ${rec.vtr}; echo "EXIT=$?"`);
    t.keys('Enter');
    // One capture with everything (see tmux.ts): the labels, the summary, time axes in seconds and
    // histogram buckets by their lower bound in µs.
    const labels = ['IOPS', 'MB/s (read yellow, write red)', 'latency histogram (usecs, log2', 'queue depth (yellow), busy workers (red)', 'guest MIPS'];
    await t.waitFor([/recording complete: \d+ events/, ...labels, /samples \d+: 6 requests in [\d.]+ s/, /peak: IOPS \d+ +MB\/s [\d.]+ +qd 1 +busy 1/, /\d\.\d\ds/, /\b\d+K\b/], 30_000);
    t.keys('q');
    await t.waitFor(/EXIT=0\s*\ntui-test\$/, 10_000);
  });

  test('a bad recording or a dead socket: one line, exit status 1, the terminal untouched', { timeout: 30_000 }, async () => {
    const t = term(100, 10);
    await t.waitFor('tui-test$', 10_000);
    const bad = path.join(rec.dir, 'bad.vtr');
    fs.writeFileSync(bad, 'garbage');
    t.type(`${process.execPath} ${VTRACE} dash ${bad}; echo "EXIT=$?"`);
    t.keys('Enter');
    let s = await t.waitFor(/EXIT=1/, 10_000);
    expect(s).toMatch(/vtrace: dash: .*bad\.vtr: not a vtrace recording/);
    t.type(`${process.execPath} ${VTRACE} dash ${path.join(rec.dir, 'nothing.sock')}; echo "EXIT=$?"`);
    t.keys('Enter');
    s = await t.waitFor(/nothing\.sock: No such file or directory\nEXIT=1/, 10_000);
  });

  test('a live run over its control socket, driven from the TUI', { timeout: 180_000 }, async () => {
    const sock = path.join(rec.dir, 'run.sock');
    const run = term(120, 40);
    const dash = term(100, 30);
    await run.waitFor('tui-test$', 10_000);
    await dash.waitFor('tui-test$', 10_000);
    run.type(`${process.execPath} ${VTRACE} run -S --control-socket ${sock}; echo "EXIT=$?"`);
    run.keys('Enter');
    await run.waitFor('machine: stopped (stopped at start (-S))', 60_000);
    dash.type(`${process.execPath} ${VTRACE} dash ${sock}; echo "EXIT=$?"`);
    dash.keys('Enter');
    let s = await dash.waitFor('machine stopped (stopped at start (-S)) (live)', 30_000);
    expect(s).toMatch(/live run, pid \d+: vtrace run -S/);
    run.keys('c');
    await run.waitFor('machine: exited (powered off, status 0)', 120_000);
    await dash.waitFor(/machine exited \(powered off, status 0\)/, 30_000);
    s = await dash.waitFor(/samples \d+: 6 requests/, 10_000);
    expect(s).toMatch(/peak: IOPS \d+ +MB\/s [\d.]+ +qd 1 +busy 1/);
    run.keys('q');
    await run.waitFor(/EXIT=0\s*\ntui-test\$/, 30_000);
    s = await dash.waitFor('run ended', 30_000);
    expect(fs.existsSync(sock)).toBe(false);
    dash.keys('q');
    await dash.waitFor(/EXIT=0\s*\ntui-test\$/, 10_000);
  });
});
