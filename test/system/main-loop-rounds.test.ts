/**
 * The main loop between vCPU rounds (src/system/emulator-thread.ts, src/system/cpus.ts): QEMU's
 * main loop runs beside its vCPU threads; here it runs between rounds, so
 * - the bottom halves a handler schedules (the thread pool's kick that wakes a sleeping worker)
 *   run before the vCPUs go on, not a whole round later;
 * - while the main thread pool has requests in flight, rounds are short (RunHooks.slice), so a
 *   completion signalled by a worker is seen soon.
 * Checked on the default guest's trace: orders and instruction counts, not times.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { VTRACE } from '../helpers/spawn-guest';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-rounds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('main loop rounds', () => {
  test('the pool kick runs before the next vCPU round; rounds are short while requests are in flight', () => {
    const log = path.join(tmp, 't.log');
    const r = spawnSync(process.execPath, [VTRACE, 'run', '-trace', 'thread_pool_submit', '-trace', 'thread_pool_complete', '-trace', 'aio_bh_call', '-trace', 'vcpu_run_*', '-D', log], { encoding: 'utf8', timeout: 120_000, input: '' });
    expect(r.status, r.stderr).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    let kicks = 0;
    let inFlight = 0;
    let longRounds = 0;
    let roundsInFlight = 0;
    let sinceSubmit: string[] | null = null;
    for (const l of lines) {
      if (l.startsWith('thread_pool_submit ')) {
        inFlight++;
        sinceSubmit = [];
      } else if (l.startsWith('thread_pool_complete ')) inFlight--;
      else if (l.includes('name thread_pool_kick')) {
        kicks++;
        // Nothing of the vCPU between the submission and its kick.
        expect(sinceSubmit?.filter((x) => x.startsWith('vcpu_run_begin')) ?? []).toEqual([]);
        sinceSubmit = null;
      } else if (l.startsWith('vcpu_run_end ') && inFlight > 0) {
        roundsInFlight++;
        if (Number(/instructions (\d+)/.exec(l)![1]) > 10_000) longRounds++;
      }
      if (sinceSubmit !== null && l.startsWith('vcpu_run_begin')) sinceSubmit.push(l);
    }
    expect(kicks).toBeGreaterThan(0);
    expect(roundsInFlight).toBeGreaterThan(0);
    expect(longRounds).toBe(0);
  });
});
