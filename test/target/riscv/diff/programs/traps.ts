/**
 * Traps and CSRs (privileged spec ch. 3–4): illegal instructions in M/S/U, ECALL/EBREAK from each
 * mode with and without medeleg, xRET state changes (MPIE/MIE, SPP, MPRV), CSR privilege and
 * read-only rules, TVM/TSR/TW, counter-enable traps (mcounteren/scounteren), WARL write-then-read
 * probes, access faults, and software-set S-mode interrupts (SSIP, STIP) delegated or not, with
 * direct and vectored mtvec. Counters and time are only read into x0 (their values are timing).
 * mip is never read into a register: QEMU's MTIP is set from reset (mtimecmp = 0).
 */
import { MODE_HANDLERS, MODE_MACROS } from './modes';
import { assemble } from './runtime';

/** Write `val` to `csr`, read it back into t1, restore. */
const probe = (csr: string, val: string) => `
  csrr s1, ${csr}
  li t0, ${val}
  csrw ${csr}, t0
  csrr t1, ${csr}
  csrw ${csr}, s1`;

/** fadd.d f0, f1, f2 with a static rounding mode field (5, 6, 7 are reserved). */
const faddRm = (rm: number) => `.word ${((1 << 25) | (2 << 20) | (1 << 15) | (rm << 12) | 0x53) >>> 0}`;

/**
 * mstatus/sstatus patterns keep out the fields QEMU 7.2 gets wrong as an oracle (with H and V off
 * it lets VS (10:9), MPV/GVA (39:38) and UXL (33:32) be written, and keeps the reserved MPP = 2),
 * so UXL/SXL are written as 2 (their fixed RV64 value) and MPP only as legal values.
 */
const mstatusPattern = (v: bigint, mpp: bigint): string => {
  const keep = ~((3n << 9n) | (3n << 11n) | (0xffn << 32n)) & ((1n << 64n) - 1n);
  return '0x' + ((v & keep) | (0xan << 32n) | (mpp << 11n)).toString(16);
};

/**
 * WARL write-then-read probes. Where QEMU 7.2 accepts values the spec rules out for this hart
 * (medeleg[11] and H-only bits of medeleg/mideleg/mie, an odd mepc, all 64 bits of mcounteren,
 * menvcfg/senvcfg bits of absent extensions), only the legal values are written.
 */
const WARL = [
  ['mstatus', mstatusPattern(-1n, 1n)], ['mstatus', '0'], ['mstatus', mstatusPattern(0x5555555555555555n, 0n)],
  ['mstatus', mstatusPattern(0xaaaaaaaaaaaaaaaan, 3n)], ['mstatus', '0x1800'], ['mstatus', '0x800'],
  ['sstatus', mstatusPattern(-1n, 0n)], ['sstatus', '0'],
  ['misa', '-1'], ['medeleg', '0xb3ff'], ['medeleg', '0x100'], ['mideleg', '0x222'], ['mie', '0xaaa'], ['sie', '-1'],
  ['mtvec', '0x80000002'], ['mtvec', '0x80000101'], ['mtvec', '-1'], ['stvec', '0x80000003'], ['stvec', '0x80000041'], ['stvec', '-1'],
  ['mepc', '0x80000002'], ['mepc', '0xfffffffffffffffe'], ['sepc', '0xfffffffffffffffe'], ['mcause', '-1'], ['scause', '-1'],
  ['mtval', '-1'], ['stval', '-1'], ['mscratch', '-1'], ['sscratch', '-1'], ['mcounteren', '7'], ['scounteren', '5'],
  ['fcsr', '-1'], ['frm', '-1'], ['fflags', '-1'], ['frm', '5'],
  ['satp', '0x8000000000080123'], ['satp', '0x8fffffffffffffff'], ['satp', '0x9000000000080123'], ['satp', '0x1000000000080123'],
  // Sv57 (MODE 10) is left out: QEMU 7.2's rv64 accepts it, our hart implements Sv39 and Sv48
  // only and (as the spec allows for an unsupported MODE) leaves satp unchanged; Linux then
  // falls back to Sv48. MODE 1 (reserved) above checks the same WARL path.
  ['satp', '0'],
  ['menvcfg', '1'], ['senvcfg', '1'],
];

