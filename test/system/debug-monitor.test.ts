/**
 * The console through gdb's `monitor` (qRcmd on the guest stub): real gdb-multiarch against
 * `vtrace run -gdb ... -S` on the default guest. Console watchpoints stop the machine for gdb too
 * (it sees SIGTRAP; `monitor info program` says why), `monitor bt` shows the emulator's frames,
 * and run control stays gdb's (`monitor continue` is refused).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { which } from '../guest/default/harness';
import { startVtraceStub, type VtraceStub } from '../gdbstub/helpers';

const GDB = which('gdb-multiarch');
let stub: VtraceStub | undefined;
afterEach(() => stub?.g.proc.kill('SIGKILL'));

describe.skipIf(!GDB)('monitor commands', () => {
  test('monitor rwatch hd0.file.fd stops the machine where the block layer reads the fd', { timeout: 120_000 }, async () => {
    stub = await startVtraceStub(['-nographic', '-S']);
    const ex = (cmds: string[]) => cmds.flatMap((c) => ['-ex', c]);
    const r = spawnSync(
      GDB!,
      ['-batch', '-nx', ...ex(['set architecture riscv:rv64', `target remote 127.0.0.1:${stub.port}`, 'monitor info block', 'monitor rwatch hd0.file.fd', 'monitor continue', 'continue', 'monitor info program', 'monitor bt 2', 'monitor print hd0.file.fd', 'monitor info watchpoints', 'monitor delete', 'continue'])],
      { encoding: 'utf8', timeout: 90_000 },
    );
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/hd0 \(#block\d+\): \S+scratch\.img \(raw\)\n    Attached to:      \/machine\/peripheral-anon\/device\[0\]\n    Cache mode:       writeback\n/);
    expect(out).toContain('Hardware read watchpoint 1: hd0.file.fd\n');
    expect(out).toContain("continue: this console does not run the machine (use the front end's own continue/step)");
    expect(out).toContain('Program received signal SIGTRAP');
    // The frames show their live arguments (read through the inspector, src/debug/live-frames.ts).
    const args = 'bs=0x[0-9a-f]+ <#block\\d+>, offset=\\d+, bytes=\\d+, qiov=0x[0-9a-f]+';
    expect(out).toMatch(new RegExp(`Hardware read watchpoint 1: hd0\\.file\\.fd\\n\\nValue = (\\d+)\\n#0  raw_co_prw \\(${args}, type=\\d\\) at src/block/file-posix\\.ts:\\d+\\n`));
    expect(out).toMatch(new RegExp(`#0  raw_co_prw \\(${args}, type=\\d\\) at src/block/file-posix\\.ts:\\d+\\n#1  raw_co_p(read|write)v \\(${args}, _?flags=\\d+\\) at src/block/file-posix\\.ts:\\d+\\n\\(More stack frames follow\\.\\.\\.\\)\\n`));
    const value = /\nValue = (\d+)\n/.exec(out)![1];
    expect(out).toContain(`$1 = ${value}\n`);
    expect(out).toContain('\tbreakpoint already hit 1 time\n');
    expect(out).toMatch(/\[Inferior 1 \(process \d+\) exited normally\]/);
    expect(await stub.g.exited(30_000)).toBe(0);
    expect(stub.g.output()).toContain('all 9 checks passed');
  });
});
