/**
 * `vtrace debug` as users run it: -batch with -x/-ex (gdb's exit status and error handling), bad
 * input answered with one clear message, an interactive session in a real terminal (util-linux
 * `script` gives it a pty) with Ctrl-C stopping a running machine, tab completion and history,
 * `commands` blocks, tbreak, and the guest's exit left inspectable.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, VTRACE, spawnGuest } from '../helpers/spawn-guest';
import { which } from '../guest/default/harness';

function debug(args: string[], timeoutMs = 120_000): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [VTRACE, 'debug', ...args], { cwd: REPO, encoding: 'utf8', timeout: timeoutMs });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

const SCRIPT = which('script');

describe('vtrace debug -batch', () => {
  test('before run: errors in gdb\'s words on stderr, state that does not exist yet, exit status of the last command', () => {
    const r = debug(['-batch', '-tty=/dev/null', '-ex', 'frobnicate', '-ex', 'info frobs', '-ex', 'print hd0.file.fd', '-ex', 'continue', '-ex', 'bt', '-ex', 'x/4xb 0x10',
      '-ex', 'catch syscall nosuch', '-ex', 'break nosuch', '-ex', 'delete 7', '-ex', 'info block', '-ex', 'info breakpoints', '-ex', 'print 6 * 7']);
    expect(r.code).toBe(0);
    expect(r.err.split('\n')).toEqual([
      'Undefined command: "frobnicate".  Try "help".',
      'Undefined info command: "frobs".  Try "help info".',
      'No symbol "hd0" in current context.',
      'The program is not being run.',
      'No stack.',
      'Cannot access memory at address 0x10',
      "Unknown syscall name 'nosuch'.",
      'No tracepoint "nosuch" (see "info trace-events"; breakpoints stop at tracepoints).',
      'No breakpoint number 7.',
      '',
    ]);
    expect(r.out).toBe('No drives (-drive) are open yet.\nNo breakpoints or watchpoints.\n$1 = 42\n');
    expect(debug(['-batch', '-ex', 'print 1', '-ex', 'print nosuch']).code).toBe(1); // the last command failed
  });

  test('-x stops at the first error of the file, as gdb; -ex commands all run; bad arguments are one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dbgcli-'));
    try {
      const f = path.join(dir, 'cmds.gdb');
      fs.writeFileSync(f, '# a comment\nprint 1\nprint oops\nprint 2\n');
      const r = debug(['-batch', '-x', f, '-ex', 'print 3']);
      expect(r.out).toBe('$1 = 1\n$2 = 3\n');
      expect(r.err).toBe('No symbol "oops" in current context.\n');
      const bad = debug(['-batch', '-x', path.join(dir, 'missing.gdb')]);
      expect(bad.code).toBe(1);
      expect(bad.err).toBe(`vtrace: ${path.join(dir, 'missing.gdb')}: No such file or directory.\n`);
      const q = debug(['-batch', '-kernel', path.join(dir, 'nope')]);
      expect(q.code).toBe(1);
      expect(q.err).toBe(`vtrace: -kernel ${path.join(dir, 'nope')}: No such file or directory\n`);
      expect(debug(['-batch', '-tty=/nonexistent/dir/tty']).err).toMatch(/^vtrace: -tty=\/nonexistent\/dir\/tty: No such file or directory\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('commands run at a stop (silent, output, auto-continue); tbreak stops once; the ended guest stays inspectable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dbgcli-'));
    try {
      const f = path.join(dir, 'cmds.gdb');
      fs.writeFileSync(
        f,
        [
          'break virtio_blk_handle_write',
          'commands',
          'silent',
          'print $sector',
          'continue',
          'end',
          'tbreak virtio_blk_handle_read',
          'run',
          'print $nsectors',
          'info breakpoints',
          'continue',
          'info blockstats',
          'print hd0.file.fd > 2 && hd0.dev.vq[0].used_idx == 0',
        ].join('\n'),
      );
      const r = debug(['-batch', '-tty=/dev/null', '-x', f]);
      expect(r.err).toBe('');
      const lines = r.out.split('\n');
      // Both writes (sectors 0-7 and the last sector) print their sector and go on; the read stops once.
      expect(lines.filter((l) => /^\$\d+ = /.test(l))).toEqual(['$1 = 0', '$2 = 2047', '$3 = 8', '$4 = true']); // after the guest's reset of the device at poweroff
      expect(r.out).toContain('\nTemporary breakpoint 2, virtio_blk_handle_read (vdev=0x10000001, req=0x');
      expect(r.out).toMatch(/\n#0  virtio_blk_handle_request \(req=0x[0-9a-f]+, mrb=0x[0-9a-f]+\) at src\/hw\/block\/virtio-blk\.ts:\d+\n/);
      expect(r.out).toContain('1       breakpoint      keep y                      tracepoint virtio_blk_handle_write\n\tbreakpoint already hit 2 times\n        silent\n        print $sector\n        continue\n');
      expect(r.out).not.toMatch(/\n2 +breakpoint/); // the tbreak is gone after its stop
      expect(r.out).toContain('\n[Inferior 1 (vtrace) exited normally]\n');
      expect(r.out).toMatch(/\nhd0: rd_bytes=5120 wr_bytes=4608 rd_operations=3 wr_operations=2 flush_operations=1 wr_total_time_ns=\d+ rd_total_time_ns=\d+ flush_total_time_ns=\d+ rd_merged=0 wr_merged=0 idle_time_ns=\d+\n/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!SCRIPT)('vtrace debug in a terminal', () => {
  test('run, Ctrl-C stops the running machine, stepi, completion, history, Ctrl-C at the prompt, type-ahead, quit', { timeout: 120_000 }, async () => {
    // -bios none and no kernel: the hart runs forever from the reset vector (no guest to finish).
    const cmd = `${process.execPath} ${VTRACE} debug -q -bios none`;
    const g = spawnGuest(SCRIPT!, ['-qfec', cmd, '/dev/null'], { TERM: 'xterm' }); // TERM=dumb turns readline's completion off
    try {
      await g.waitFor('(vtrace) ', 30_000);
      g.type('run\r');
      await g.waitFor('Starting program: vtrace run -bios none', 30_000);
      await new Promise((r) => setTimeout(r, 1000)); // it runs
      g.type('\x03');
      await g.waitFor(/Program received signal SIGINT, Interrupt\.\r*\n0x[0-9a-f]{16} in \?\? \(\)/, 30_000);
      g.type('info thr\t');
      await g.waitFor('info threads', 10_000);
      g.type('\r');
      await g.waitFor(/\* 2 +Thread \d+ \(LWP \d+\) "emulator"/, 10_000);
      g.type('stepi\r');
      await g.waitFor(/stepi\r*\n0x[0-9a-f]{16} in \?\? \(\)/, 10_000);
      g.type('\x1b[A\x1b[A\r'); // history: up twice is "info threads"
      await g.waitFor(/info threads[\s\S]*info threads/, 10_000);
      g.type('print 1 +\x03'); // Ctrl-C at the prompt discards the line
      await g.waitFor('Quit', 10_000);
      g.type('continue\r');
      await new Promise((r) => setTimeout(r, 500));
      g.type('info br'); // typed ahead while the machine runs: it waits at the next prompt
      await new Promise((r) => setTimeout(r, 300));
      g.type('\x03');
      await g.waitFor(/Program received signal SIGINT[\s\S]*Program received signal SIGINT[\s\S]*\(vtrace\) [^\n]*info br/, 30_000);
      g.type('\t'); // completes the typed-ahead word at its end, not at the line's start
      await g.waitFor(/\(vtrace\) info br(\x1b\[\d+G)?eakpoints/, 10_000); // (readline appends at the cursor)
      g.type('\r');
      await g.waitFor('No breakpoints or watchpoints.', 10_000);
      g.type('quit\r');
      expect(await g.exited(30_000)).toBe(0);
      expect(g.output()).not.toMatch(/Error|internal error/);
    } finally {
      g.proc.kill('SIGKILL');
    }
  });
});

