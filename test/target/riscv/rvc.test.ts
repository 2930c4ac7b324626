/**
 * C extension (ISA manual ch. 16), including the RV64-only forms C.LD/C.SD/C.LDSP/C.SDSP,
 * C.ADDIW/C.SUBW/C.ADDW, the FP forms, and the reserved encodings that must trap as illegal
 * instructions with the 16-bit parcel in mtval.
 */
import { describe, expect, test } from 'vitest';
import { defineCases } from './helpers/cases';
import { DEC } from '../../../src/target/riscv/decode';
import { decode16 } from '../../../src/target/riscv/rvc';
import { Op } from '../../../src/target/riscv/ops';

defineCases([
  {
    name: 'c.li, c.lui, c.addi, c.addiw, c.addi16sp, c.addi4spn, c.mv, c.add',
    body: `
test:
  c.li a0, -32
  RES a0
  c.li a0, 31
  RES a0
  c.lui a1, 0xfffe0
  RES a1
  c.lui a1, 1
  RES a1
  c.addi a0, -1
  RES a0
  li a2, 0x7fffffff
  c.addiw a2, 1
  RES a2
  mv s0, sp
  c.addi16sp sp, -512
  sub a3, s0, sp
  RES a3
  c.addi16sp sp, 496
  sub a3, s0, sp
  RES a3
  mv sp, s0
  c.addi4spn a4, sp, 1020
  sub a4, a4, sp
  RES a4
  c.mv a5, a0
  RES a5
  c.add a5, a0
  RES a5
  ret
`,
    expect: [-32, 31, 0xfffffffffffe0000n, 0x1000, 30, 0xffffffff80000000n, 512, 16, 1020, 30, 60],
  },
  {
    name: 'c.srli, c.srai, c.andi, c.sub, c.xor, c.or, c.and, c.subw, c.addw, c.slli',
    body: `
test:
  li s0, 0x8000000000000010
  c.srli s0, 63
  RES s0
  li s0, 0x8000000000000010
  c.srai s0, 4
  RES s0
  li s0, 0x1234
  c.andi s0, -16
  RES s0
  li s0, 100
  li s1, 58
  c.sub s0, s1
  RES s0
  c.xor s0, s1
  RES s0
  c.or s0, s1
  RES s0
  c.and s0, s1
  RES s0
  li s0, 0x80000000
  li s1, 1
  c.subw s0, s1
  RES s0
  li s0, 0x7fffffff
  c.addw s0, s1
  RES s0
  li a0, 3
  c.slli a0, 62
  RES a0
  ret
`,
    expect: [1, 0xf800000000000001n, 0x1230, 42, 42 ^ 58, (42 ^ 58) | 58, ((42 ^ 58) | 58) & 58, 0x7fffffff, 0xffffffff80000000n, 0xc000000000000000n],
  },
  {
    name: 'c.lw, c.ld, c.sw, c.sd, c.lwsp, c.ldsp, c.swsp, c.sdsp',
    body: `
test:
  la s0, buf
  li s1, 0x8877665544332211
  c.sd s1, 8(s0)
  c.ld a0, 8(s0)
  RES a0
  c.lw a1, 12(s0)
  RES a1
  c.sw s1, 16(s0)
  c.ld a2, 16(s0)
  RES a2
  mv s1, sp
  mv sp, s0
  li a3, -2
  c.sdsp a3, 504(sp)
  c.ldsp a4, 504(sp)
  RES a4
  c.swsp a3, 252(sp)
  c.lwsp a5, 252(sp)
  RES a5
  mv sp, s1
  ret
.data
.align 4
buf: .space 512
`,
    expect: [0x8877665544332211n, 0xffffffff88776655n, 0x44332211n, -2, -2],
  },
  {
    name: 'c.j, c.jr, c.jalr, c.beqz, c.bnez',
    body: `
test:
  mv s1, ra
  c.li a0, 0
  c.beqz a0, 1f
  RESI 0xbad
1:
  c.bnez a0, 2f
  RESI 0x1
2:
  c.j 3f
  RESI 0xbad
3:
  la a1, 4f
  c.jalr a1
  RESI 0x3
  la a1, 5f
  c.jr a1
  RESI 0xbad
4:
  RESI 0x2
  ret
5:
  mv ra, s1
  ret
`,
    expect: [1, 2, 3],
  },
  {
    name: 'c.fld, c.fsd, c.fldsp, c.fsdsp',
    body: `
test:
  la s0, buf
  li a0, 0x400921fb54442d18
  sd a0, 0(s0)
  c.fld fa0, 0(s0)
  c.fsd fa0, 8(s0)
  ld a1, 8(s0)
  RES a1
  mv s1, sp
  mv sp, s0
  c.fldsp fa1, 0(sp)
  c.fsdsp fa1, 16(sp)
  mv sp, s1
  ld a1, 16(s0)
  RES a1
  ret
.data
.align 4
buf: .space 64
`,
    expect: [0x400921fb54442d18n, 0x400921fb54442d18n],
  },
  {
    name: 'reserved compressed encodings trap with the 16-bit parcel in mtval',
    body: `
test:
r0: .half 0x0000
r1: .half 0x0004
r2: .half 0x6101
r3: .half 0x6081
r4: .half 0x2001
r5: .half 0x4002
r6: .half 0x6002
r7: .half 0x8002
r8: .half 0x9c41
r9: .half 0x9c61
r10: .half 0x8000
brk: c.ebreak
  ret
`,
    expect: (s) => [0xeeee, 2, 0x0000, s('r0'), 0xeeee, 2, 0x0004, s('r1'), 0xeeee, 2, 0x6101, s('r2'), 0xeeee, 2, 0x6081, s('r3'), 0xeeee, 2, 0x2001, s('r4'), 0xeeee, 2, 0x4002, s('r5'), 0xeeee, 2, 0x6002, s('r6'), 0xeeee, 2, 0x8002, s('r7'), 0xeeee, 2, 0x9c41, s('r8'), 0xeeee, 2, 0x9c61, s('r9'), 0xeeee, 2, 0x8000, s('r10'), 0xeeee, 3, 0, s('brk')],
  },
]);

describe('RVC decoder table', () => {
  const cases: [number, Op][] = [
    [0x0001, Op.NOP], // c.nop
    [0x4501, Op.LI], // c.li a0, 0
    [0x852e, Op.MV], // c.mv a0, a1
    [0x9002, Op.EBREAK], // c.ebreak
    [0x8082, Op.JALR], // c.jr ra (ret)
    [0x0000, Op.ILLEGAL],
    [0x8002, Op.ILLEGAL], // c.jr x0
    [0x4002, Op.ILLEGAL], // c.lwsp x0
    [0x9c01, Op.SUBW], // c.subw s0, s0
    [0x9c21, Op.ADDW], // c.addw s0, s0
    [0x9c41, Op.ILLEGAL], // reserved misc-ALU (bit 12 = 1, funct2 = 10)
    [0x9c61, Op.ILLEGAL], // reserved misc-ALU (bit 12 = 1, funct2 = 11)
  ];
  for (const [p, op] of cases) {
    test(`0x${p.toString(16)}`, () => {
      decode16(p);
      expect(DEC[0] & 0xff).toBe(op);
    });
  }
});
