/**
 * Live frame arguments at console stops (src/debug/live-frames.ts): `vtrace debug -batch` on the
 * default guest, where the front end reads the stopped thread's stack through V8's inspector. The
 * values must be the real ones: the read size of the guest's request, the drive's BlockBackend,
 * the fd the pool worker reads, and they must agree with what the stop's own report says.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, VTRACE } from '../helpers/spawn-guest';

function debug(args: string[], commands: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-frame-args-'));
  const file = path.join(dir, 'cmds.gdb');
  fs.writeFileSync(file, commands.join('\n') + '\n');
  try {
    const r = spawnSync(process.execPath, [VTRACE, 'debug', '-q', '-batch', '-tty=/dev/null', ...args, '-x', file], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The `#N  fn (args) at ...` line of frame `fn` in `text`. */
function frameLine(text: string, fn: string): RegExpExecArray {
  const m = new RegExp(`^#(\\d+) +${fn} \\((.*)\\) at (src/\\S+):\\d+$`, 'm').exec(text);
  expect(m, `no frame ${fn} in:\n${text}`).not.toBeNull();
  return m!;
}

describe('frame arguments at a console stop', () => {
  test('in a coroutine on the emulator thread: the stop line, bt, frame N and info args show the live values; recorded frames do not', { timeout: 150_000 }, () => {
    // The guest's first 4 KiB read (the device's own first-sector read is 512 bytes).
    const out = debug([], ['break blk_co_preadv if bytes == 4096', 'run', 'bt', 'frame 1', 'info args', 'frame 6', 'info args']);
    const stop = /\nBreakpoint 1, blk_co_preadv \(blk=(0x[0-9a-f]+), bs=0x[0-9a-f]+, offset=(\d+), bytes=4096, flags=(\d+)\)\n#0  (\w+) \((.*)\) at (src\S+)\n/.exec(out);
    expect(stop, out).not.toBeNull();
    const [, blk, offset, flags, fn0, args0, at0] = stop!;
    // Frame #0 of the report has its live arguments, and bt's frame #0 the same.
    expect(args0).toMatch(new RegExp(`^blk=${blk} <hd0>, offset=${offset}, bytes=4096, qiov=0x[0-9a-f]+, qiov_offset=0, flags=${flags}$`));
    expect(out).toContain(`\n#0  ${fn0} (${args0}) at ${at0}\n`);
    // The tracepoint's caller: the BlockBackend the tracepoint named, the offset and the size.
    const f = frameLine(out, 'blk_co_preadv');
    expect(f[1]).toBe('1');
    expect(f[2]).toMatch(new RegExp(`^blk=${blk} <hd0>, offset=${offset}, bytes=4096, qiov=0x[0-9a-f]+, flags=${flags}$`));
    // bt and `frame 1` print it; info args lists them one per line.
    expect(out.split(`\n#1  blk_co_preadv (${f[2]}) at `).length).toBe(3);
    expect(out).toMatch(new RegExp(`\nblk = ${blk} <hd0>\noffset = ${offset}\nbytes = 4096\nqiov = 0x[0-9a-f]+\nflags = ${flags}\n`));
    // Past the coroutine boundary, frames come from the stack recorded at the coroutine's creation:
    // no values, except what the boundary recorded.
    const lines = out.split('\n');
    const boundary = lines.findIndex((l) => l.startsWith('--- coroutine '));
    expect(boundary, out).toBeGreaterThan(0);
    for (const l of lines.slice(lines.findIndex((x) => x.startsWith('#0  ')), boundary)) expect(l).not.toContain(' (...) at ');
    expect(lines[boundary + 1]).toMatch(/^#\d+ +qemu_coroutine_create \(entry=blk_aio_read_entry, co=\d+\) at /);
    expect(out).toMatch(/\n#6  blk_aio_preadv \(\.\.\.\) at \S+\nNo symbol table info available\.\n/);
  });

  test('in a pool worker (catch syscall): the worker\'s frames show the request the syscall serves', { timeout: 150_000 }, () => {
    const out = debug([], ['catch syscall preadv pread64 if count == 4096', 'run', 'bt 4']);
    const head = /Catchpoint 1 \(call to syscall (preadv|pread64)\), \1 \(fd=(\d+), /.exec(out);
    expect(head, out).not.toBeNull();
    const fd = head![2];
    // The syscall frame keeps its strace-formatted record; the worker's frames show the aiocb.
    expect(out).toMatch(new RegExp(`\\n#0  ${head![1]} \\(fd=${fd}, `));
    expect(out).toMatch(new RegExp(`\\n#\\d+ +handle_aiocb_rw \\(aiocb=\\{aio_type = 1, aio_fildes = ${fd}, aio_offset = 0, aio_nbytes = 4096, `));
  });

  test('in an iothread (dataplane): its frames show its own objects, with the ids its tracepoints print', { timeout: 150_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-frame-args-io-'));
    const img = path.join(dir, 'disk.img');
    fs.writeFileSync(img, Buffer.alloc(1 << 20));
    try {
      const out = debug(['-object', 'iothread,id=io0', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0,iothread=io0'], ['break virtio_blk_handle_read', 'run', 'bt 4', 'frame 1', 'info args']);
      const stop = /"iothread-io0"\]\nBreakpoint 1, virtio_blk_handle_read \(vdev=(0x[0-9a-f]+), req=0x[0-9a-f]+, sector=0, nsectors=\d+\)\n/.exec(out);
      expect(stop, out).not.toBeNull();
      const vdev = stop![1];
      const f = frameLine(out, 'virtio_blk_handle_vq');
      expect(f[2]).toMatch(new RegExp(`^s=${vdev} <virtio-blk-device hd0>, vq=(0x[0-9a-f]+) <hd0 vq 0>$`));
      expect(out).toMatch(new RegExp(`\\ns = ${vdev} <virtio-blk-device hd0>\\nvq = 0x[0-9a-f]+ <hd0 vq 0>\\n`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
