/**
 * The debug channel's contract (src/system/debug-channel.ts) with a real worker thread standing in
 * for the emulator thread: a loop that services the channel and counts its rounds, as the run
 * loop does. Requests are answered while running and while stopped; handler errors, unknown kinds
 * and untransferable results come back as rejections and the thread goes on; an interrupt stops
 * it and, while stopped, not one more round runs; step leaves the hart for the run loop; continue
 * resumes; the thread's end fails pending requests. Runs the compiled module (dist/), as vtrace does.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { createDebugChannel, DebugRequestError, type StopEvent } from '../../src/system/debug-channel';
import { REPO } from '../helpers/spawn-guest';

const WORKER = `
const { workerData } = require('node:worker_threads');
const { DebugServer } = require(workerData.module);
const rounds = new Int32Array(workerData.rounds);
const s = new DebugServer(workerData.end);
let steps = [];
let quit = false;
s.register('echo', (p) => p);
s.register('boom', () => { throw new Error('boom'); });
s.register('clone', () => () => 1);
s.register('steps', () => steps);
s.register('quit', () => { quit = true; if (s.stopped) s.resume({ kind: 'continue' }); });
while (!quit) {
  Atomics.add(rounds, 0, 1);
  s.service();
  if (s.interruptRequested()) s.stopHere({ hart: 1, reason: { kind: 'interrupted' } });
  const h = s.takeStep();
  if (h !== undefined) steps.push(h);
  Atomics.wait(rounds, 1, 0, 1);
}
`;

let worker: Worker | undefined;
afterEach(() => worker?.terminate());

function start() {
  const { client, end } = createDebugChannel();
  const rounds = new SharedArrayBuffer(8);
  worker = new Worker(WORKER, {
    eval: true,
    workerData: { end, rounds, module: path.join(REPO, 'dist', 'system', 'debug-channel.js') },
    transferList: [end.port],
  });
  const w = worker;
  w.on('exit', () => client.markExited(null));
  const count = () => Atomics.load(new Int32Array(rounds), 0);
  const next = <E extends 'stopped' | 'resumed'>(e: E) => new Promise<StopEvent | void>((r) => client.once(e, (x?: StopEvent) => r(x)));
  return { client, count, next };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('debug channel', () => {
  test('requests, errors, interrupt, a stop that stops, step, continue, exit', { timeout: 30_000 }, async () => {
    const { client, count, next } = start();
    expect(await client.request('echo' as never, { a: 1n, b: new Uint8Array([1, 2]) } as never)).toEqual({ a: 1n, b: new Uint8Array([1, 2]) });
    await expect(client.request('boom' as never)).rejects.toThrow(new DebugRequestError('boom'));
    await expect(client.request('nope' as never)).rejects.toThrow("unknown debug request 'nope'");
    await expect(client.request('clone' as never)).rejects.toThrow("'clone' result not transferable");
    await expect(client.step(0)).rejects.toThrow('the machine is running');
    expect(client.state).toEqual({ kind: 'running' });

    const stopped = next('stopped');
    client.interrupt();
    expect(await stopped).toEqual({ hart: 1, reason: { kind: 'interrupted' } });
    expect(client.state).toEqual({ kind: 'stopped', stop: { hart: 1, reason: { kind: 'interrupted' } } });
    const frozen = count();
    await sleep(300);
    expect(await client.request('echo' as never, 'while stopped' as never)).toBe('while stopped');
    expect(count()).toBe(frozen); // not one round while stopped
    client.interrupt(); // no effect: already stopped

    const resumed = next('resumed');
    await client.step(3);
    await resumed;
    await sleep(50);
    expect(await client.request('steps' as never)).toEqual([3]); // left for the run loop
    expect(count()).toBeGreaterThan(frozen);
    expect(client.state).toEqual({ kind: 'running' });

    const s2 = next('stopped');
    client.interrupt();
    await s2;
    await client.continue();
    await client.continue(); // running: no effect, no error
    const exited = new Promise<number | null>((r) => client.once('exited', r));
    await client.request('quit');
    expect(await exited).toBeNull();
    expect(client.state).toEqual({ kind: 'exited' });
    await expect(client.request('echo' as never, 1 as never)).rejects.toThrow('the machine has exited');
  });
});
