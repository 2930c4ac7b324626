/**
 * SiFive test finisher ("sifive,test0"/"sifive,test1") as QEMU's hw/misc/sifive_test.c: one
 * register at offset 0. Writing it ends the run:
 *
 *   low 16 bits 0x3333  FINISHER_FAIL  exit with the code in bits 31:16
 *   low 16 bits 0x5555  FINISHER_PASS  power off, exit code 0
 *   low 16 bits 0x7777  FINISHER_RESET reset the machine
 *
 * Linux drives it through syscon-poweroff / syscon-reboot (the FDT's regmap to this node), OpenSBI
 * through its sifive_test reset driver. Other values are guest errors; reads return 0.
 * The callback runs on the machine thread, inside the guest's store: it must only record the
 * request (the machine halts the harts and the run loop leaves at the end of the round).
 */
import type { MemoryRegion } from '../../system/memory';
import { registerTableOps, type RegisterTable } from '../core/register-table';

export const FINISHER_FAIL = 0x3333;
export const FINISHER_PASS = 0x5555;
export const FINISHER_RESET = 0x7777;

export type ShutdownRequest = { kind: 'poweroff'; code: 0 } | { kind: 'fail'; code: number } | { kind: 'reset'; code: 0 };

export class SifiveTest {
  readonly region: MemoryRegion;
  readonly table: RegisterTable;

  constructor(
    private readonly onShutdown: (r: ShutdownRequest) => void,
    private readonly onGuestError: (msg: string) => void = () => {},
  ) {
    this.table = registerTableOps(
      'riscv.sifive.test',
      [
        // Linux's syscon regmap writes 32 bits; OpenSBI writes 16 (writew): both reach `write`.
        { offset: 0, size: 4, name: 'finisher', read: () => 0, write: (v) => this.write(v) },
      ],
      onGuestError,
    );
    // Accept the 16-bit store too (QEMU's valid.min_access_size = 2): the table ignores writes narrower
    // than a register, so route a 2-byte write at offset 0 here ourselves.
    const tableOps = this.table.ops;
    this.region = {
      name: 'riscv.sifive.test',
      size: 0x1000,
      ops: {
        read: (offset, size) => tableOps.read(offset, size),
        write: (offset, size, value) => (offset === 0 && size === 2 ? this.write(value) : tableOps.write(offset, size, value)),
      },
    };
  }

  /** sifive_test_write */
  private write(value: number): void {
    const status = value & 0xffff;
    const code = (value >>> 16) & 0xffff;
    switch (status) {
      case FINISHER_FAIL:
        this.onShutdown({ kind: 'fail', code });
        return;
      case FINISHER_PASS:
        this.onShutdown({ kind: 'poweroff', code: 0 });
        return;
      case FINISHER_RESET:
        this.onShutdown({ kind: 'reset', code: 0 });
        return;
      default:
        this.onGuestError(`riscv.sifive.test: write of unknown status 0x${value.toString(16)}`);
    }
  }
}
