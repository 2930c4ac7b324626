/**
 * The stub's command-line options as QEMU spells them: `-s` (tcp on 127.0.0.1:1234: loopback,
 * unlike QEMU), `-gdb unix:PATH` (gdb-multiarch connects with `target remote PATH`), `-gdb none`,
 * and the one-line errors: -S with no stub to continue it, a bad -gdb spec, a busy port.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { spawnGuest, VTRACE, type GuestProcess } from '../helpers/spawn-guest';
import { RawRsp } from '../gdbstub/helpers';

const procs: GuestProcess[] = [];
afterEach(() => procs.splice(0).forEach((p) => p.proc.kill('SIGKILL')));

function vtrace(args: string[]): GuestProcess {
  const g = spawnGuest(process.execPath, [VTRACE, 'run', '-m', '128M', ...args]);
  procs.push(g);
  return g;
}

async function stderrLine(g: GuestProcess, re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(g.stderr());
    if (m !== null) return m;
    if (g.proc.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re} on stderr:\n${g.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gdb stub options', () => {
  test('-s listens on 127.0.0.1:1234; k ends vtrace', { timeout: 60_000 }, async () => {
    const g = vtrace(['-s', '-S']);
    await stderrLine(g, /gdb stub listening on tcp:127\.0\.0\.1:1234 \(machine stopped: -S\)/);
    const r = await RawRsp.connect(1234);
    expect(await r.request('?')).toBe('T05thread:01;');
    r.send('k');
    expect(await g.exited(20_000)).toBe(0);
  });

  test('-gdb unix:PATH, with gdb-multiarch', { timeout: 60_000 }, async () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-gdb-')), 'gdb.sock');
    const g = vtrace(['-gdb', `unix:${sock},server,nowait`, '-S']);
    await stderrLine(g, /gdb stub listening on unix:/);
    const r = spawnSync('gdb-multiarch', ['-batch', '-nx', '-ex', 'set architecture riscv:rv64', '-ex', `target remote ${sock}`, '-ex', 'p/x $pc', '-ex', 'p $priv', '-ex', 'kill'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stdout, r.stderr).toContain('$1 = 0x80200000');
    expect(r.stdout).toContain('$2 = 1');
    expect(await g.exited(20_000)).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
  });

  test('-gdb none runs without a stub', { timeout: 60_000 }, async () => {
    const g = vtrace(['-gdb', 'none']);
    expect(await g.exited(30_000)).toBe(0);
    expect(g.stderr()).not.toContain('gdb stub');
    expect(g.output()).toMatch(/all \d+ checks passed/);
  });

  test('errors are one line and exit 1', { timeout: 60_000 }, async () => {
    const run = (args: string[]) => spawnSync(process.execPath, [VTRACE, 'run', ...args], { encoding: 'utf8', timeout: 30_000 });
    let r = run(['-S']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('vtrace: -S: nothing could continue the machine: add -s or -gdb DEV for the gdb stub\n');
    r = run(['-gdb', 'serial:/dev/ttyS0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('vtrace: -gdb serial:/dev/ttyS0: only tcp:HOST:PORT, unix:PATH and none are supported\n');
    r = run(['-gdb', 'tcp::99999']);
    expect(r.stderr).toBe("vtrace: -gdb tcp::99999: bad port '99999'\n");
    // A busy port: reported before the guest runs.
    const busy = net.createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', () => res()));
    const port = (busy.address() as net.AddressInfo).port;
    const g = vtrace(['-gdb', `tcp:127.0.0.1:${port}`]);
    expect(await g.exited(30_000)).toBe(1);
    expect(g.stderr()).toContain(`vtrace: -gdb tcp:127.0.0.1:${port}: Failed to find an available port: Address already in use\n`);
    busy.close();
  });
});
