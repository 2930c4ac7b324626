/**
 * F/D loads and stores and the FS state (ISA manual ch. 11–12, privileged spec §3.1.6.6):
 * NaN-boxing by FLW, FSW storing the low word, FS = Off making every FP instruction and FP CSR
 * illegal (mtval = the instruction bits), FS becoming Dirty (and SD set) on FP register writes.
 */
import { defineCases } from './helpers/cases';

defineCases([
  {
    name: 'flw NaN-boxes, fsw stores the low word, fld/fsd move 64 bits',
    body: `
test:
  la a0, buf
  li a1, 0x3f800000
  sw a1, 0(a0)
  flw fa0, 0(a0)
  fmv.x.d a2, fa0
  RES a2
  fsd fa0, 8(a0)
  ld a2, 8(a0)
  RES a2
  fsw fa0, 16(a0)
  lwu a2, 16(a0)
  RES a2
  flw fa1, 1(a0)
  fsd fa1, 24(a0)
  ld a2, 24(a0)
  RES a2
  ret
.data
.align 4
buf: .space 64
`,
    expect: [0xffffffff3f800000n, 0xffffffff3f800000n, 0x3f800000n, 0xffffffff003f8000n],
  },
  {
    name: 'FS = Off: FP loads, stores, OP-FP and FP CSRs are illegal',
    body: `
.option norvc
test:
  la a0, buf
  li t0, 0x6000
  csrc mstatus, t0
f1:
  flw fa0, 0(a0)
f2:
  fsd fa0, 0(a0)
f3:
  fadd.d fa0, fa0, fa0
f4:
  fmv.x.w a1, fa0
f5:
  csrr a1, fcsr
.option rvc
f6:
  c.fld fa0, 0(a0)
.option norvc
  li t0, 0x2000
  csrs mstatus, t0
  ret
.data
.align 4
buf: .space 64
`,
    expect: (s) => [
      0xeeee, 2, 0x00052507, s('f1'),
      0xeeee, 2, 0x00a53027, s('f2'),
      0xeeee, 2, 0x02a57553, s('f3'),
      0xeeee, 2, 0xe00505d3, s('f4'),
      0xeeee, 2, 0x003025f3, s('f5'),
      0xeeee, 2, 0x2108, s('f6'),
    ],
  },
  {
    name: 'FS dirty on FP register writes only; SD follows',
    body: `
.macro FS_CLEAN
  li t0, 0x6000
  csrc mstatus, t0
  li t0, 0x4000
  csrs mstatus, t0
.endm
.macro FS_REC
  csrr t0, mstatus
  srli t1, t0, 13
  andi t1, t1, 3
  RES t1
  srli t1, t0, 63
  RES t1
.endm
test:
  la a0, buf
  FS_CLEAN
  FS_REC
  fsd fa0, 0(a0)
  FS_REC
  feq.d a1, fa0, fa0
  FS_REC
  fadd.d fa1, fa0, fa0
  FS_REC
  FS_CLEAN
  fld fa1, 0(a0)
  FS_REC
  li t0, 0x2000
  csrs mstatus, t0
  ret
.data
.align 4
buf: .space 64
`,
    expect: [2, 0, 2, 0, 2, 0, 3, 1, 3, 1],
  },
]);
