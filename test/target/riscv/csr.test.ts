/**
 * Zicsr and the machine/supervisor CSRs (privileged spec 1.12 ch. 2–4): WARL masks, views
 * (sstatus/sie/sip), side effects (FS dirty, SD), access rules (privilege, read-only, predicates,
 * counter enables, TVM), and CSRs that must not exist. `qemu` lists QEMU 7.2's (h=false) values
 * where vtrace follows the spec instead (see the report in cpu.ts's header).
 */
import { defineCases } from './helpers/cases';

const ALL = 0xffffffffffffffffn;

defineCases([
  {
    name: 'identification CSRs',
    body: `
test:
  csrr a0, misa
  RES a0
  csrr a0, mvendorid
  RES a0
  csrr a0, marchid
  RES a0
  csrr a0, mimpid
  RES a0
  csrr a0, mhartid
  RES a0
  csrr a0, mconfigptr
  RES a0
  ret
`,
    expect: [0x800000000014112dn, 0, 0, 0, 0, 0],
    qemu: [0x800000000014112dn, 0, 0x70216, 0x70216, 0, 0],
  },
  {
    name: 'mstatus and sstatus WARL masks, SD, UXL/SXL read-only',
    body: `
test:
  li a0, -1
  csrw mstatus, a0
  csrr a1, mstatus
  csrr a2, sstatus
  li a0, 0x2000
  csrw mstatus, a0
  RES a1
  RES a2
  csrr a1, mstatus
  RES a1
  li a0, -1
  csrw sstatus, a0
  csrr a1, sstatus
  csrr a2, mstatus
  li a0, 0x2000
  csrw mstatus, a0
  RES a1
  RES a2
  ret
`,
    expect: [0x8000000a007e7faan, 0x80000002000c6722n, 0x0000000a00002000n, 0x80000002000c6722n, 0x8000000a000c6722n],
    // QEMU 7.2 lets software write UXL (any nonzero value) and MPV/GVA even without H.
    qemu: [0x800000cb007e7faan, 0x80000003000c6722n, 0x0000000b00002000n, 0x80000003000c6722n, 0x8000000b000c6722n],
  },
  {
    name: 'mstatus.MPP is WARL: the reserved value 2 keeps the old MPP',
    body: `
test:
  li a0, 0x1800
  csrs mstatus, a0
  li a0, 0x1000
  csrc mstatus, a0
  csrr a1, mstatus
  srli a1, a1, 11
  andi a1, a1, 3
  RES a1
  ret
`,
    expect: [1],
    qemu: [1],
  },
  {
    name: 'FS: dirty tracking, SD, fcsr/fflags/frm split',
    body: `
test:
  li a0, 0x6000
  csrc mstatus, a0
  li a0, 0x2000
  csrs mstatus, a0
  csrr a1, mstatus
  srli a1, a1, 63
  RES a1
  li a0, 0xff
  csrw fcsr, a0
  csrr a1, fflags
  RES a1
  csrr a1, frm
  RES a1
  csrr a1, mstatus
  srli a2, a1, 63
  RES a2
  srli a1, a1, 13
  andi a1, a1, 3
  RES a1
  csrwi frm, 2
  csrwi fflags, 1
  csrr a1, fcsr
  RES a1
  li a0, 0x6000
  csrc mstatus, a0
  li a0, 0x2000
  csrs mstatus, a0
  la a0, val
  fld fa0, 0(a0)
  csrr a1, mstatus
  srli a1, a1, 13
  andi a1, a1, 3
  RES a1
  ret
.data
.align 3
val: .dword 0
`,
    expect: [0, 0x1f, 7, 1, 3, 0x41, 3],
  },
  {
    name: 'interrupt CSR masks: medeleg, mideleg, mie, mip, sie, sip',
    body: `
test:
  li a0, -1
  csrw medeleg, a0
  csrr a1, medeleg
  RES a1
  csrw medeleg, zero
  csrw mideleg, a0
  csrr a1, mideleg
  RES a1
  csrw mie, a0
  csrr a1, mie
  RES a1
  csrr a1, sie
  RES a1
  csrw mip, a0
  csrr a1, mip
  andi a1, a1, 0x777
  RES a1
  csrr a1, sip
  RES a1
  csrw mip, zero
  csrw sie, zero
  csrr a1, mie
  RES a1
  li a0, 0x20
  csrw mideleg, a0
  li a0, -1
  csrw sie, a0
  csrr a1, mie
  RES a1
  csrw sip, a0
  csrr a1, mip
  andi a1, a1, 0x777
  RES a1
  csrw mie, zero
  csrw mideleg, zero
  ret
`,
    expect: [0xb3ff, 0x222, 0xaaa, 0x222, 0x222, 0x222, 0x888, 0x8a8, 0],
    // QEMU 7.2 also accepts the H extension's bits (medeleg 20-23, VS*/SGEI interrupts) and
    // LCOFI, and delegating ECALL-from-M (bit 11); the spec makes them read-only zero here.
    qemu: [0xf0bfff, 0x2666, 0x2eee, 0x2222, 0x666, 0x2222, 0xccc, 0xcec, 0],
  },
  {
    name: 'mtvec/stvec WARL modes, mepc/sepc bit 0, 64-bit scratch/cause/tval',
    body: `
test:
  csrr s0, mtvec
  li a0, 0x80001003
  csrw mtvec, a0
  csrr a1, mtvec
  sub a1, a1, s0
  RES a1
  li a0, 0x80001001
  csrw stvec, a0
  li a0, 0x80001002
  csrw stvec, a0
  csrr a1, stvec
  RES a1
  li a0, -1
  csrw mepc, a0
  csrr a1, mepc
  RES a1
  csrw sepc, a0
  csrr a1, sepc
  RES a1
  csrw mscratch, a0
  csrr a1, mscratch
  RES a1
  la a0, m_scratch
  csrw mscratch, a0
  li a0, -1
  csrw mcause, a0
  csrr a1, mcause
  RES a1
  csrw stval, a0
  csrr a1, stval
  RES a1
  ret
`,
    expect: [0, 0x80001001, ALL - 1n, ALL - 1n, ALL, ALL, ALL],
    // QEMU 7.2 keeps bit 0 of xepc (the spec hardwires it to zero with IALIGN = 16).
    qemu: [0, 0x80001001, ALL, ALL, ALL, ALL, ALL],
  },
  {
    name: 'satp: Sv39/Sv48/Bare accepted, other modes leave satp unchanged',
    body: `
test:
  li a0, 0x8000ffffffffffff
  csrw satp, a0
  csrr a1, satp
  RES a1
  li a0, 0x9000000000000123
  csrw satp, a0
  csrr a1, satp
  RES a1
  li a0, 0xa000000000000456
  csrw satp, a0
  csrr a1, satp
  RES a1
  li a0, 0xf000000000000456
  csrw satp, a0
  csrr a1, satp
  RES a1
  li a0, 0x1000000000000456
  csrw satp, a0
  csrr a1, satp
  RES a1
  csrw satp, zero
  csrr a1, satp
  RES a1
  ret
`,
    expect: [0x8000ffffffffffffn, 0x9000000000000123n, 0x9000000000000123n, 0x9000000000000123n, 0x9000000000000123n, 0],
    // QEMU 7.2 implements Sv57 (MODE 10).
    qemu: [0x8000ffffffffffffn, 0x9000000000000123n, 0xa000000000000456n, 0xa000000000000456n, 0xa000000000000456n, 0],
  },
  {
    name: 'counter-enable, envcfg and inhibit registers',
    body: `
test:
  li a0, -1
  csrw mcounteren, a0
  csrr a1, mcounteren
  RES a1
  csrw scounteren, a0
  csrr a1, scounteren
  RES a1
  csrw menvcfg, a0
  csrr a1, menvcfg
  RES a1
  csrw senvcfg, a0
  csrr a1, senvcfg
  RES a1
  csrw mcountinhibit, a0
  csrr a1, mcountinhibit
  RES a1
  csrw mcountinhibit, zero
  csrw mcounteren, zero
  csrw scounteren, zero
  ret
`,
    expect: [0xffffffff, 0xffffffff, 1, 1, 0xfffffffd],
    // QEMU 7.2 stores 64 bits of the counter enables and mcountinhibit, and exposes
    // Zicbo*/Svpbmt/Sstc enables in menvcfg.
    qemu: [ALL, ALL, 0xc0000000000000f1n, 0xf1, ALL],
  },
  {
    name: 'cycle/instret advance; mcountinhibit.IR freezes minstret; mcycle is writable',
    body: `
test:
  csrr a0, instret
  nop
  csrr a1, instret
  sltu a2, a0, a1
  RES a2
  li a0, 4
  csrs mcountinhibit, a0
  csrr a0, minstret
  nop
  nop
  csrr a1, minstret
  sub a2, a1, a0
  RES a2
  csrc mcountinhibit, a0
  li a0, 1000
  csrw mcycle, a0
  csrr a1, mcycle
  sub a1, a1, a0
  li a2, 100000
  sltu a1, a1, a2
  RES a1
  ret
`,
    expect: [1, 0, 1],
  },
  {
    name: 'hpm counters and events read as zero; no debug triggers',
    body: `
test:
  li a0, -1
  csrw mhpmcounter3, a0
  csrr a1, mhpmcounter3
  RES a1
  csrw mhpmcounter31, a0
  csrr a1, mhpmcounter31
  RES a1
  csrw mhpmevent3, a0
  csrr a1, mhpmevent3
  RES a1
  csrw tselect, a0
  csrr a1, tselect
  RES a1
  csrr a1, tdata1
  RES a1
  ret
`,
    expect: [0, 0, 0, 0, 0],
    qemu: 'skip', // QEMU 7.2: 16 writable counters (3..18), illegal 19..31, two mcontrol triggers
  },
  {
    name: 'CSRs that do not exist on this hart trap as illegal with the instruction in mtval',
    // mstatush, menvcfgh, pmpcfg1/3 (RV32 only), pmpaddr16, dcsr (debug mode), hstatus (no H),
    // scountovf (no Sscofpmf), cycleh (RV32 only), 0xb01 (no such counter)
    body: `
test:
c0: csrr a0, 0x310
c1: csrr a0, 0x31a
c2: csrr a0, 0x3a1
c3: csrr a0, 0x3a3
c4: csrr a0, 0x3c0
c5: csrr a0, 0x7b0
c6: csrr a0, 0x600
c7: csrr a0, 0xda0
c8: csrr a0, 0xc80
c9: csrr a0, 0xb01
  ret
`,
    expect: (s) => [0xeeee, 2, 0x31002573, s('c0'), 0xeeee, 2, 0x31a02573, s('c1'), 0xeeee, 2, 0x3a102573, s('c2'), 0xeeee, 2, 0x3a302573, s('c3'), 0xeeee, 2, 0x3c002573, s('c4'), 0xeeee, 2, 0x7b002573, s('c5'), 0xeeee, 2, 0x60002573, s('c6'), 0xeeee, 2, 0xda002573, s('c7'), 0xeeee, 2, 0xc8002573, s('c8'), 0xeeee, 2, 0xb0102573, s('c9')],
  },
  {
    name: 'read-only CSRs: writes trap, reads and csrrs/csrrc with x0 do not',
    body: `
test:
w1:
  csrw mvendorid, zero
  csrs cycle, zero
  csrr a0, cycle
  csrrs a0, mhartid, zero
  csrrci a0, mimpid, 0
w2:
  csrrsi a0, mimpid, 1
  RESI 1
  ret
`,
    expect: (s) => [0xeeee, 2, 0xf1101073, s('w1'), 0xeeee, 2, 0xf130e573, s('w2'), 1],
  },
]);
