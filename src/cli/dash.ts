/**
 * `vtrace dash (FILE.vtr | SOCKET) [--interval TIME]`: blessed-contrib charts of a run — a .vtr
 * recording (finished, or still being written: followed), or a live run's control socket
 * (`vtrace run --control-socket SOCKET`). A path that is a socket is a live run; anything else is
 * read as a recording.
 *
 * Errors (no such file, not a recording, nothing listening, no terminal) are one line on stderr
 * and exit status 1, before the screen is taken.
 */
import * as fs from 'node:fs';
import { CliError } from './qemu-options';
import { DashData } from '../dash/dash-data';
import { DashScreen } from '../dash/dash-screen';
import { RecordingFeed } from '../dash/recording-feed';
import { SocketFeed } from '../dash/socket-feed';
import { VtrError } from '../trace/vtr-reader';

export { DASH_HELP } from '../dash/dash-help';

/** `1.5`, `250ms`, `100us`, `1s` → ns. */
export function parseInterval(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(v.trim());
  if (m === null) throw new CliError(`dash: --interval ${v}: a time is expected (e.g. 100ms, 1s)`);
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? 's') as 'ns'];
  const ns = Number(m[1]) * unit;
  if (!(ns >= 1e5)) throw new CliError(`dash: --interval ${v}: at least 100us`);
  return ns;
}

export function parseDashArgs(argv: readonly string[]): { target: string; intervalNs?: number } {
  let target: string | undefined;
  let intervalNs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--interval' || a.startsWith('--interval=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new CliError('dash: --interval needs a time (e.g. 100ms)');
      intervalNs = parseInterval(v);
    } else if (a.startsWith('-') && a !== '-') throw new CliError(`dash: unknown option ${a}`);
    else if (target !== undefined) throw new CliError(`dash: one recording or socket at a time (got ${target} and ${a})`);
    else target = a;
  }
  if (target === undefined) throw new CliError('dash: give a recording (FILE.vtr) or a run\'s control socket');
  return { target, intervalNs };
}

export async function dashCommand(argv: string[]): Promise<number> {
  const { target, intervalNs } = parseDashArgs(argv);
  let isSocket = false;
  try {
    isSocket = fs.statSync(target).isSocket();
  } catch {
    throw new CliError(`dash: ${target}: No such file or directory`);
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) throw new CliError('dash: needs a terminal (stdin and stdout)');
  const data = new DashData();
  let close: () => void;
  if (isSocket) {
    const feed = new SocketFeed(target, data);
    await feed.connect();
    close = () => feed.close();
  } else {
    const feed = new RecordingFeed(target, data, intervalNs);
    try {
      feed.start();
    } catch (e) {
      if (e instanceof VtrError) throw new CliError(`dash: ${e.message}`);
      throw e;
    }
    close = () => feed.close();
  }
  const screen = new DashScreen(data);
  await screen.closed;
  close();
  return 0;
}
