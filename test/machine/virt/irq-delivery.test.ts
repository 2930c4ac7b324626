/**
 * Interrupt delivery from the UART through the PLIC to a real RiscvCpu hart on the virt board,
 * with tiny hand-encoded M-mode programs (no toolchain needed). Regression tests for "typed input is
 * never processed under OpenSBI" (Linux stuck in plic_handle_irq, claim returning 0 forever):
 *
 *  1. OpenSBI's M-mode timer path does `csrs mip, STIP` (sbi_timer_process) and `csrc mip, STIP`
 *     (sbi_timer_event_start). If that read-modify-write runs while the PLIC drives SEIP, the
 *     hardware SEIP must not be copied into the software-writable SEIP bit: "only the
 *     software-writable SEIP bit participates in the read-modify-write sequence of a CSRRS or CSRRC
 *     instruction" (privileged spec §3.1.9; QEMU passes rs1 as the write mask, so rmw_mip64 leaves
 *     software_seip alone). Otherwise mip.SEIP stays high after the PLIC drops its line.
 *  2. The run loop must not put the host to sleep when the console poll between slices has just
 *     raised an interrupt that ends a hart's WFI (QEMU's rr loop re-checks cpu_has_work before it
 *     waits). That sleep lasted until the next timer deadline, so the UART interrupt and the timer
 *     interrupt became pending together — exactly the window that triggers (1).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';
import { createVirtMachine, type VirtMachine } from '../../../src/machine/virt/virt';
import { runRoundRobin } from '../../../src/system/cpus';

// ---- a minimal RV64 encoder for the few instructions used here
const T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11, A2 = 12, T3 = 28;
const lui = (rd: number, imm20: number) => ((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37;
const addi = (rd: number, rs1: number, imm: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
const store = (f3: number) => (rs2: number, rs1: number, off: number) =>
  (((off >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((off & 0x1f) << 7) | 0x23;
const sb = store(0);
const sw = store(2);
const lbu = (rd: number, rs1: number, off: number) => ((off & 0xfff) << 20) | (rs1 << 15) | (4 << 12) | (rd << 7) | 0x03;
const csrOp = (f3: number) => (rd: number, csr: number, rs1: number) => (csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73;
const csrrw = csrOp(1);
const csrrs = csrOp(2);
const csrrc = csrOp(3);
const WFI = 0x10500073;
const J_SELF = 0x0000006f; // jal x0, 0
const MIE = 0x304;
const MIP = 0x344;

const SEIP = 1 << 9;
const STIP = 1 << 5;
const UART0_IRQ = 10;

/** PLIC: priority[10] = 1 and source 10 enabled for `context` (0 = hart 0 M, 1 = hart 0 S); t3 = UART base. */
const plicUartSetup = (context: number) => [
  lui(T0, 0x0c000),
  addi(T1, 0, 1),
  sw(T1, T0, 4 * UART0_IRQ),
  lui(T2, 0x0c002),
  addi(T1, 0, 1 << UART0_IRQ),
  sw(T1, T2, 0x80 * context),
  lui(T3, 0x10000),
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-irq-'));
let progs = 0;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A virt machine (-bios none) whose hart 0 starts the program at the RAM base in M-mode. */
function machine(words: number[], serial = new MemoryCharBackend()): VirtMachine {
  const file = path.join(tmp, `prog${progs++}.bin`);
  const buf = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => buf.writeUInt32LE(w >>> 0, i * 4));
  fs.writeFileSync(file, buf);
  return createVirtMachine({ ramSize: 16 * 2 ** 20, smp: 1, bios: 'none', kernel: file, serial, onShutdown: () => {}, rngSeed: null });
}

const reg = (m: VirtMachine, r: number) => Number(m.harts[0].getGpr(r));