const TEXT = `
${MODE_MACROS}
${MODE_HANDLERS}

  .balign 64
vec_table:
  .option push
  .option norvc
  .rept 16
  j trap_m
  .endr
  .option pop

  .globl main
main:
  la t0, trap_s
  csrw stvec, t0

  # ---- exceptions in M (never delegated from M) ----
  li t0, 0xb3ff
  csrw medeleg, t0
  .word 0
  .word 0xffffffff
  csrr t0, 0x7c0
  csrw mvendorid, t0
  csrw cycle, t0
  csrrs t0, mhartid, zero
  csrrs t0, mvendorid, t0
  csrrsi t0, mvendorid, 0
  csrr zero, mimpid
  ecall
  ebreak
  .word 0x00100073
  unimp
  csrw medeleg, zero

  # ---- FP off (mstatus.FS = 0) and reserved rounding modes ----
  li t0, 0x6000
  csrc mstatus, t0
  fadd.d ft0, ft1, ft2
  csrr t1, fcsr
  fmv.x.d t1, ft0
  fld ft3, 0(sp)
  li t0, 0x2000
  csrs mstatus, t0
  fadd.d ft0, ft1, ft2
  fsrmi 5
  fadd.d ft0, ft1, ft2, dyn
  fsrmi 7
  fmul.s ft0, ft1, ft2
  fsrmi 0
  ${faddRm(5)}
  ${faddRm(6)}
  ${faddRm(7)}
  ${faddRm(4)}

  # ---- WARL probes ----
  ${WARL.map(([c, v]) => probe(c, v)).join('\n')}
  li t0, 0x222
  csrs mip, t0
  csrc mip, t0
  li t0, 8
  csrs misa, t0
  csrc misa, t0

  # ---- S mode: CSR privilege ----
  TO_S 1f
1:
  csrr t0, sstatus
  csrr t0, mstatus
  csrw mscratch, t0
  csrr t0, sscratch
  csrw sscratch, t0
  csrr t0, satp
  csrr t0, mhartid
  mret
  csrr zero, cycle
  csrr zero, time
  csrr zero, instret
  csrr t0, fcsr
  sfence.vma
  ecall

  # ---- counter enables: M allows S, S allows nothing to U ----
  li t0, 7
  csrw mcounteren, t0
  csrw scounteren, zero
  TO_S 2f
2:
  csrr zero, cycle
  csrr zero, time
  csrr zero, instret
  csrr zero, hpmcounter3
  li t0, 5
  csrw scounteren, t0
  S_TO_U 3f
3:
  csrr zero, cycle
  csrr zero, time
  csrr zero, instret
  csrr zero, sstatus
  csrr t0, fcsr
  csrw frm, t0
  wfi
  sret
  mret
  sfence.vma
  ecall
  csrw mcounteren, zero
  csrw scounteren, zero

  # ---- TVM, TW, TSR trap S-mode satp/sfence.vma, wfi, sret ----
  li t0, (1 << 20) | (1 << 21) | (1 << 22)
  csrs mstatus, t0
  TO_S 4f
4:
  csrr t0, satp
  csrw satp, zero
  sfence.vma
  wfi
  sret
  ecall
  li t0, (1 << 20) | (1 << 21) | (1 << 22)
  csrc mstatus, t0

  # ---- delegation of U and S exceptions to S ----
  li t0, (1 << 2) | (1 << 3) | (1 << 8)
  csrw medeleg, t0
  TO_U 5f
5:
  .word 0
  ebreak
  csrr t0, sstatus
  ecall
  .word 0xffffffff
  ebreak
  ecall
  .word 0xffffffff
  csrw medeleg, zero

  # ---- xRET state: MPRV cleared by MRET to S; SRET S→S with SPIE ----
  li t0, 1 << 17
  csrs mstatus, t0
  li t0, 0x80
  csrs mstatus, t0
  TO_S 6f
6:
  la t6, 7f
  csrw sepc, t6
  li t6, 0x120
  csrs sstatus, t6
  sret
7:
  csrci sstatus, 2
  ecall
  li t0, 0x20088
  csrc mstatus, t0

  # ---- access faults: unmapped physical addresses ----
  li t0, 0x18000
  lw t1, 0(t0)
  sd t1, 8(t0)
  jalr ra, 0(t0)
  TO_S 8f
8:
  li t0, 0x18000
  ld t1, 0(t0)
  jalr ra, 0(t0)
  ecall

  # ---- interrupts: SSIP and STIP delegated to S; SSIP to M from S, in M (vectored), and delegated from U ----
  li t0, 0x22
  csrw mideleg, t0
  csrw mie, t0
  TO_S 9f
9:
  csrsi sstatus, 2
  csrsi sip, 2
  nop
  nop
  ecall
  li t0, 0x22
  csrw mie, t0
  li t0, 0x20
  csrs mip, t0
  TO_S 10f
10:
  nop
  nop
  ecall
  li t0, 0x20
  csrc mip, t0
  csrw mideleg, zero
  csrci mstatus, 8
  li t0, 2
  csrw mie, t0
  csrs mip, t0
  nop
  TO_S 11f
11:
  nop
  ecall
  la t0, vec_table + 1
  csrw mtvec, t0
  li t0, 2
  csrw mie, t0
  csrsi mstatus, 8
  csrs mip, t0
  nop
  csrci mstatus, 8
  la t0, trap_m
  csrw mtvec, t0
  li t0, 2
  csrw mideleg, t0
  csrw mie, t0
  csrci sstatus, 2
  csrs mip, t0
  TO_U 12f
12:
  nop
  ecall
  csrw mideleg, zero
  csrw mie, zero

  # ---- interrupt priority: SSI before STI (both delegated); a non-delegated SSI before a delegated STI ----
  li t0, 0x22
  csrw mideleg, t0
  csrw mie, t0
  csrs mip, t0
  TO_S 13f
13:
  csrsi sstatus, 2
  nop
  ecall
  li t0, 0x20
  csrw mideleg, t0
  li t0, 0x22
  csrw mie, t0
  csrci mstatus, 8
  csrs mip, t0
  TO_S 14f
14:
  nop
  nop
  ecall
  li t0, 0x22
  csrc mip, t0
  csrw mideleg, zero
  csrw mie, zero

  # ---- CSRs that exist only with extensions this hart lacks (H, V): illegal ----
  csrr t0, 0x600
  csrr t0, 0x680
  csrr t0, 0xc20
  csrr t0, 0x008
  # ---- priv 1.12 / counter CSRs present on QEMU's virt hart ----
  csrr t0, mconfigptr
  csrr t0, mcountinhibit
  csrr t0, mhpmevent3
  csrr zero, mhpmcounter3
  j __diff_end
`;

export function trapsProgram(): string {
  return assemble({ text: TEXT, data: '  .zero 64' });
}
