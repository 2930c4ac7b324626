/** Spot checks of the CSR name table (Privileged ISA 20211203 §2.2, Tables 2.2–2.6). The full
 *  4096-entry table is compared with objdump in objdump-system.test.ts. */
import { expect, it } from 'vitest';
import { csrName } from '../../../../src/target/riscv/disas/csr-names';

it('names standard CSRs', () => {
  const known: Array<[number, string]> = [
    [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'],
    [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'], [0x106, 'scounteren'], [0x10a, 'senvcfg'],
    [0x140, 'sscratch'], [0x141, 'sepc'], [0x142, 'scause'], [0x143, 'stval'], [0x144, 'sip'],
    [0x14d, 'stimecmp'], [0x180, 'satp'],
    [0x300, 'mstatus'], [0x301, 'misa'], [0x302, 'medeleg'], [0x303, 'mideleg'], [0x304, 'mie'],
    [0x305, 'mtvec'], [0x306, 'mcounteren'], [0x30a, 'menvcfg'], [0x340, 'mscratch'], [0x341, 'mepc'],
    [0x342, 'mcause'], [0x343, 'mtval'], [0x344, 'mip'], [0x3a0, 'pmpcfg0'], [0x3af, 'pmpcfg15'],
    [0x3b0, 'pmpaddr0'], [0x3ef, 'pmpaddr63'], [0xf11, 'mvendorid'], [0xf12, 'marchid'],
    [0xf13, 'mimpid'], [0xf14, 'mhartid'], [0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret'],
    [0xc03, 'hpmcounter3'], [0xc1f, 'hpmcounter31'], [0xc9f, 'hpmcounter31h'], [0xb03, 'mhpmcounter3'],
    [0x323, 'mhpmevent3'], [0x73f, 'mhpmevent31h'], [0x7a0, 'tselect'], [0x7a1, 'tdata1'],
    [0x7a3, 'tdata3'], [0x7b0, 'dcsr'], [0x7b1, 'dpc'],
  ];
  for (const [num, name] of known) expect(csrName(num), `0x${num.toString(16)}`).toBe(name);
});

it('leaves unassigned numbers unnamed', () => {
  for (const num of [0x000, 0x004, 0x101, 0x307, 0x3f0, 0x7ff, 0xc23, 0xfff]) expect(csrName(num)).toBeUndefined();
});
