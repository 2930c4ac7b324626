/**
 * `vtrace debug` on a drive served in an iothread (dataplane: -device virtio-blk-device,iothread=io0),
 * on the default guest: the state tree reaches the drive through the iothread's debug agent
 * (print, info block, info threads), `watch hd0.file.fd` is pending before `run` and fires in the
 * iothread (the report names the iothread and its frames), and the iothread shows as paused while
 * the console is stopped (the pause itself: test/hw/block/dataplane-debug.test.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';

let dir = '';
let img = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dbgio-'));
  img = path.join(dir, 'scratch.img');
  fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const machine = () => ['-object', 'iothread,id=io0', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0,iothread=io0'];

function batch(cmds: string[]): { out: string; err: string; code: number | null } {
  const args = [VTRACE, 'debug', '-batch', ...cmds.flatMap((c) => ['-ex', c]), ...machine()];
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

describe('vtrace debug with an iothread (dataplane)', () => {
  test('a watch on the device before run arms when the guest starts the dataplane, with no console command in between', { timeout: 150_000 }, () => {
    const r = batch(['watch hd0.dev.inflight', 'run', 'bt 1']);
    expect(r.err).toBe('');
    expect(r.out).toContain('Hardware watchpoint 1: hd0.dev.inflight (pending: No symbol "hd0" in current context.)\n');
    expect(r.out).toMatch(/"iothread-io0"\]\nHardware watchpoint 1: hd0\.dev\.inflight\n\nOld value = 0\nNew value = 1\n#0  submit_requests \(s=0x10000001 <virtio-blk-device hd0>, /);
  });

  test('watch on a convenience variable holding an iothread object ($vdev at a stop there) is watched in the iothread', { timeout: 150_000 }, () => {
    const r = batch(['break virtio_blk_handle_read', 'run', 'watch $vdev.inflight', 'delete 1', 'continue', 'info watchpoints']);
    expect(r.err).toBe('');
    expect(r.out).toContain('\nHardware watchpoint 2: $vdev.inflight\n');
    expect(r.out).toMatch(/\nHardware watchpoint 2: \$vdev\.inflight\n\nOld value = 0\nNew value = 1\n#0  submit_requests \(s=0x10000001 <virtio-blk-device hd0>, /);
    expect(r.out).toMatch(/2 +hw watchpoint +keep y +\$vdev\.inflight\n\tin iothread io0\n\tbreakpoint already hit 1 time\n/);
  });

  test('watch hd0.file.fd before run fires in the iothread; print, bt, info block/threads/watchpoints see its drive', { timeout: 150_000 }, () => {
    const r = batch([
      'print hd0.file.fd',
      'watch hd0.file.fd',
      'run',
      'bt',
      'print hd0.file.fd',
      'info threads',
      'continue',
      'print hd0.file.fd',
      'delete 1',
      'continue',
      'info block',
      'print hd0.file.fd',
      'ptype hd0',
      'info threads',
    ]);
    expect(r.err).toBe('No symbol "hd0" in current context.\n');
    expect(r.code).toBe(0);
    const out = r.out;
    expect(out).toContain('Hardware watchpoint 1: hd0.file.fd (pending: No symbol "hd0" in current context.)\n');
    const hits = [...out.matchAll(/\nHardware watchpoint 1: hd0\.file\.fd\n\nOld value = (\S+)\nNew value = (\d+)\n#0  (\w+) \([^\n]*\) at (src\/\S+):\d+\n/g)];
    expect(hits.map((h) => [h[1], h[3], h[4]])).toEqual([
      ['<unreadable>', 'raw_open', 'src/block/file-posix.ts'],
      [hits[0][2], 'raw_set_perm', 'src/block/file-posix.ts'],
    ]);
    const [first, second] = [Number(hits[0][2]), Number(hits[1][2])];
    expect(second).not.toBe(first); // the reopen O_RDWR changed the fd
    // The stop is on the iothread, and the backtrace is the iothread's: the drive opened there.
    const io = /\[Switching to Thread (\d+) \(LWP \d+\) "iothread-io0"\]\nHardware watchpoint 1/.exec(out);
    expect(io).not.toBeNull();
    const tid = io![1];
    expect(out).toMatch(/#\d+ +virtio_blk_dp_create \([^\n]*\) at src\/hw\/block\/dataplane\/virtio-blk-iothread\.ts:\d+\n(.*\n)*#\d+ +iothread_run /);
    // print reads the iothread's value at each stop.
    const prints = [...out.matchAll(/^\$(\d+) = (\d+)$/gm)].map((m) => Number(m[2]));
    expect(prints).toEqual([first, second, second]);
    // info threads at the first stop: the iothread is current, at the frame that wrote.
    expect(out).toMatch(new RegExp(`\\* \\d+ +Thread ${tid} \\(LWP ${tid}\\) "iothread-io0" +raw_open \\(\\.\\.\\.\\) at src/block/file-posix\\.ts:\\d+\\n`));
    // The guest ran its disk checks through the iothread.
    expect(out).toContain('check virtio-blk PASS');
    expect(out).toContain('[Inferior 1 (vtrace) exited normally]');
    // After the run: info block names the drive as for a main-loop drive; ptype comes from the iothread.
    expect(out).toMatch(new RegExp(`hd0 \\(#block\\d+\\): ${img.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(raw\\)\\n    Attached to:      /machine/peripheral-anon/device\\[0\\]\\n    Cache mode:       writeback\\n`));
    expect(out).toMatch(/type = struct BlockBackend \{\n(.*\n)*?    string name;\n/);
    expect(out).toMatch(new RegExp(`  \\d+ +Thread ${tid} \\(LWP ${tid}\\) "iothread-io0" +iothread io0 \\(paused\\)\\n`)); // the exited machine is a stop: the iothread is paused
  });

  test('catch syscall stops at the preads and pwrites of the iothread\'s pool workers, before the drive is open and while the guest runs', { timeout: 150_000 }, () => {
    const r = batch(['catch syscall pread64 pwrite64', 'run', 'bt', 'info threads', 'print $fd == hd0.file.fd', 'continue', 'continue', 'print $fd == hd0.file.fd', 'print $count', 'delete', 'continue']);
    expect(r.err).toBe('');
    const out = r.out;
    const stops = [...out.matchAll(/\n\[Switching to Thread (\d+) \(LWP \d+\) "(worker-\d+)"\]\nCatchpoint 1 \(call to syscall (\w+)\), \3 \(fd=(\d+), /g)];
    // The probe's first read, in the iothread's pool, while the drive is being opened there.
    expect(stops.length).toBeGreaterThanOrEqual(1);
    expect(stops[0][3]).toBe('pread64');
    const worker = stops[0][2];
    expect(out).toMatch(new RegExp(`\\* \\d+ +Thread ${stops[0][1]} \\(LWP ${stops[0][1]}\\) "${worker}" +worker_thread \\(iothread io0\\): pread64 \\(fd=${stops[0][4]}, `));
    expect(out).toMatch(/"iothread-io0" +iothread io0 \(paused\)\n/);
    // bt is the worker's own stack (handle_aiocb_rw...), not the emulator thread's.
    expect(out).toMatch(/Catchpoint 1 \(call to syscall pread64\)[^\n]*\n#0  [^\n]*\n(#\d+ [^\n]*\n)*#\d+ +(handle_aiocb_rw\w*|worker_thread) /);
    // The guest's first write (its requests are served by the iothread): pwrite64 on hd0's fd.
    expect(out).toMatch(/Catchpoint 1 \(call to syscall pwrite64\), pwrite64 \(fd=\d+, buf=0x80[0-9a-f]+, count=4096, offset=0\)/);
    expect([...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1])).toEqual(['true', 'true', '4096']);
    expect(out).toContain('check virtio-blk PASS');
  });

  test('break TRACEPOINT stops in the iothread inside the emission (before the request completes), with conditions evaluated there; tbreak goes after one stop', { timeout: 150_000 }, () => {
    const r = batch([
      'break virtio_blk_handle_read',
      'run',
      'bt',
      'print $sector',
      'print $nsectors * 512',
      'info threads',
      'delete 1',
      'break virtio_blk_handle_read if sector == 2047',
      'tbreak virtio_blk_req_complete',
      'continue',
      'continue',
      'info breakpoints',
      'continue',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = r.out;
    const stops = [...out.matchAll(/\n(?:\[Switching to Thread (\d+) \(LWP \d+\) "([\w-]+)"\]\n)?(Temporary breakpoint|Breakpoint) (\d+), (\w+) \(([^)]*)\)\n#0  (\w+) \([^\n]*\) at (src\/\S+):\d+\n/g)];
    expect(stops.map((m) => `${m[3]} ${m[4]}, ${m[5]} ${m[6].replace(/=0x[0-9a-f]+/g, '=P')} at ${m[7]}`)).toEqual([
      'Breakpoint 1, virtio_blk_handle_read vdev=P, req=P, sector=0, nsectors=8 at virtio_blk_handle_request',
      // The tbreak stops at the next completion (sector 0's read), then goes; the condition
      // (evaluated in the iothread) lets only the read of sector 2047 stop.
      'Temporary breakpoint 3, virtio_blk_req_complete vdev=P, req=P, status=0 at virtio_blk_req_complete',
      'Breakpoint 2, virtio_blk_handle_read vdev=P, req=P, sector=2047, nsectors=1 at virtio_blk_handle_request',
    ]);
    // The first stop is on the iothread, and its backtrace is the iothread's request path.
    expect(stops[0][2]).toBe('iothread-io0');
    expect(out).toMatch(/#\d+ +virtio_blk_handle_vq \([^\n]*\) at src\/hw\/block\/virtio-blk\.ts:\d+\n(.*\n)*#\d+ +virtio_queue_host_notifier_read (.*\n)*#\d+ +iothread_run /);
    expect([...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1])).toEqual(['0', '4096']);
    expect(out).toMatch(new RegExp(`\\* \\d+ +Thread ${stops[0][1]} \\(LWP ${stops[0][1]}\\) "iothread-io0" +virtio_blk_handle_request \\(\\.\\.\\.\\) at src/hw/block/virtio-blk\\.ts:\\d+\\n`));
    // A stop really stops: the read of sectors 0-7 completes (the guest says so) only after continue.
    const first = out.indexOf('Breakpoint 1, virtio_blk_handle_read');
    expect(first).toBeGreaterThan(0);
    expect(out.indexOf('virtio-blk: read sectors 0-7:')).toBeGreaterThan(first);
    expect(out.indexOf('virtio-blk: write last sector:')).toBeLessThan(first);
    // info breakpoints: the tbreak is gone; the conditional one was hit once (sector 0's read did not count).
    expect(out).toMatch(/\n2 +breakpoint +keep y +tracepoint virtio_blk_handle_read\n\tstop only if sector == 2047\n\tbreakpoint already hit 1 time\n/);
    expect(out).not.toMatch(/\n3 +breakpoint/);
    expect(out).toContain('check virtio-blk PASS');
    expect(out).toContain('[Inferior 1 (vtrace) exited normally]');
  });

  test('next-event PATTERN stops at the next matching event in whichever thread emits it (here the iothread)', { timeout: 150_000 }, () => {
    const r = batch(['break virtio_blk_handle_write', 'run', 'delete 1', 'next-event virtio_blk_handle_read', 'print $sector', 'next-event virtio_blk_req_complete', 'print $status', 'continue']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = r.out;
    expect(out).toMatch(/\[Switching to Thread \d+ \(LWP \d+\) "iothread-io0"\]\nBreakpoint 1, virtio_blk_handle_write /);
    // One stop per next-event, at the first matching event after the previous stop: the guest's
    // first read (sectors 0-7, after its writes and flush), then its completion, on the iothread.
    // (Ordered against the console's own reports: the guest's console output reaches stdout by
    // another channel, so its order against a stop report is not fixed.)
    const read = out.indexOf('\nvirtio_blk_handle_read vdev 0x');
    const done = out.indexOf('\nvirtio_blk_req_complete vdev 0x');
    expect(read).toBeGreaterThan(out.indexOf('Breakpoint 1, virtio_blk_handle_write'));
    expect(done).toBeGreaterThan(read);
    expect(out.slice(read, done)).toMatch(/ sector 0 nsectors 8\n#0  virtio_blk_handle_request \([^\n]*\) at src\/hw\/block\/virtio-blk\.ts:\d+\n/);
    expect([...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1])).toEqual(['0', '0']);
    // A stop stops: the read completes (the guest reports it) only after the completion stop.
    expect(out.indexOf('virtio-blk: read sectors 0-7:')).toBeGreaterThan(done);
    expect(out).toContain('check virtio-blk PASS');
  });
});
