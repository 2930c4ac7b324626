/**
 * Entry of the emulator thread: builds the machine from the options (QEMU's system/vl.c role),
 * then runs the vCPUs round-robin (./cpus.ts) until poweroff, reset-to-exit or quit.
 * Console output is batched per round and posted to the front end; input arrives in a ByteRing.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ControlMessage, EmulatorEvent, EmulatorThreadData, SerializableExit } from './emulator-protocol';
import { ByteRing } from '../util/byte-ring';
import { runRoundRobin, type RunExit, type RunHooks } from './cpus';
import { createMachine, MachineSetupError } from './machine-setup';

function post(ev: EmulatorEvent): void {
  parentPort!.postMessage(ev);
}

function main(): void {
  const data = workerData as EmulatorThreadData;
  const input = new ByteRing(data.serialInput);
  let out: number[] = [];
  let shutdown: RunExit | undefined;
  let quit = false;

  let machine;
  try {
    machine = createMachine(data.options, {
      write: (bytes) => {
        for (const b of bytes) out.push(b);
      },
      onShutdown: (r) => {
        shutdown = r;
      },
      input,
    });
  } catch (e) {
    if (e instanceof MachineSetupError) {
      post({ type: 'error', message: e.message });
      return;
    }
    throw e;
  }
  if (machine === 'dtb-dumped') {
    post({ type: 'dtb-dumped', path: data.options.dumpDtb! });
    return;
  }

  const flush = () => {
    if (out.length > 0) {
      post({ type: 'serial', data: Uint8Array.from(out) });
      out = [];
    }
  };
  const start = performance.now();
  const instret0 = machine.harts.reduce((a, h) => a + h.instret, 0);
  const m = machine;
  const hooks: RunHooks = {
    poll() {
      m.pollInput();
      flush();
      for (let m = receiveMessageOnPort(data.control); m !== undefined; m = receiveMessageOnPort(data.control)) {
        const msg = m.message as ControlMessage;
        if (msg.type === 'quit') quit = true;
      }
    },
    idle(ms) {
      const seq = input.seq();
      if (input.available() > 0) return;
      input.wait(seq, ms);
    },
    shouldExit(): RunExit | undefined {
      if (shutdown !== undefined) return shutdown;
      if (quit) return { kind: 'quit' };
      return undefined;
    },
  };
  let exit = runRoundRobin(m, hooks);
  while (exit.kind === 'reset') {
    shutdown = undefined;
    m.reset();
    exit = runRoundRobin(m, hooks);
  }
  flush();
  const serial: SerializableExit = exit.kind === 'stopped' ? { kind: 'stopped', hart: exit.hart, reason: exit.reason.kind } : exit;
  post({
    type: 'exit',
    exit: serial,
    instructions: machine.harts.reduce((a, h) => a + h.instret, 0) - instret0,
    seconds: (performance.now() - start) / 1000,
  });
}

main();
