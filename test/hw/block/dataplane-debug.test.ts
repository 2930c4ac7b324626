/**
 * The debugger and a dataplane drive (src/debug/iothread-agent*.ts) through the qtest-style rig: a
 * real iothread serves the device while this thread plays the emulator thread. A paused iothread
 * (a console stop) takes no virtqueue work: a request kicked during the pause is neither written
 * to the image nor completed until resume (and counts as outstanding for the vCPU loop's round
 * length meanwhile); the agent answers state requests while paused.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DATAPLANE_IOTHREAD_MODULE, dataPlaneBlockOps, dataPlaneRequestsOutstanding, virtio_blk_data_plane_create } from '../../../src/hw/block/dataplane/virtio-blk';
import { VirtIOBlock } from '../../../src/hw/block/virtio-blk';
import { VIRTIO_BLK_S_OK } from '../../../src/hw/block/virtio-blk-config';
import { iothread_create, iothread_destroy, type IOThread } from '../../../src/util/iothread';
import type { GuestRam } from '../../../src/system/memory';
import type { MachineOptions } from '../../../src/cli/qemu-options';
import { agentModulePath } from '../../../src/debug/agent-shared';
import { attachIOThreadAgent, detachIOThreadAgent, pauseIOThreads, resumeIOThreads, type IOThreadAgent } from '../../../src/debug/iothread-agents';
import { remoteResolve } from '../../../src/debug/remote-state';
import { VirtioMmioTestDriver } from '../virtio/qtest-virtio';
import { requireFreshDist } from '../../util/util-test-helpers';
import { blkStart, pattern, statusOf, writeReq, imageFile } from './blk-driver';

let dir = '';
let io: IOThread;
let agent: IOThreadAgent | null = null;
const file = () => path.join(dir, 'disk.img');

beforeAll(() => {
  requireFreshDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dpdebug-'));
  imageFile(file(), 1 << 20);
  io = iothread_create('io-dbg', { modules: [DATAPLANE_IOTHREAD_MODULE, agentModulePath()] });
  const options = { drives: [{ id: 'dpd', file: file() }], devices: [{ driver: 'virtio-blk-device', drive: 'dpd', iothread: 'io-dbg' }], iothreads: ['io-dbg'] } as unknown as MachineOptions;
  agent = attachIOThreadAgent(io, options);
});
afterAll(() => {
  resumeIOThreads();
  detachIOThreadAgent(io);
  iothread_destroy(io);
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

test('a paused iothread serves nothing until resumed; its agent answers meanwhile', () => {
  expect(agent).not.toBeNull();
  let s!: VirtIOBlock;
  const d = new VirtioMmioTestDriver({
    legacy: false,
    device: (ram: GuestRam) => {
      const props = { id: 'dpd', serial: '' };
      const handle = virtio_blk_data_plane_create(io, { file: file(), format: 'raw', id: 'dpd', readOnly: false }, props, ram, () => {});
      s = new VirtIOBlock({ ...props, blk: handle, ops: dataPlaneBlockOps, ram, geometry: handle.geometry });
      s.dataplane = handle.dp;
      handle.dp.s = s;
      return s;
    },
  });
  const [q] = blkStart(d);
  // The drive lives in the iothread: the state tree's fallback resolves it there.
  const fd = remoteResolve('dpd', 'dpd.file.fd');
  expect(fd).toMatchObject({ ok: true });
  expect(typeof (fd as { value: unknown }).value).toBe('number');
  expect((fd as { value: number }).value).toBeGreaterThan(2);

  expect(dataPlaneRequestsOutstanding()).toBe(false);
  expect(pauseIOThreads()).toEqual([]);
  expect(agent!.paused).toBe(true);
  const data = pattern(4096, 3);
  const w = writeReq(d, q, 8, data);
  d.kick(q);
  // Kicked, not completed: the vCPU loop would run short rounds now (RunHooks.slice).
  expect(dataPlaneRequestsOutstanding()).toBe(true);
  sleep(800);
  d.settle(20);
  // Nothing popped, written or completed while paused.
  expect(d.usedIdx(q)).toBe(0);
  expect(new Uint8Array(fs.readFileSync(file()).subarray(8 * 512, 8 * 512 + 4096))).toEqual(new Uint8Array(4096));
  // Requests are still answered by the paused iothread.
  expect(remoteResolve('dpd', 'dpd.file.fd')).toEqual(fd);
  expect(remoteResolve('dpd', 'dpd.in_flight')).toMatchObject({ ok: true, value: 0 });

  resumeIOThreads();
  d.waitUsed(q);
  expect(statusOf(d, w)).toBe(VIRTIO_BLK_S_OK);
  expect(dataPlaneRequestsOutstanding()).toBe(false);
  expect(new Uint8Array(fs.readFileSync(file()).subarray(8 * 512, 8 * 512 + 4096))).toEqual(data);
  expect(agent!.paused).toBe(false);
});
