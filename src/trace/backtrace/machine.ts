/**
 * Telling backtraces which hart executes (QEMU's current_cpu), for the guest frames of ioeventfd
 * links: the hart that made the QueueNotify store is the one whose run slice is on the stack.
 * One hart: always that one. Several: each hart's `run` is wrapped (on the object, as
 * attach-machine.ts does for the vcpu_run tracepoints) to note the hart before its slice.
 *
 * Contract: emulator thread; call once per machine, before or after arming (the provider is only
 * consulted while armed). The wrapper costs one store per run slice.
 */
import { setGuestCpuProvider } from './arm';
import type { GuestCpu } from './guest';

interface RunnableHart extends GuestCpu {
  run(budget: number): unknown;
}

function isHart(h: unknown): h is RunnableHart {
  const o = h as Partial<Record<keyof RunnableHart, unknown>> | null;
  return typeof o === 'object' && o !== null && typeof o.run === 'function' && typeof o.getPc === 'function' && typeof o.getGpr === 'function' && typeof o.readVirt === 'function' && typeof o.hartId === 'number';
}

/** Use `machine.harts` for the guest context (harts without the debug API are ignored). */
export function attachBacktraceMachine(machine: { readonly harts: readonly unknown[] }): void {
  const harts = machine.harts.filter(isHart);
  if (harts.length === 0) return;
  if (harts.length === 1) {
    const only = harts[0];
    setGuestCpuProvider(() => only);
    return;
  }
  let current: RunnableHart = harts[0];
  for (const hart of harts) {
    const run = hart.run.bind(hart);
    (hart as { run: RunnableHart['run'] }).run = (budget: number) => {
      current = hart;
      return run(budget);
    };
  }
  setGuestCpuProvider(() => current);
}