describe('UART → PLIC → hart interrupt delivery', () => {
  // OpenSBI's two read-modify-writes of mip while the UART's THRE interrupt holds SEIP high.
  // Regression: helper_csrrw once computed CSRRS/CSRRC from the mip value read, SEIP line
  // included, so write_mip latched the line into the software SEIP bit and Linux under OpenSBI
  // spun in plic_handle_irq (privileged spec §3.1.9: only the software bit takes part).
  for (const [name, rmw] of [
    ['csrs mip, STIP (sbi_timer_process)', csrrs],
    ['csrc mip, STIP (sbi_timer_event_start)', csrrc],
  ] as const) {
    test(`${name} while the PLIC drives SEIP does not latch SEIP`, () => {
      const m = machine([
        ...plicUartSetup(1),
        addi(T1, 0, 0x02),
        sb(T1, T3, 1), // IER = THRI: THR is empty, so the UART raises IRQ 10 → SEIP
        csrrs(A0, MIP, 0), // a0 = mip
        addi(T1, 0, STIP),
        rmw(0, MIP, T1),
        csrrs(A1, MIP, 0), // a1 = mip
        sb(0, T3, 1), // IER = 0: the UART drops its line, the source is no longer pending
        csrrs(A2, MIP, 0), // a2 = mip
        J_SELF,
      ]);
      m.harts[0].run(1000);
      expect(reg(m, A0) & SEIP).toBe(SEIP); // the PLIC line shows in mip
      expect(reg(m, A1) & SEIP).toBe(SEIP);
      expect(reg(m, A1) & STIP).toBe(rmw === csrrs ? STIP : 0);
      expect(reg(m, A2) & SEIP).toBe(0); // line low, software bit never written: SEIP clear
      expect(m.harts[0].getCsr(MIP)! & BigInt(SEIP)).toBe(0n);
    });
  }

  test('the software-writable SEIP bit is set and cleared by writes naming it, and OR-ed with the line', () => {
    const m = machine([
      ...plicUartSetup(1),
      addi(T1, 0, 0x200),
      csrrs(0, MIP, T1), // software SEIP = 1
      csrrs(A0, MIP, 0),
      addi(T2, 0, 0x02),
      sb(T2, T3, 1), // UART line high as well
      csrrc(0, MIP, T1), // software SEIP = 0; the line keeps SEIP up
      csrrs(A1, MIP, 0),
      sb(0, T3, 1), // line low
      csrrs(A2, MIP, 0),
      csrrw(0, MIP, T1), // csrrw: software SEIP = 1 again
      csrrs(A2 + 1, MIP, 0), // a3
      J_SELF,
    ]);
    m.harts[0].run(1000);
    expect(reg(m, A0) & SEIP).toBe(SEIP);
    expect(reg(m, A1) & SEIP).toBe(SEIP);
    expect(reg(m, A2) & SEIP).toBe(0);
    expect(reg(m, A2 + 1) & SEIP).toBe(SEIP);
  });

  test('console input delivered between slices wakes a hart in WFI without an idle sleep first', () => {
    const serial = new MemoryCharBackend();
    const m = machine(
      [
        ...plicUartSetup(0),
        addi(T1, 0, 0x01),
        sb(T1, T3, 1), // IER = RDI
        lui(T1, 0x1), // 0x1000 …
        addi(T1, T1, -0x800), // … - 0x800 = MEIE
        csrrs(0, MIE, T1),
        WFI, // mstatus.MIE = 0: wakes on MEIP without taking a trap
        lbu(A0, T3, 0), // a0 = RBR
        J_SELF,
      ],
      serial,
    );
    let fed = false;
    let rounds = 0;
    const idles: number[] = [];
    const exit = runRoundRobin(m, {
      poll() {
        m.pollInput();
        // The first round ran the set-up and parked the hart in WFI: type a key now, as the
        // emulator thread's poll does when the terminal's bytes arrive.
        if (!fed) {
          serial.feed('x');
          fed = true;
        }
      },
      idle: (ms) => void idles.push(ms),
      shouldExit: () => (reg(m, A0) === 0x78 || ++rounds > 20 ? { kind: 'quit' } : undefined),
    });
    expect(exit.kind).toBe('quit');
    expect(reg(m, A0)).toBe(0x78);
    // MEIP was pending and enabled after the poll: the hart had work, so no sleep (it used to
    // sleep until the next timer deadline, at most maxIdleMs).
    expect(idles).toEqual([]);
  });
});
