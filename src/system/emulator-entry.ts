/**
 * The emulator thread's script (emulator.ts starts it): the interpreter warm-up first, then the
 * machine's modules and ./emulator-thread.ts's main.
 *
 * Why in that order: the warm-up is what makes V8 optimize the interpreter loop (cpu_exec), a
 * TurboFan compile of ~100 ms on one of V8's background threads. Until it is installed the loop
 * runs unoptimized at a few MIPS. Started before the ~200 modules of the machine, the tracer and
 * the debugger load (~80 ms) and the machine is set up (~25 ms), the compile overlaps them
 * instead of the guest's first instructions.
 *
 * Started with its data (EmulatorThread), or prestarted (prestartEmulator): then the data comes in
 * the first message, once the main thread has parsed the command line.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EmulatorPrestart, EmulatorStart, EmulatorThreadData } from './emulator-protocol';
import { warmUpCpu } from '../target/riscv/cpu';

warmUpCpu();
// Required only now (see the header).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./emulator-thread') as typeof import('./emulator-thread');
if ((workerData as EmulatorPrestart | null)?.prestart === true) {
  parentPort!.once('message', (m: EmulatorStart) => main(m.data));
} else main(workerData as EmulatorThreadData);
