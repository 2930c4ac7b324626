/**
 * Virtual memory (privileged spec 1.12 §4.3–4.5): Sv39 and Sv48 walks, 4 KiB pages, 2 MiB and
 * 1 GiB superpages and their alignment rule, hardware A/D updates, every page-fault cause with
 * tval, U/SUM/MXR permission rules, MPRV for M-mode loads/stores, reserved encodings, canonical
 * addresses, access faults for physical addresses where nothing is mapped, SFENCE.VMA.
 *
 * Layout used by the programs: code, data and the result area are identity-mapped by a 1 GiB
 * non-U leaf for VA 0x8000_0000 (root[2]); tests add their own mappings at VA 0x4000_0000+.
 */
import { defineCases } from './helpers/cases';
import { PTE_MACRO } from './helpers/asm';

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;

/** Page-table macros. PTE table, index, reg, flags: table[index] = PPN(reg) | flags. */
const PT_MACROS = `${PTE_MACRO}# Raw PTE value
.macro PTEV table, index, value
  li t0, \\value
  la t1, \\table
  li t2, (\\index) * 8
  add t1, t1, t2
  sd t0, 0(t1)
.endm
.macro SATP mode, root
  la t0, \\root
  srli t0, t0, 12
  li t1, (\\mode) << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
.endm
.macro IDENTITY root
  li a0, 0x80000000
  PTE \\root, 2, a0, ${V | R | W | X | A | D}
.endm
`;

/** The tables (page-aligned, in .data). */
const PT = `
.data
.align 12
pt_root: .space 4096
pt_l1: .space 4096
pt_l0: .space 4096
pt_l2: .space 4096
data_page: .space 4096
data_page2: .space 4096
`;

const PROLOGUE = `
${PT_MACROS}
.option norvc
test:
  mv s0, ra
  IDENTITY pt_root
  la a0, pt_l1
  PTE pt_root, 1, a0, ${V}
  la a0, pt_l0
  PTE pt_l1, 0, a0, ${V}
`;

const EPILOGUE = `
done:
  csrw satp, zero
  sfence.vma
  li t0, (1 << 17) | (1 << 18) | (1 << 19)
  csrc mstatus, t0
  mv ra, s0
  ret
${PT}
`;

