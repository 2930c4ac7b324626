/**
 * Decode-cache invalidation after DMA in an iothread (virtio-blk dataplane). The vCPU decodes (and,
 * when hot, compiles) code in a page; a read served by the iothread then puts other code in that
 * page; the run loop (runRoundRobin) must drop the stale decoded code before the next round, so the
 * new instructions execute. The iothread marks the pages in the RAM's CodeDirtyMap before it
 * publishes the used entry (virtqueue_fill), so when the driver sees the completion the mark is
 * already visible.
 *
 * This thread plays the emulator thread: a real RiscvCpu over the qtest harness's address space,
 * its decode cache invalidated through the RAM's codeInvalidator (as the board sets it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DATAPLANE_IOTHREAD_MODULE, dataPlaneBlockOps, virtio_blk_data_plane_create } from '../../../src/hw/block/dataplane/virtio-blk';
import { VirtIOBlock } from '../../../src/hw/block/virtio-blk';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN } from '../../../src/hw/block/virtio-blk-config';
import { iothread_create, iothread_destroy, type IOThread } from '../../../src/util/iothread';
import { runRoundRobin } from '../../../src/system/cpus';
import type { GuestRam } from '../../../src/system/memory';
import { RiscvCpu } from '../../../src/target/riscv/cpu';
import { VirtioMmioTestDriver, type TestQueue } from '../virtio/qtest-virtio';
import { requireFreshDist } from '../../util/util-test-helpers';
import { blkHeader, blkStart, imageFile } from './blk-driver';

const WFI = 0x10500073;
const J_SELF = 0x0000006f; // j .
/** addi rd, rs1, imm */
const addi = (rd: number, rs1: number, imm: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13) >>> 0;
const A0 = 10;
const T0 = 5;
const BNEZ_T0_MINUS_8 = 0xfe029ce3; // bne t0, zero, .-8

/** a0 = 0; t0 = 1000; do { a0 += step; t0-- } while (t0); wfi */
function loopProgram(step: number): Uint8Array {
  return words([addi(A0, 0, 0), addi(T0, 0, 1000), addi(A0, A0, step), addi(T0, T0, -1), BNEZ_T0_MINUS_8, WFI, J_SELF]);
}
/** a0 = k; wfi */
const constProgram = (k: number): Uint8Array => words([addi(A0, 0, k), WFI, J_SELF]);

function words(ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const v = new DataView(b.buffer);
  ws.forEach((w, i) => v.setUint32(4 * i, w, true));
  return b;
}

let dir = '';
let io: IOThread;
let n = 0;

beforeAll(() => {
  requireFreshDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-dp-code-'));
  io = iothread_create('io-code', { modules: [DATAPLANE_IOTHREAD_MODULE] });
});
afterAll(() => {
  iothread_destroy(io);
  fs.rmSync(dir, { recursive: true, force: true });
});

function rig(file: string) {
  const id = `dpc${n++}`;
  const d = new VirtioMmioTestDriver({
    legacy: false,
    device: (ram: GuestRam) => {
      const handle = virtio_blk_data_plane_create(io, { file, format: 'raw', id, readOnly: false }, { id }, ram, () => {});
      const s = new VirtIOBlock({ id, blk: handle, ops: dataPlaneBlockOps, ram, geometry: handle.geometry });
      s.dataplane = handle.dp;
      handle.dp.s = s;
      return s;
    },
  });
  const cpu = new RiscvCpu({ hartId: 0, as: d.as, getTime: () => 0 });
  // As the board does: DMA and loader writes drop decoded code.
  d.ram.codeInvalidator = (paddr, len) => cpu.invalidateCode(paddr, len);
  return { d, cpu };
}

/** The hart leaves the WFI the last program ended in and goes to `pc`. */
function restartAt(cpu: RiscvCpu, pc: number): void {
  cpu.wfiWaiting = false;
  cpu.setPc(BigInt(pc));
}

/** Run the hart at `pc` until its WFI, directly (no run loop: no remote invalidations taken). */
function runAt(cpu: RiscvCpu, pc: number): bigint {
  restartAt(cpu, pc);
  const r = cpu.run(100_000);
  expect(r.kind).toBe('wfi');
  return cpu.getGpr(A0);
}

