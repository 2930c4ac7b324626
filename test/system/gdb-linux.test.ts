/**
 * Real gdb (Debian's gdb-multiarch) on the recipe's vmlinux against `vtrace run -S` booting Linux
 * (issue 5, "Tests with real gdb"): target remote, hbreak start_kernel, continue, bt, stepi,
 * x/2i $pc, info registers, CSRs, break do_idle, watch/rwatch jiffies, monitor, detach — and the
 * guest runs on to its init. The stub listens on a free port (-gdb tcp::0); `-s` itself (port
 * 1234) and unix sockets are covered by gdb-options.test.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { linuxGuestDir } from '../helpers/spawn-guest';
import { startVtraceStub, type VtraceStub } from '../gdbstub/helpers';

const MARKER = 'vtrace-guest: init reached';
const dir = linuxGuestDir();
const haveGdb = spawnSync('gdb-multiarch', ['--version'], { stdio: 'ignore' }).status === 0;
if (!dir || !haveGdb) console.warn('skipping gdb on Linux: needs the Linux guest (VTRACE_GUEST_DIR) and gdb-multiarch');

let stub: VtraceStub | undefined;
afterEach(() => stub?.g.proc.kill('SIGKILL'));

/** Run gdb-multiarch -batch with these commands; resolves with its output (stderr merged in order: monitor output goes there). */
function gdb(port: number, commands: string[]): Promise<string> {
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `file ${path.join(dir!, 'vmlinux')}`, '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', 'exec gdb-multiarch "$@" 2>&1', 'gdb', ...args], { encoding: 'utf8', timeout: 240_000 }, (_e, stdout) => resolve(stdout));
  });
}

describe.skipIf(!dir || !haveGdb)('gdb-multiarch on Linux through the stub', () => {
  test('breakpoints, backtraces, registers, watchpoints, detach', { timeout: 420_000 }, async () => {
    stub = await startVtraceStub([
      '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'),
      '-initrd', path.join(dir!, 'initramfs.cpio.gz'), '-append', 'console=ttyS0', '-S',
    ]);
    const out = await gdb(stub.port, [
      'echo ==attach\\n', 'info registers pc', 'p $priv',
      'hbreak start_kernel', 'continue', 'echo ==bt\\n', 'bt',
      'echo ==stepi\\n', 'p/x $pc', 'stepi', 'p/x $pc', 'x/2i $pc',
      'echo ==regs\\n', 'info registers', 'p/x $mstatus', 'p/x $satp', 'p/x $sstatus', 'p $priv',
      'echo ==threads\\n', 'info threads', 'monitor info cpus',
      'delete', 'echo ==do_idle\\n', 'break do_idle', 'continue', 'bt', 'delete',
      'echo ==watch\\n', 'watch jiffies', 'continue', 'delete',
      'echo ==rwatch\\n', 'rwatch jiffies', 'continue', 'delete',
      'echo ==detach\\n', 'detach',
    ]);
    const section = (name: string) => out.slice(out.indexOf(`==${name}\n`), out.indexOf('==', out.indexOf(`==${name}\n`) + 3));

    // -S: stopped at the first instruction of the kernel (the built-in SBI enters it in S-mode).
    expect(section('attach')).toMatch(/pc\s+0x80200000/);
    expect(section('attach')).toContain('$1 = 1');
    expect(out).toMatch(/Hardware assisted breakpoint 1 at 0xffffffff[0-9a-f]+: file .*init\/main\.c/);
    expect(out).toMatch(/Breakpoint 1, start_kernel \(\) at .*init\/main\.c/);
    expect(section('bt')).toMatch(/#0 +start_kernel \(\)/);
    expect(section('bt')).toMatch(/#1 +0xffffffff[0-9a-f]+ in _start_kernel \(\)/);

    const pcs = [...section('stepi').matchAll(/\$\d+ = (0x[0-9a-f]+)/g)].map((m) => BigInt(m[1]));
    expect(pcs).toHaveLength(2);
    expect(pcs[1] - pcs[0] === 2n || pcs[1] - pcs[0] === 4n).toBe(true);
    expect(section('stepi')).toMatch(new RegExp(`=> 0x${pcs[1].toString(16)} <start_kernel\\+\\d+>:\\t\\w+`));

    const regs = section('regs');
    for (const r of ['ra', 'sp', 'gp', 'tp', 't0', 'a0', 's11', 't6', 'pc']) expect(regs).toMatch(new RegExp(`^${r} +0x[0-9a-f]+`, 'm'));
    const values = [...regs.matchAll(/^\$\d+ = (0x[0-9a-f]+|\d+)$/gm)].map((m) => BigInt(m[1]));
    expect(values).toHaveLength(4);
    const [mstatus, satp, sstatus, priv] = values;
    expect(satp >> 60n === 8n || satp >> 60n === 9n).toBe(true); // Sv39 or Sv48: the MMU is on
    expect(sstatus & ~mstatus).toBe(0n); // sstatus is a view of mstatus
    expect(priv).toBe(1n); // S-mode

    expect(section('threads')).toMatch(/\* 1 +Thread 1\.1 \(hart 0 \[S-mode\]\) .* in start_kernel/);
    expect(section('threads')).toMatch(/\* CPU #0: pc=0xffffffff[0-9a-f]+ priv=S/);

    expect(section('do_idle')).toMatch(/Breakpoint \d+, do_idle \(\) at /);
    expect(section('do_idle')).toMatch(/#1 +0xffffffff[0-9a-f]+ in cpu_startup_entry/);

    const w = /Hardware watchpoint \d+: jiffies\s+Old value = (\d+)\s+New value = (\d+)/.exec(section('watch'));
    expect(w, section('watch')).not.toBeNull();
    expect(BigInt(w![2]) - BigInt(w![1])).toBe(1n);
    expect(section('rwatch')).toMatch(/Hardware read watchpoint \d+: jiffies\s+Value = \d+/);

    expect(section('detach')).toContain('[Inferior 1 (process 1) detached]');
    // The guest runs on without gdb.
    await stub.g.waitFor(MARKER, 240_000);
  });
});
