/**
 * Runs the console sessions of docs/walkthroughs/*.md and checks their output against what the
 * documents show.
 *
 * A session is a fenced block whose first line is `$ vtrace debug ARGS`; its `(vtrace) CMD` lines
 * are the commands, everything else is the expected output. A following block that starts with a
 * `(vtrace) ` line continues the same session (the document explains between its parts). The commands run with
 * `vtrace debug -batch ARGS -ex 'set trace-commands on' -x FILE`, which echoes each command as
 * `+CMD` (gdb's trace-commands), turned back into `(vtrace) CMD` for the comparison.
 *
 * Comparison, line by line, after normalizing what legitimately differs between runs and
 * machines: source line numbers (src/x.ts:N), block node names (#blockN), the scratch disk's
 * temporary folder, thread ids, worker names, timings (*_ns=), and fd numbers — fds are renamed
 * consistently in order of appearance (the first fd seen is F1, ...), so "New value = 24" followed
 * by "pread64 (fd=24, ...)" still has to name the same fd. Pointer-shaped ids of objects
 * (0xKKNNNNNN: KK the kind, src/trace/ptr.ts) keep only their kind: their numbers depend on the
 * order objects were first printed, elided lines included. A line `...` in the document matches any
 * number of lines (elided backtrace frames, guest output).
 *
 * Used by test/system/debug-walkthroughs.test.ts, and by hand to print a session's transcript:
 *   npx vite-node test/debug/print-walkthrough.ts docs/walkthroughs/01-openat-to-fd.md
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
const VTRACE = path.join(REPO, 'bin', 'vtrace');

export interface Session {
  /** 1-based line of the block in the document. */
  line: number;
  args: string[];
  commands: string[];
  /** The block's lines after the `$ vtrace debug` line (prompts included). */
  expected: string[];
}

/** Split an argument line as a POSIX shell would for plain words and '...'/"..." quotes. */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export function extractSessions(md: string): Session[] {
  const lines = md.split('\n');
  const out: Session[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```/.test(lines[i])) continue;
    const first = lines[i + 1] ?? '';
    let j = i + 1;
    while (j < lines.length && !/^```/.test(lines[j])) j++;
    const commandsOf = (body: string[]) => body.filter((l) => l.startsWith('(vtrace) ')).map((l) => l.slice('(vtrace) '.length));
    if (first.startsWith('$ vtrace debug')) {
      const body = lines.slice(i + 2, j);
      out.push({ line: i + 2, args: shellWords(first.slice('$ vtrace debug'.length)), commands: commandsOf(body), expected: body });
    } else if (first.startsWith('(vtrace) ') && out.length > 0) {
      // The session goes on (prose between its parts).
      const body = lines.slice(i + 1, j);
      const prev = out[out.length - 1];
      prev.commands.push(...commandsOf(body));
      prev.expected.push(...body);
    }
    i = j;
  }
  return out;
}

/** Run a session; resolves with its transcript (prompted commands and output). */
export function runSession(s: Session, timeoutMs = 120_000): Promise<{ transcript: string[]; code: number; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-walk-'));
  const file = path.join(dir, 'session.gdb');
  fs.writeFileSync(file, s.commands.join('\n') + '\n');
  const args = [VTRACE, 'debug', '-batch', ...s.args, '-ex', 'set trace-commands on', '-x', file];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`session at line ${s.line} did not finish in ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      const transcript = out
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => (l.startsWith('+') ? `(vtrace) ${l.slice(1)}` : l));
      resolve({ transcript, code: code ?? -1, stderr: err });
    });
  });
}

/** Normalize what differs between runs (see the header); fds renamed in order of appearance. */
export function normalize(lines: readonly string[]): string[] {
  const fds = new Map<string, string>();
  const fd = (n: string) => {
    if (!fds.has(n)) fds.set(n, `F${fds.size + 1}`);
    return fds.get(n)!;
  };
  return lines.map((l) =>
    l
      .replace(/\b0x([1-7][0-9a-f])[0-9a-f]{6}\b/g, '0x$1NNNNNN')
      .replace(/\b(src\/[\w/.-]+\.ts):\d+/g, '$1:N')
      .replace(/#block\d+/g, '#blockN')
      .replace(/vtrace-scratch-[A-Za-z0-9]+/g, 'vtrace-scratch-X')
      .replace(/Thread \d+ \(LWP \d+\)/g, 'Thread T (LWP T)')
      .replace(/\bworker-\d+/g, 'worker-N')
      .replace(/_ns=\d+/g, '_ns=N')
      .replace(/\bfd=(\d+)/g, (_m, n: string) => `fd=${fd(n)}`)
      .replace(/\baio_fildes = (\d+)/g, (_m, n: string) => `aio_fildes = ${fd(n)}`)
      .replace(/^((?:Old |New )?[Vv]alue = )(\d+)$/, (_m, p: string, n: string) => `${p}${fd(n)}`)
      .replace(/\s+$/, ''),
  );
}

/** Match expected (with `...` lines) against actual; returns null or a description of the first mismatch. */
export function matchTranscript(expected: readonly string[], actual: readonly string[]): string | null {
  const e = normalize(expected);
  const a = normalize(actual);
  const failed = new Map<string, string>();
  // The mismatch reported is the one that got furthest into the document.
  let deepest = { i: -1, msg: '' };
  const fail = (i: number, msg: string): string => {
    if (i > deepest.i) deepest = { i, msg };
    return msg;
  };
  const go = (i0: number, j0: number): string | null => {
    const key = `${i0},${j0}`;
    if (failed.has(key)) return failed.get(key)!;
    const r = walk(i0, j0);
    if (r !== null) failed.set(key, r);
    return r;
  };
  const walk = (i: number, j: number): string | null => {
    for (; i < e.length; i++, j++) {
      if (e[i] === '...') {
        if (i === e.length - 1) return null;
        for (let k = j; k <= a.length; k++) if (go(i + 1, k) === null) return null;
        return fail(i, `no output after line ${i + 1} (...) matches the document's line ${i + 2}: "${expected[i + 1]}"`);
      }
      if (j >= a.length) return fail(i, `expected line ${i + 1} "${expected[i]}", but the output ended`);
      if (e[i] !== a[j]) return fail(i, `line ${i + 1} of the session: expected\n  ${e[i]}\nbut got\n  ${a[j]}`);
    }
    return j === a.length ? null : fail(i, `unexpected output after the session's end: "${actual[j]}"`);
  };
  return go(0, 0) === null ? null : deepest.msg;
}
