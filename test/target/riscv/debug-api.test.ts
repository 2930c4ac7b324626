/**
 * The debug API of cpu-api.ts as the gdb stub, the console and the lockstep tests use it:
 * register and CSR access, step(), run() budgets and stop reasons, execution breakpoints,
 * watchpoints, requestStop from a device callback, WFI idling, the SBI ecall hook, HSM halt,
 * virtual-memory inspection without A/D side effects, and exact pcs outside ±2^52.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { haveBinutils } from './helpers/asm';
import { assembleTest, makeBench, RAM_BASE, type Bench } from './helpers/machine';
import { Mip, Priv } from '../../../src/target/riscv/cpu-api';
import type { Assembled } from './helpers/asm';

const LOOP = `
.option norvc
test:
  li a0, 0
  la a1, buf
loop:
  addi a0, a0, 1
bp_here:
  sd a0, 0(a1)
load_here:
  ld a2, 0(a1)
  li t0, 100
  blt a0, t0, loop
  ret
.data
.align 4
buf: .dword 0
`;

describe.skipIf(!haveBinutils())('debug API', () => {
  let asm: Assembled;
  let b: Bench;
  const sym = (n: string) => asm.symbols.get(n)!;
  beforeAll(() => {
    asm = assembleTest(LOOP);
  });
  const fresh = () => {
    b = makeBench(asm.bin);
    return b.cpu;
  };

  test('registers, pc, CSRs, FP registers', () => {
    const cpu = fresh();
    expect(cpu.getPc()).toBe(BigInt(RAM_BASE));
    cpu.setGpr(5, 0xfedcba9876543210n);
    expect(cpu.getGpr(5)).toBe(0xfedcba9876543210n);
    cpu.setGpr(0, 5n);
    expect(cpu.getGpr(0)).toBe(0n);
    cpu.setFpr(3, 0xffffffff3f800000n);
    expect(cpu.getFpr(3)).toBe(0xffffffff3f800000n);
    expect(cpu.f[3]).toBeNaN(); // a boxed single viewed as a double
    expect(cpu.getCsr(0x301)).toBe(0x800000000014112dn);
    expect(cpu.getCsr(0x7b0)).toBeUndefined();
    expect(cpu.setCsr(0x7b0, 1n)).toBe(false);
    expect(cpu.setCsr(0x340, 0x1234n)).toBe(true);
    expect(cpu.getCsr(0x340)).toBe(0x1234n);
    // WARL rules apply to debugger writes too
    cpu.setCsr(0x304, 0xffffn);
    expect(cpu.getCsr(0x304)).toBe(0xaaan);
    cpu.setCsr(0x304, 0n);
    // FP CSRs are readable by the debugger even with FS = Off
    cpu.setCsr(0x300, 0n);
    expect(cpu.getCsr(0x003)).toBe(0n);
    cpu.setPc(0xffffffff80000000n);
    expect(cpu.getPc()).toBe(0xffffffff80000000n);
    cpu.setPriv(Priv.S);
    expect(cpu.priv).toBe(Priv.S);
  });

  test('step executes exactly one instruction', () => {
    const cpu = fresh();
    const i0 = cpu.instret;
    expect(cpu.step()).toEqual({ kind: 'stepped' });
    expect(cpu.instret - i0).toBe(1);
    expect(cpu.getPc()).toBe(BigInt(RAM_BASE) + 4n); // the auipc of 'la sp'
  });

  test('run(budget) retires exactly budget instructions', () => {
    const cpu = fresh();
    expect(cpu.run(37)).toEqual({ kind: 'budget' });
    expect(cpu.instret).toBe(37);
    cpu.run(100);
    expect(cpu.instret).toBe(137);
  });

  test('breakpoints stop before the instruction; resuming continues past it', () => {
    const cpu = fresh();
    cpu.addBreakpoint(sym('bp_here'));
    const r = cpu.run(100000);
    expect(r).toEqual({ kind: 'breakpoint', pc: sym('bp_here') });
    expect(cpu.getPc()).toBe(sym('bp_here'));
    expect(cpu.getGpr(10)).toBe(1n);
    const r2 = cpu.run(100000);
    expect(r2).toEqual({ kind: 'breakpoint', pc: sym('bp_here') });
    expect(cpu.getGpr(10)).toBe(2n);
    expect(cpu.step()).toEqual({ kind: 'stepped' });
    expect(cpu.getPc()).toBe(sym('load_here'));
    cpu.removeBreakpoint(sym('bp_here'));
    b.runToEnd();
    expect(b.finished()).toBe(true);
  });

  test('write watchpoint stops after the store; read watchpoint before the load', () => {
    const cpu = fresh();
    cpu.addWatchpoint({ id: 1, addr: sym('buf'), len: 8, type: 'write' });
    const r = cpu.run(100000);
    expect(r).toEqual({ kind: 'watchpoint', type: 'write', addr: sym('buf'), id: 1 });
    expect(cpu.getPc()).toBe(sym('load_here'));
    expect(b.as.ram.view.getBigUint64(Number(sym('buf')) - RAM_BASE, true)).toBe(1n);
    cpu.removeWatchpoint(1);
    cpu.addWatchpoint({ id: 2, addr: sym('buf') + 4n, len: 1, type: 'read' });
    const r2 = cpu.run(100000);
    expect(r2).toEqual({ kind: 'watchpoint', type: 'read', addr: sym('buf'), id: 2 });
    expect(cpu.getPc()).toBe(sym('load_here'));
    const a2 = cpu.getGpr(12);
    const r3 = cpu.run(100000);
    expect(r3.kind).toBe('watchpoint');
    expect(cpu.getPc()).toBe(sym('load_here'));
    expect(cpu.getGpr(12)).not.toBe(a2); // the first load completed on resume
    cpu.removeWatchpoint(2);
    b.runToEnd();
    expect(b.finished()).toBe(true);
  });

  test('requestStop from a device callback stops at the next instruction boundary', () => {
    const cpu = fresh();
    const r = b.cpu.run(10_000_000);
    // The finisher's write handler calls requestStop().
    expect(r).toEqual({ kind: 'interrupted' });
    expect(b.finished()).toBe(true);
    const pc = cpu.getPc();
    expect(cpu.run(10)).toEqual({ kind: 'budget' });
    expect(cpu.getPc()).toBe(pc); // parked in the "j 4b" loop after the finisher
  });
});

describe.skipIf(!haveBinutils())('run loop contract', () => {
  test('WFI returns {kind: wfi} until an enabled interrupt is pending', () => {
    const asm = assembleTest(`
.option norvc
test:
  li t0, 0x80
  csrw mie, t0
w:
  wfi
after:
  RESI 1
  ret
`);
    const b = makeBench(asm.bin);
    const cpu = b.cpu;
    expect(cpu.run(1000)).toEqual({ kind: 'wfi' });
    expect(cpu.getPc()).toBe(asm.symbols.get('after'));
    expect(cpu.run(1000)).toEqual({ kind: 'wfi' });
    cpu.setInterruptPending(Mip.SSIP, true);
    cpu.setCsr(0x344, 0n);
    expect(cpu.run(1000)).toEqual({ kind: 'wfi' }); // SSIE not enabled
    cpu.setInterruptPending(Mip.MTIP, true); // MIE = 0: wakes, no trap
    cpu.run(100000);
    expect(b.finished()).toBe(true);
  });

  test('ecallHandler completes S-mode ECALLs; unhandled ones trap', () => {
    const asm = assembleTest(`
.option norvc
test:
  mv s0, ra
  GOTO_MODE 1, in_s
in_s:
  li a7, 0x10
  ecall
  RES a0
  li a7, 0x99
  la s10, back
e:
  ecall
back:
  mv ra, s0
  ret
`);
    const b = makeBench(asm.bin);
    let calls = 0;
    b.cpu.ecallHandler = (hart) => {
      calls++;
      if (hart.getGpr(17) !== 0x10n) return false;
      hart.setGpr(10, 0x42n);
      return true;
    };
    b.runToEnd();
    expect(calls).toBe(2);
    expect(b.out().split('\n').slice(0, 5)).toEqual(['0000000000000042', '000000000000eeee', '0000000000000009', '0000000000000000', asm.symbols.get('e')!.toString(16).padStart(16, '0')]);
  });

  test('a halted hart does not run', () => {
    const asm = assembleTest('test:\n  ret\n');
    const b = makeBench(asm.bin);
    b.cpu.halted = true;
    expect(b.cpu.run(100)).toEqual({ kind: 'wfi' });
    expect(b.cpu.instret).toBe(0);
  });

  test('translate/readVirt/writeVirt follow satp and leave A/D alone', () => {
    const asm = assembleTest(`
.option norvc
test:
  li t0, 0x800000000
  csrw satp, zero
  ret
.data
.align 12
root: .space 4096
l1: .space 4096
l0: .space 4096
page: .space 4096
`);
    const b = makeBench(asm.bin);
    const cpu = b.cpu;
    const s = (n: string) => Number(asm.symbols.get(n)!);
    const v = b.as.ram.view;
    const pte = (table: number, idx: number, pa: number, flags: number) =>
      v.setBigUint64(table - RAM_BASE + idx * 8, (BigInt(pa >>> 12) << 10n) | BigInt(flags), true);
    pte(s('root'), 1, s('l1'), 1);
    pte(s('l1'), 0, s('l0'), 1);
    pte(s('l0'), 5, s('page'), 0x7); // V R W, A = D = 0
    cpu.setCsr(0x180, (8n << 60n) | BigInt(s('root') >>> 12));
    cpu.setPriv(Priv.S);
    expect(cpu.translate(0x40005010n, 'load')).toBe(BigInt(s('page') + 0x10));
    expect(cpu.translate(0x40006010n, 'load')).toBeUndefined();
    expect(cpu.translate(0x40005010n, 'fetch')).toBeUndefined();
    expect(cpu.writeVirt(0x40006ffen, new Uint8Array([1, 2, 3, 4]))).toBe(false);
    expect(cpu.writeVirt(0x40005010n, new Uint8Array([1, 2, 3, 4]))).toBe(true);
    expect(Array.from(cpu.readVirt(0x40005010n, 4)!)).toEqual([1, 2, 3, 4]);
    expect(v.getUint8(s('l0') - RAM_BASE + 5 * 8) & 0xc0).toBe(0); // A/D untouched
    cpu.setPriv(Priv.M);
    expect(cpu.translate(0x40005010n, 'load')).toBe(0x40005010n);
  });

  test('jumps outside ±2^52 keep the exact address in mepc/mtval', () => {
    const asm = assembleTest(`
.option norvc
test:
  mv s1, ra
  la s10, back
  li a0, 0x123456789abcdef0
  jr a0
back:
  mv ra, s1
  ret
`);
    const b = makeBench(asm.bin);
    b.runToEnd();
    expect(b.out().split('\n').slice(0, 4)).toEqual(['000000000000eeee', '0000000000000001', '123456789abcdef0', '123456789abcdef0']);
  });
});
