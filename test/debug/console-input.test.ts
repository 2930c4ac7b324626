/**
 * The console never crashes on input (DESIGN.md §4 "bad input gets a clear error"): on a real
 * machine (the default guest's board and drive, not running), every line — valid commands, their
 * mutations, random bytes — is answered through the debug channel with output or a one-line
 * error, never an internal error, and the console keeps working afterwards.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseQemuArgs } from '../../src/cli/qemu-options';
import { addScratchDisk, resolveRunOptions } from '../../src/cli/run';
import { createMachine } from '../../src/system/machine-setup';
import { createDebugChannel, DebugServer, DebugRequestError, type DebugClient } from '../../src/system/debug-channel';
import { builtinCommands, ConsoleCommands } from '../../src/system/debug-commands';
import { qemu_init_main_loop } from '../../src/util/main-loop';
import { ByteRing } from '../../src/util/byte-ring';
import { DebugConsole } from '../../src/debug/console';
import type {} from '../../src/debug/requests';
import { requireFreshDist } from '../util/util-test-helpers';

let scratch: string | undefined;
let server: DebugServer;
let client: DebugClient;

beforeAll(() => {
  requireFreshDist();
  qemu_init_main_loop();
  const options = resolveRunOptions(parseQemuArgs([]));
  scratch = addScratchDisk(options);
  const m = createMachine(options, { write: () => {}, warn: () => {}, onShutdown: () => {}, input: new ByteRing(1024) });
  if (m === 'dtb-dumped') throw new Error('unexpected');
  const ch = createDebugChannel();
  client = ch.client;
  server = new DebugServer(ch.end);
  const cmds = new ConsoleCommands();
  builtinCommands(cmds, m);
  cmds.install(server);
  new DebugConsole(server, () => m, options, cmds, { debugMode: false });
});
afterAll(() => {
  if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
});

/** One request, answered by this thread's server (the emulator thread's role). */
async function exec(line: string, kind: 'console.exec' | 'console.complete' = 'console.exec'): Promise<{ ok: boolean; text: string }> {
  const p = kind === 'console.exec' ? client.request('console.exec', { line }) : client.request('console.complete', { line }).then((l) => l.join('\n'));
  await new Promise((r) => setTimeout(r, 0));
  server.service();
  try {
    return { ok: true, text: await p };
  } catch (e) {
    expect(e).toBeInstanceOf(DebugRequestError);
    return { ok: false, text: (e as Error).message };
  }
}

const VALID = [
  'print hd0.file.fd', 'p/x hd0.file.open_flags', 'ptype hd0', 'whatis hd0.dev', 'x/8xb 0x80000000', 'info qtree', 'info block', 'info blockstats',
  'info iothreads', 'info coroutines', 'info threads', 'info registers', 'info breakpoints', 'info program', 'watch hd0.file.fd', 'rwatch hd0.dev.vq[0].inuse if 1',
  'awatch machine.harts', 'catch syscall pread64 preadv if fd == 3', 'break virtio_notify if vq != 0', 'tbreak aio_bh_call', 'ignore 1 2', 'condition 2 fd > 1',
  'disable 1-2', 'enable', 'delete 3', 'commands 1\nsilent\nprint 1\nend', 'bt', 'frame 2', 'up', 'echo hi\\n', 'help', 'trace-event virtio_notify on', 'info trace-events virtio_*',
];

function mutate(s: string, rnd: () => number): string {
  const chars = '.[]()/$#"\'\\-><=!&|^~*%+ \t0x9azAZ_';
  const out = s.split('');
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (out.length + 1));
    const op = rnd();
    if (op < 0.4) out.splice(at, 0, chars[Math.floor(rnd() * chars.length)]);
    else if (op < 0.7) out.splice(at, 1);
    else out.splice(at, 0, ...s.slice(Math.floor(rnd() * s.length)).split('').slice(0, 5));
  }
  return out.join('');
}

describe('console input', () => {
  test('valid commands answer; run control is refused over console.exec', async () => {
    for (const l of VALID) {
      const r = await exec(l);
      expect(r.text, l).not.toMatch(/internal error/);
    }
    expect((await exec('print hd0.file.fd > 0')).text).toBe('$3 = true\n'); // after print and p/x above
    expect(await exec('continue')).toEqual({ ok: false, text: "continue: this console does not run the machine (use the front end's own continue/step)" });
    expect((await exec('info breakpoints')).text).toMatch(/^Num +Type/);
    expect((await exec('watch hd0.', 'console.complete')).text.split('\n')).toContain('watch hd0.file');
  });

  test('mutated and random lines: an answer or a one-line error, never an internal error', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(mutate(VALID[i % VALID.length], rnd));
    for (let i = 0; i < 100; i++) lines.push(String.fromCharCode(...Array.from({ length: Math.floor(rnd() * 30) }, () => Math.floor(rnd() * 0x7f))));
    for (const l of lines) {
      const r = await exec(l);
      expect(r.text, JSON.stringify(l)).not.toMatch(/internal error/);
      if (!r.ok) expect(r.text.length, JSON.stringify(l)).toBeGreaterThan(0);
      await exec(l, 'console.complete');
    }
    expect((await exec('print 6 * 7')).ok).toBe(true);
  });
});
