/**
 * Watchpoints on emulator state (src/debug/watch.ts) over the real block layer: drive `hd0` opened
 * by blockdevOpen on a scratch image, its file node's BDRVRawState.fd watched by path. The stops go
 * to a recording Stopper (the console's Stopper blocks the thread in the debug channel; here the
 * test is that thread, so the stop requests are collected and the code goes on).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseQemuArgs } from '../../src/cli/qemu-options';
import { blk_by_name, blockdevClose, blockdevOpen } from '../../src/block/blockdev';
import { blk_co_pread, type BlockBackend } from '../../src/block/block-backend';
import { bdrv_poll_co, bdrv_reopen_set_read_only } from '../../src/block/block';
import { rawState } from '../../src/block/file-posix';
import { qemu_get_aio_context, qemu_init_main_loop } from '../../src/util/main-loop';
import { Points } from '../../src/debug/points';
import { StateTree } from '../../src/debug/tree';
import { Watchpoint, WatchError, type WatchMode } from '../../src/debug/watch';
import { onNodeOpen, wantNodeOpenEvents } from '../../src/debug/lifecycle';
import { isTapped } from '../../src/debug/taps';
import type { StopRequest, Stopper } from '../../src/debug/stop';
import { requireFreshDist } from '../util/util-test-helpers';

let dir: string;
let img: string;

beforeAll(() => {
  requireFreshDist();
  qemu_init_main_loop();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-watch-'));
  img = path.join(dir, 'disk.img');
  fs.writeFileSync(img, Buffer.alloc(1 << 20));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  const blk = blk_by_name('hd0');
  if (blk !== null) blockdevClose(blk);
});

class Recorder implements Stopper {
  readonly stops: StopRequest[] = [];
  stop(req: StopRequest): void {
    this.stops.push(req);
  }
}

function setup(drive = `file=${img},format=raw,id=hd0,if=none`) {
  const options = parseQemuArgs(['-drive', drive]);
  const tree = new StateTree(() => null, options);
  const points = new Points();
  const rec = new Recorder();
  const lookup = (p: string) => {
    const r = tree.resolve(p);
    if (!r.ok) throw new Error(r.error);
    return r.value as never;
  };
  const watch = (mode: WatchMode, expr: string, cond?: string) => {
    Watchpoint.validate(tree, mode, expr);
    const w = new Watchpoint(mode, expr, tree, points, rec, lookup);
    if (cond !== undefined) points.setCondition(w, cond);
    points.add(w);
    return w;
  };
  return { tree, points, rec, watch, options };
}

const frame0 = (r: StopRequest) => r.frames[0]?.fn;

describe('watch on emulator state', () => {
  test('a watchpoint set before the drive exists is pending, arms as the file node opens, and sees the fd assigned, then swapped by the reopen', () => {
    const { rec, watch } = setup();
    const w = watch('watch', 'hd0.file.fd');
    expect(w.pending).toBe('No symbol "hd0" in current context.');
    expect(w.address()).toBe('<PENDING>');
    // What the console does while a watchpoint is pending: follow node opens.
    wantNodeOpenEvents(true);
    const off = onNodeOpen(() => w.refresh());
    let blk: BlockBackend;
    try {
      blk = blockdevOpen({ file: img, format: 'raw', id: 'hd0' });
    } finally {
      off();
      wantNodeOpenEvents(false);
    }
    expect(w.pending).toBeNull();
    const fd = rawState(blk.root!.bs.file!.bs).fd;
    expect(rec.stops.map((s) => s.header)).toEqual([
      expect.stringMatching(/^\nHardware watchpoint 1: hd0\.file\.fd\n\nOld value = <unreadable>\nNew value = \d+$/),
      expect.stringMatching(new RegExp(`^\\nHardware watchpoint 1: hd0\\.file\\.fd\\n\\nOld value = \\d+\\nNew value = ${fd}$`)),
    ]);
    expect(rec.stops.map(frame0)).toEqual(['raw_open', 'raw_set_perm']);
    expect(rec.stops[0].frames[0].file).toBe('src/block/file-posix.ts');
    expect(w.hits).toBe(2);
  });

  test("watch hd0.file.fd on a read-only drive reopened read-write: gdb's report with raw_reopen_commit as frame #0; deleting restores every plain field", () => {
    const { rec, watch, points } = setup(`file=${img},format=raw,id=hd0,if=none,readonly=on`);
    const blk = blockdevOpen({ file: img, format: 'raw', id: 'hd0', readOnly: true });
    const fileNode = blk.root!.bs.file!.bs;
    const s = rawState(fileNode);
    const before = s.fd;
    const w = watch('watch', 'hd0.file.fd');
    expect(w.title()).toBe('Hardware watchpoint 1: hd0.file.fd');
    expect(isTapped(s, 'fd')).toBe(true);
    expect(isTapped(blk, 'root')).toBe(true); // the chain is watched too
    expect(bdrv_reopen_set_read_only(blk.root!.bs, false, {})).toBe(0);
    expect(rec.stops).toHaveLength(1);
    expect(rec.stops[0].header).toBe(`\nHardware watchpoint 1: hd0.file.fd\n\nOld value = ${before}\nNew value = ${s.fd}`);
    expect(s.fd).not.toBe(before);
    expect(frame0(rec.stops[0])).toBe('raw_reopen_commit');
    expect(rec.stops[0].frames.map((f) => f.fn)).toContain('bdrv_reopen_set_read_only');
    points.delete(w);
    for (const [o, k] of [[s, 'fd'], [blk, 'root'], [blk.root!, 'bs'], [blk.root!.bs, 'file'], [blk.root!.bs.file!, 'bs'], [fileNode, 'opaque']] as const) {
      const d = Object.getOwnPropertyDescriptor(o, k)!;
      expect(d.get).toBeUndefined();
      expect('value' in d).toBe(true);
    }
  });

  test('rwatch stops where the block layer reads the fd, inside the request coroutine; conditions and ignore counts as gdb', () => {
    const { rec, watch, points } = setup();
    const blk = blockdevOpen({ file: img, format: 'raw', id: 'hd0' });
    const fd = rawState(blk.root!.bs.file!.bs).fd;
    const never = watch('rwatch', 'hd0.file.fd', 'hd0.file.fd > 100000');
    const r = watch('rwatch', 'hd0.file.fd');
    r.ignore = 1;
    const buf = new Uint8Array(512);
    const read = () => bdrv_poll_co(qemu_get_aio_context(), () => blk_co_pread(blk, 0, 512, buf));
    expect(read()).toBe(0);
    expect(rec.stops).toHaveLength(1);
    expect(rec.stops[0].header).toBe(`\nHardware read watchpoint 2: hd0.file.fd\n\nValue = ${fd}`);
    expect(frame0(rec.stops[0])).toBe('raw_co_prw');
    expect(r.hits).toBe(2); // raw_co_prw reads s.fd twice: the ignored crossing and the stop
    expect(never.hits).toBe(0);
    points.delete(r);
    points.delete(never);
  });

  test('paths that can never be watched are refused with a reason; paths not there yet are accepted as pending', () => {
    const { tree, watch } = setup();
    const blk = blockdevOpen({ file: img, format: 'raw', id: 'hd0' });
    expect(() => Watchpoint.validate(tree, 'watch', 'hd0.nosuch')).toThrow('There is no member named nosuch.');
    expect(() => Watchpoint.validate(tree, 'rwatch', 'hd0.parent_desc')).toThrow('Expression cannot be implemented with read/access watchpoint.');
    expect(() => Watchpoint.validate(tree, 'watch', 'hd0.parent_desc')).toThrow(WatchError); // a getter: nothing to tap
    expect(watch('watch', 'hd0.dev').pending).toBe('drive hd0 is not attached to a device');
    expect(() => Watchpoint.validate(tree, 'watch', 'hd0 +')).toThrow("A syntax error in expression, near ` +'.");
    expect(watch('watch', 'hd0.file.backing.bs.opaque.fd').pending).toMatch(/address 0x0/); // a qcow2 backing chain would satisfy it
  });
});
