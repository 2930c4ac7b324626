/**
 * Shared by the TUI and dash tests: a real recording of the embedded default guest (made once per
 * test file with `vtrace run -nographic --trace-out`), its console transcript, and a TuiModel fed
 * from it through the live event source (the same path the TUI takes during a run).
 * Requires dist/ (npm test compiles first).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { VTRACE } from '../helpers/spawn-guest';
import { TuiModel } from '../../src/tui/model/tui-model';
import { EventSource } from '../../src/tui/live/event-source';

export interface DefaultRecording {
  dir: string;
  vtr: string;
  transcript: string;
}

/** Run the default guest, recording every event. */
export function recordDefaultGuest(extra: string[] = []): DefaultRecording {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-tui-test-'));
  const vtr = path.join(dir, 'default.vtr');
  const r = spawnSync(process.execPath, [VTRACE, 'run', '-nographic', '--trace-out', vtr, ...extra], { encoding: 'latin1', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`vtrace run failed (${r.status}): ${r.stderr}`);
  return { dir, vtr, transcript: r.stdout };
}

/** A model fed the whole recording and the transcript, as the TUI would have seen them at the end. */
export function modelFrom(rec: DefaultRecording): TuiModel {
  const m = new TuiModel();
  const src = new EventSource(rec.vtr, { addThread: (t) => m.addThread(t), ingestRaw: (e) => m.ingestRaw(e), ingest: (e) => m.ingest(e), lost: (n) => (m.lost = n) });
  src.poll(true);
  src.close();
  m.consoleOutput(Buffer.from(rec.transcript, 'latin1'));
  m.setVm({ kind: 'exited', how: 'powered off, status 0', code: 0 });
  return m;
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

export const KEYS = { up: '\x1b[A', down: '\x1b[B', enter: '\r', esc: '\x1b', tab: '\t' };
