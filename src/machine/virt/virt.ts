/**
 * createVirtMachine: the `virt` board with RiscvCpu harts. See ./board.ts for the machine's
 * contract with the run loop; this file only binds the CPU model.
 */
import { RiscvCpu } from '../../target/riscv/cpu';
import { buildVirtMachine, type VirtConfig, type VirtMachine } from './board';

export { VirtConfigError, type VirtConfig, type VirtMachine, type VirtBootInfo, type ShutdownRequest } from './board';
export { virt_memmap } from './memmap';

export function createVirtMachine(config: VirtConfig): VirtMachine {
  return buildVirtMachine(config, (opts) => new RiscvCpu(opts));
}