/** One round of the emulator thread's run loop at `pc` (it takes the iothread's marks first). */
function roundAt(d: VirtioMmioTestDriver, cpu: RiscvCpu, pc: number): bigint {
  restartAt(cpu, pc);
  const exit = runRoundRobin(
    { harts: [cpu], as: d.as, updateTimers() {}, msUntilNextDeadline: () => 0 },
    { poll() {}, idle() {}, shouldExit: () => ({ kind: 'quit' }) },
  );
  expect(exit.kind).toBe('quit');
  return cpu.getGpr(A0);
}

/** A read of `len` bytes at `sector` straight into guest RAM at `addr` (served by the iothread). */
function readInto(d: VirtioMmioTestDriver, q: TestQueue, sector: number, addr: number, len: number): number {
  const hdr = blkHeader(d, VIRTIO_BLK_T_IN, sector);
  const status = d.alloc(1);
  d.put(status, Uint8Array.of(0xff));
  d.addChain(q, [
    { addr: hdr, len: 16 },
    { addr, len, write: true },
    { addr: status, len: 1, write: true },
  ]);
  d.kick(q);
  d.waitUsed(q);
  return d.bytes(status, 1)[0];
}

describe('decode cache after DMA in an iothread', () => {
  test('code read from disk into pages that ran before executes once the run loop has taken the marks', () => {
    // Sector 8: two pages of new code (a hot loop with a different step, then a constant).
    const file = imageFile(path.join(dir, `code${n++}.img`), 1 << 20, (b) => {
      b.set(loopProgram(3), 8 * 512);
      b.set(constProgram(2), 8 * 512 + 4096);
    });
    const { d, cpu } = rig(file);
    const [q] = blkStart(d);
    const pageA = d.alloc(8192, 4096);
    const pageB = pageA + 4096;
    d.put(pageA, loopProgram(1));
    d.put(pageB, constProgram(1));
    cpu.reset(BigInt(pageA));
    // Decode (and heat up) both pages.
    for (let i = 0; i < 50; i++) expect(runAt(cpu, pageA)).toBe(1000n);
    expect(runAt(cpu, pageB)).toBe(1n);

    expect(d.ram.codeDirty.pending()).toBe(false);
    expect(readInto(d, q, 8, pageA, 8192)).toBe(VIRTIO_BLK_S_OK);
    // The bytes are there, and the iothread published its marks before the used entry.
    expect(d.bytes(pageA, 28)).toEqual(loopProgram(3));
    expect(d.ram.codeDirty.pending()).toBe(true);

    // Without the run loop's check the hart still runs what it decoded before (the bug this fixes).
    expect(runAt(cpu, pageB)).toBe(1n);
    // The run loop takes the marks before its round: the new code runs, in both pages.
    expect(roundAt(d, cpu, pageB)).toBe(2n);
    expect(d.ram.codeDirty.pending()).toBe(false);
    expect(runAt(cpu, pageA)).toBe(3000n);
    for (let i = 0; i < 50; i++) expect(runAt(cpu, pageA)).toBe(3000n);
  });

  test('only the pages the device wrote are marked (data, status byte), and a second read is seen again', () => {
    const file = imageFile(path.join(dir, `code${n++}.img`), 1 << 20, (b) => {
      b.set(constProgram(7), 0);
      b.set(constProgram(9), 512);
    });
    const { d, cpu } = rig(file);
    const [q] = blkStart(d);
    const page = d.alloc(4096, 4096);
    d.put(page, constProgram(5));
    cpu.reset(BigInt(page));
    expect(runAt(cpu, page)).toBe(5n);

    const taken: Array<[number, number]> = [];
    const inv = d.ram.codeInvalidator!;
    d.ram.codeInvalidator = (paddr, len) => {
      taken.push([paddr, len]);
      inv(paddr, len);
    };
    expect(readInto(d, q, 0, page, 512)).toBe(VIRTIO_BLK_S_OK);
    expect(roundAt(d, cpu, page)).toBe(7n);
    // The data page, and the page of the status byte (allocated after the header, not in `page`).
    const pages = taken.map(([a]) => a);
    expect(pages).toContain(page);
    expect(taken.every(([a, l]) => a % 4096 === 0 && l % 4096 === 0)).toBe(true);

    expect(readInto(d, q, 1, page, 512)).toBe(VIRTIO_BLK_S_OK);
    expect(roundAt(d, cpu, page)).toBe(9n);
  });
});
