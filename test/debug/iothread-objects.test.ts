/**
 * The debug console on a drive served in an iothread (dataplane), on the default guest, compared
 * with the same drive served by the main loop: `info blockstats` counts the requests the dataplane
 * did (the iothread's own accounting), a tracepoint breakpoint that stops in the iothread gives its
 * `void *` arguments as the iothread's live objects ($member, $container, $vdev), and tab completion
 * offers the iothread's paths (`hd0.`, `$vdev.`, its node names) as for a main-loop drive.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, VTRACE, spawnGuest, type GuestProcess } from '../helpers/spawn-guest';
import { which } from '../guest/default/harness';

/** A 1 MiB scratch image for the guest's disk checks (made once; removed after the tests). */
let img = '';
function image(): string {
  if (img === '') {
    img = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-ioobj-')), 'scratch.img');
    fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
  }
  return img;
}
afterAll(() => {
  if (img !== '') fs.rmSync(path.dirname(img), { recursive: true, force: true });
});

/** The default guest's drive hd0, served by iothread io0 (dataplane) or by the main loop. */
function machine(dataplane: boolean): string[] {
  const dev = dataplane ? ['-object', 'iothread,id=io0', '-device', 'virtio-blk-device,drive=hd0,iothread=io0'] : ['-device', 'virtio-blk-device,drive=hd0'];
  return ['-drive', `file=${image()},format=raw,id=hd0,if=none`, ...dev];
}

function batch(cmds: string[], dataplane: boolean): string {
  const args = [VTRACE, 'debug', '-batch', ...cmds.flatMap((c) => ['-ex', c]), ...machine(dataplane)];
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('check virtio-blk PASS');
  return r.stdout;
}

const SWITCH_TO_IOTHREAD = /\[Switching to Thread \d+ \(LWP \d+\) "iothread-io0"\]\n(Temporary )?Breakpoint 1, /;
const STATS = /^hd0: rd_bytes=(\d+) wr_bytes=(\d+) rd_operations=(\d+) wr_operations=(\d+) flush_operations=(\d+) wr_total_time_ns=(\d+) rd_total_time_ns=(\d+) flush_total_time_ns=(\d+) rd_merged=(\d+) wr_merged=(\d+) idle_time_ns=(\d+)$/gm;

