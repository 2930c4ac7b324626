import { expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ByteRing } from '../../src/util/byte-ring';

test('push/shift keep order and never overfill', () => {
  const r = new ByteRing(8);
  expect(r.push(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe(7); // one slot stays free
  expect(r.available()).toBe(7);
  const got: number[] = [];
  for (let b = r.shift(); b >= 0; b = r.shift()) got.push(b);
  expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(r.push(new Uint8Array([10, 11]))).toBe(2); // wraps around
  expect([r.shift(), r.shift(), r.shift()]).toEqual([10, 11, -1]);
});

test('a consumer blocked in wait() in another thread wakes on push', async () => {
  const r = new ByteRing(64);
  // The worker runs plain JS (no TS loader): it reimplements only the consumer's view of the layout.
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    const hdr = new Int32Array(workerData, 0, 4);
    const data = new Uint8Array(workerData, 16);
    const seq = Atomics.load(hdr, 2);
    parentPort.postMessage('waiting');
    const res = Atomics.wait(hdr, 2, seq, 10000);
    parentPort.postMessage({ res, byte: data[Atomics.load(hdr, 0)] });
  `;
  const w = new Worker(src, { eval: true, workerData: r.sab });
  const result = await new Promise<{ res: string; byte: number }>((resolve) => {
    w.on('message', (m) => {
      if (m === 'waiting') setTimeout(() => r.push(new Uint8Array([42])), 200);
      else resolve(m);
    });
  });
  await w.terminate();
  expect(result).toEqual({ res: 'ok', byte: 42 });
});