defineCases([
  {
    name: 'Sv39 4 KiB page: translation and A/D set by the walker',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W}
  la a0, data_page
  li a1, 0x1234
  sd a1, 16(a0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40001010
  ld a1, 0(a0)
  RES a1
  la t0, pt_l0
  ld a2, 8(t0)
  andi a2, a2, 0xff
  RES a2
  li a1, 0x5678
  sd a1, 8(a0)
  ld a2, 8(t0)
  andi a2, a2, 0xff
  RES a2
  la t0, data_page
  ld a2, 24(t0)
  RES a2
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [0x1234, V | R | W | A, V | R | W | A | D, 0x5678, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'page faults: load 13, store 15, fetch 12, with tval = the virtual address',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | A}
  PTE pt_l0, 3, a0, ${V | W | A | D}
  PTE pt_l0, 4, a0, ${V | R | W | A | D}
  li a1, 0x8000000000000000 | (0x3 << 54)
  la a0, data_page
  srli a0, a0, 12
  slli a0, a0, 10
  ori a0, a0, ${V | R | W | A | D}
  or a0, a0, a1
  la t0, pt_l0
  sd a0, 5*8(t0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40002000
f1:
  ld a1, 0(a0)
  li a0, 0x40001008
f2:
  sd a1, 0(a0)
  li a0, 0x40003000
f3:
  ld a1, 0(a0)
f4:
  sd a1, 0(a0)
  li a0, 0x40005000
f5:
  ld a1, 0(a0)
  li a0, 0x4000000000
f6:
  ld a1, 0(a0)
  li a0, 0xffffffc000000000
f7:
  lw a1, 0(a0)
  la s10, back
  li a0, 0x40004000
  jr a0
back:
  csrw satp, zero
  mv ra, s0
  ret
${PT}
`,
    expect: (s) => [
      0xeeee, 13, 0x40002000, s('f1'),
      0xeeee, 15, 0x40001008, s('f2'),
      0xeeee, 13, 0x40003000, s('f3'),
      0xeeee, 15, 0x40003000, s('f4'),
      0xeeee, 13, 0x40005000, s('f5'),
      0xeeee, 13, 0x4000000000n, s('f6'),
      0xeeee, 13, 0xffffffc000000000n, s('f7'),
      0xeeee, 12, 0x40004000, 0x40004000,
    ],
  },
  {
    name: 'U bit: S-mode needs SUM to load from U pages',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W | X | U | A | D}
  la a0, data_page
  li a1, 77
  sd a1, 0(a0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40001000
f1:
  ld a1, 0(a0)
  li t0, 1 << 18
  csrs sstatus, t0
  ld a1, 0(a0)
  RES a1
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [0xeeee, 13, 0x40001000, s('f1'), 77, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'U bit: S-mode never executes U pages, even with SUM',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W | X | U | A | D}
  SATP 8, pt_root
  li t0, 1 << 18
  csrs mstatus, t0
  GOTO_MODE 1, in_s
in_s:
  la s10, done
  li a0, 0x40001000
  jr a0
${EPILOGUE}
`,
    expect: [0xeeee, 12, 0x40001000, 0x40001000],
  },
  {
    name: 'U bit: U-mode loads and fetches need U pages',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W | X | U | A | D}
  # U alias of code and data at VA 0x1_8000_0000 (root[6])
  li a0, 0x80000000
  PTE pt_root, 6, a0, ${V | R | W | X | U | A | D}
  la a0, data_page
  li a1, 77
  sd a1, 0(a0)
  SATP 8, pt_root
  li t0, 0x1800
  csrc mstatus, t0
  la t0, in_u
  li t1, 0x100000000
  add t0, t0, t1
  csrw mepc, t0
  la s10, u_back
  mret
in_u:
  li a0, 0x40001000
  ld a2, 0(a0)
  li a0, 0x80000000
f3:
  ld a1, 0(a0)
u_back:
  RES a2
  li t0, 0x1800
  csrc mstatus, t0
  la t0, in_u2
  li t1, 0x100000000
  add t0, t0, t1
  csrw mepc, t0
  la s10, done
  la a3, done
  mret
in_u2:
  jr a3
${EPILOGUE}
`,
    expect: (s) => [0xeeee, 13, 0x80000000, s('f3') + 0x100000000n, 77, 0xeeee, 12, s('done'), s('done')],
  },
  {
    name: 'MXR makes execute-only pages readable',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | X | A}
  la a0, data_page
  li a1, 99
  sd a1, 0(a0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40001000
f1:
  ld a1, 0(a0)
  li t0, 1 << 19
  csrs sstatus, t0
  ld a1, 0(a0)
  RES a1
  csrc sstatus, t0
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [0xeeee, 13, 0x40001000, s('f1'), 99, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'superpages: 2 MiB and 1 GiB leaves, misaligned PPNs fault',
    body: `
${PROLOGUE}
  li a0, 0x80800000
  PTE pt_l1, 1, a0, ${V | R | W | A | D}
  li a0, 0x80801000
  PTE pt_l1, 2, a0, ${V | R | W | A | D}
  li a0, 0x80000000
  PTE pt_root, 3, a0, ${V | R | W | A | D}
  li a0, 0x80200000
  PTE pt_root, 4, a0, ${V | R | W | A | D}
  li a0, 0x80801238
  li a1, 0x4242
  sd a1, 0(a0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40201238
  ld a1, 0(a0)
  RES a1
  li a0, 0xc0801238
  ld a1, 0(a0)
  RES a1
  li a0, 0x40400000
f1:
  ld a1, 0(a0)
  li a0, 0x100000008
f2:
  ld a1, 0(a0)
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [0x4242, 0x4242, 0xeeee, 13, 0x40400000, s('f1'), 0xeeee, 13, 0x100000008n, s('f2'), 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'Sv48: four levels, 48-bit canonical addresses',
    body: `
${PT_MACROS}
.option norvc
test:
  mv s0, ra
  la a0, pt_l2
  PTE pt_root, 0, a0, ${V}
  li a0, 0x80000000
  PTE pt_l2, 2, a0, ${V | R | W | X | A | D}
  la a0, pt_l1
  PTE pt_root, 1, a0, ${V}
  la a0, pt_l0
  PTE pt_l1, 0, a0, ${V}
  la a0, data_page
  PTE pt_l0, 0, a0, ${V}
  la a0, data_page2
  PTE data_page, 1, a0, ${V | R | W | A | D}
  la a0, data_page2
  li a1, 0x4848
  sd a1, 8(a0)
  SATP 9, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x8000001008
  ld a1, 0(a0)
  RES a1
  li a0, 0x800000000000
f1:
  ld a1, 0(a0)
  li a0, 0x8000002000
f2:
  ld a1, 0(a0)
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [0x4848, 0xeeee, 13, 0x800000000000n, s('f1'), 0xeeee, 13, 0x8000002000n, s('f2'), 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'reserved PTE encodings and a missing leaf fault',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | W | A | D}
  PTE pt_l0, 2, a0, ${V | W | X | A | D}
  PTE pt_l0, 3, a0, ${V}
  la a0, pt_l0
  PTE pt_l1, 1, a0, ${V | A}
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li a0, 0x40001000
f1:
  ld a1, 0(a0)
  li a0, 0x40002000
f2:
  sd a1, 0(a0)
  li a0, 0x40003000
f3:
  ld a1, 0(a0)
  li a0, 0x40200000
f4:
  ld a1, 0(a0)
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [
      0xeeee, 13, 0x40001000, s('f1'),
      0xeeee, 15, 0x40002000, s('f2'),
      0xeeee, 13, 0x40003000, s('f3'),
      0xeeee, 13, 0x40200000, s('f4'),
      0xeeee, 9, 0, s('done') - 4n,
    ],
  },
  {
    name: 'MPRV: M-mode loads and stores translate with MPP, fetches do not',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W | A | D}
  la a0, data_page
  li a1, 0x77
  sd a1, 0(a0)
  SATP 8, pt_root
  li t0, 0x1800
  csrc mstatus, t0
  li t0, (1 << 17) | (1 << 11)
  csrs mstatus, t0
  li a0, 0x40001000
  ld a1, 0(a0)
  RES a1
  li t0, 0x1800
  csrc mstatus, t0
f1:
  ld a1, 0(a0)
  li t0, (1 << 17)
  csrc mstatus, t0
  RESI 0x1
  j done
${EPILOGUE}
`,
    expect: (s) => [0x77, 0xeeee, 13, 0x40001000, s('f1'), 1],
  },
  {
    name: 'SFENCE.VMA makes a changed PTE visible; satp writes switch address spaces',
    body: `
${PROLOGUE}
  la a0, data_page
  PTE pt_l0, 1, a0, ${V | R | W | A | D}
  la a0, data_page
  li a1, 1
  sd a1, 0(a0)
  la a0, data_page2
  li a1, 2
  sd a1, 0(a0)
  SATP 8, pt_root
  GOTO_MODE 1, in_s
in_s:
  li s1, 0x40001000
  ld a1, 0(s1)
  RES a1
  la a0, data_page2
  PTE pt_l0, 1, a0, ${V | R | W | A | D}
  sfence.vma s1
  ld a1, 0(s1)
  RES a1
  csrw satp, zero
f1:
  ld a1, 0(s1)
  RES a1
  BACK_TO_M done
${EPILOGUE}
`,
    expect: (s) => [1, 2, 0xeeee, 5, 0x40001000, s('f1'), 2, 0xeeee, 9, 0, s('done') - 4n],
    // On QEMU's virt, physical 0x4000_1000 is the PCIe MMIO window (reads as all ones); the
    // bench maps nothing there.
    qemu: (s) => [1, 2, -1, 0xeeee, 9, 0, s('done') - 4n],
  },
  {
    name: 'access faults: loads, stores and fetches where no device or RAM answers',
    body: `
.option norvc
test:
  li a0, 0x108000
f1:
  lw a1, 0(a0)
f2:
  sw a1, 0(a0)
  li a0, 0x4000000000
f3:
  ld a1, 0(a0)
  la s10, 1f
  li a0, 0x108000
  jr a0
1:
  ret
`,
    expect: (s) => [0xeeee, 5, 0x108000, s('f1'), 0xeeee, 7, 0x108000, s('f2'), 0xeeee, 5, 0x4000000000n, s('f3'), 0xeeee, 1, 0x108000, 0x108000],
  },
]);