describe('vtrace debug: objects of a drive served in an iothread', () => {
  test('info blockstats: the line of a dataplane drive, in QEMU\'s format, with the counts of the requests the iothread did', { timeout: 150_000 }, () => {
    const cmds = ['break virtio_blk_handle_read', 'run', 'info blockstats', 'continue', 'info blockstats', 'delete', 'continue', 'info blockstats'];
    const io = batch(cmds, true);
    const main = batch(cmds, false);
    expect(io).toMatch(SWITCH_TO_IOTHREAD); // the reads are handled in the iothread
    const stats = (out: string) => [...out.matchAll(STATS)].map((m) => m.slice(1).map(Number));
    const [ioStats, mainStats] = [stats(io), stats(main)];
    // rd_bytes wr_bytes rd_operations wr_operations flush_operations: at the first read (counted
    // when it is handled: after the guest's two writes and its flush), at the second (one more
    // sector), and at the end (the read past the end too), as the main loop counts the same guest.
    const counts = (s: number[][]) => s.map((x) => x.slice(0, 5));
    expect(counts(ioStats)).toEqual([
      [4096, 4608, 1, 2, 1],
      [4608, 4608, 2, 2, 1],
      [5120, 4608, 3, 2, 1],
    ]);
    expect(counts(mainStats)).toEqual(counts(ioStats));
    // Times: the writes completed before the first read stop; the reads by the end; no merges.
    const [first, , last] = ioStats;
    expect(first[5]).toBeGreaterThan(0); // wr_total_time_ns
    expect(first[6]).toBe(0); // rd_total_time_ns: the read has not completed
    expect(last[6]).toBeGreaterThan(0);
    expect(last[8] + last[9]).toBe(0);
    expect(last[10]).toBeGreaterThan(0); // idle_time_ns since the last completion
  });

  test('break TRACEPOINT in the iothread: `void *` arguments are its live objects ($member, $container, $vdev), as on the main loop', { timeout: 150_000 }, () => {
    const cmds = [
      'break container_of if container_type == "VirtQueue" && field == "host_notifier"',
      'run',
      'print $container.host_notifier == $member',
      'print $container.queue_index',
      'print $container.vdev.klass.name',
      'whatis $container.vdev',
      'print $container.vdev.blk.name',
      'print $container.vdev.blk.file.fd == hd0.file.fd',
      'print hd0.dev.vq[0].host_notifier == $member',
      'print $member.name',
      'ptype $container',
      'delete',
      'break virtio_blk_handle_read',
      'continue',
      'print $vdev == $container.vdev',
      'print $vdev.vq[0].inuse',
      'print $sector',
      'print *$vdev',
      'delete',
      'continue',
    ];
    const io = batch(cmds, true);
    const main = batch(cmds, false);
    expect(io).toMatch(SWITCH_TO_IOTHREAD);
    expect(io).toMatch(/Breakpoint 1, container_of \(member_type="EventNotifier", member=0x14[0-9a-f]{6}, container_type="VirtQueue", field="host_notifier", container=0x11[0-9a-f]{6}, resolved="vq 0 of virtio-blk-device hd0"\)\n/);
    const values = (out: string) => [...out.matchAll(/^(?:\$\d+ = |type = )(.*)$/gm)].map((m) => m[1]);
    const ioValues = values(io);
    expect(ioValues.slice(0, 11)).toEqual(['true', '0', '"virtio-blk-device"', 'VirtIOBlock', '"hd0"', 'true', 'true', '"hd0.vq0.host_notifier"', 'struct VirtQueue {', 'true', '1']);
    expect(ioValues[11]).toBe('0'); // $sector of the first read
    expect(ioValues[12]).toMatch(/^\{klass = \{name = "virtio-blk-device", .*, id = "hd0", .*, started = true, .*\}$/); // the iothread's VirtIOBlock, whole
    expect(io).toMatch(/type = struct VirtQueue \{\n    VirtIOBlock \*vdev;\n    int queue_index;\n/);
    // The same session on the main loop prints the same (its *$vdev is the emulator thread's device).
    expect(values(main).slice(0, 12)).toEqual(ioValues.slice(0, 12));
  });

  test('a main-loop stop on the guest notifier of a dataplane device: its blk is the iothread\'s BlockBackend, as hd0 is', { timeout: 150_000 }, () => {
    // The iothread signals the guest notifier; the emulator thread's main loop handles it
    // (container_of(n, VirtQueue, guest_notifier) there), where the device's `blk` is only a
    // stand-in for the drive that lives in the iothread.
    const io = batch(['break container_of if field == "guest_notifier"', 'run', 'print $container.vdev.blk.name', 'whatis $container.vdev.blk', 'print $container.vdev.blk == hd0', 'print $container.vdev.blk.file.fd == hd0.file.fd', 'print $container.vdev.blk.root.bs.drv.format_name', 'print $container.vdev', 'delete', 'continue'], true);
    expect(io).toMatch(/\nBreakpoint 1, container_of \(member_type="EventNotifier", member=0x14[0-9a-f]{6}, container_type="VirtQueue", field="guest_notifier", /);
    expect(io).not.toMatch(/Switching to Thread/); // the main loop's stop, not the iothread's
    const values = [...io.matchAll(/^(?:\$\d+ = |type = )(.*)$/gm)].map((m) => m[1]);
    expect(values.slice(0, 5)).toEqual(['"hd0"', 'BlockBackend', 'true', 'true', '"raw"']);
    expect(values[5]).toMatch(/, blk = 0x[0-9a-f]+ <drive hd0 in iothread io0>, /); // the whole device: blk as a pointer to that drive
  });
});

const SCRIPT = which('script');

/** Type `line`, then Tab twice (one at a time: readline completes asynchronously); the candidates it lists. */
async function candidates(g: GuestProcess, line: string): Promise<string[]> {
  const mark = g.output().length;
  g.type(`\x15${line}\t`);
  await new Promise((r) => setTimeout(r, 1500)); // a Tab while the first one's completion is pending would be typed
  g.type('\t');
  // The prompt and the line, the list, an empty line, then the prompt and the line again.
  const listed = (): string[] | null => {
    const text = g.output().slice(mark).replace(/\x1b\[[0-9;]*[A-Za-z]/g, ' ');
    const end = /\n\s*\n[^\n]*\(vtrace\)/.exec(text);
    if (end === null) return null;
    const before = text.slice(0, end.index);
    const list = before.slice(before.lastIndexOf('(vtrace)')).split('\n').slice(1);
    return list.join(' ').split(/\s+/).filter((w) => w !== '').sort();
  };
  for (let t = 0; t < 100 && listed() === null; t++) await new Promise((r) => setTimeout(r, 100));
  return listed() ?? [];
}

async function completions(dataplane: boolean): Promise<{ hd0: string[]; vq: string[]; nodes: string[]; out: string }> {
  const cmd = [process.execPath, VTRACE, 'debug', '-q', ...machine(dataplane)].join(' ');
  const g = spawnGuest(SCRIPT!, ['-qfec', cmd, '/dev/null'], { TERM: 'xterm' }); // TERM=dumb turns readline's completion off
  try {
    await g.waitFor('(vtrace) ', 30_000);
    g.type('break virtio_blk_handle_read\r');
    g.type('run\r');
    await g.waitFor(/Breakpoint 1, virtio_blk_handle_read .*\r*\n#0 .*\r*\n.*\(vtrace\) /, 60_000);
    const hd0 = await candidates(g, 'print hd0.');
    const vq = await candidates(g, 'print $vdev.vq[0].host_');
    const nodes = await candidates(g, 'print #bl');
    // A unique member completes in place: the drive's device's blk, read from where it lives.
    g.type('\x15print hd0.dev.bl\t');
    await g.waitFor('print hd0.dev.blk', 10_000);
    g.type('\r');
    await g.waitFor(/\$1 = \{name = "hd0", root = /, 10_000);
    g.type('quit\r');
    expect(await g.exited(30_000)).toBe(0);
    return { hd0, vq, nodes, out: g.output() };
  } finally {
    g.proc.kill('SIGKILL');
  }
}

describe.skipIf(!SCRIPT)('vtrace debug in a terminal: completion of an iothread\'s paths', () => {
  test('hd0., $vdev. and node names complete at a stop in the iothread as on the main loop', { timeout: 150_000 }, async () => {
    const io = await completions(true);
    expect(io.out).toMatch(/\[Switching to Thread \d+ \(LWP \d+\) "iothread-io0"\]\r*\nBreakpoint 1, virtio_blk_handle_read/);
    expect(io.hd0).toEqual(expect.arrayContaining(['hd0.dev', 'hd0.file', 'hd0.name', 'hd0.root', 'hd0.in_flight', 'hd0.bs']));
    expect(io.vq).toEqual(['$vdev.vq[0].host_notifier', '$vdev.vq[0].host_notifier_enabled']);
    expect(io.nodes).toHaveLength(2); // the drive's format and protocol nodes, which live in the iothread
    for (const n of io.nodes) expect(n).toMatch(/^#block\d+$/);
    const main = await completions(false);
    expect(main.hd0).toEqual(io.hd0);
    expect(main.vq).toEqual(io.vq);
    expect(main.nodes).toHaveLength(2);
  });
});
