/**
 * Hand-checked instructions: the public API on well-known encodings, in both alias modes and
 * with numeric register names, independent of objdump being installed.
 */
import { describe, expect, it } from 'vitest';
import { disassemble, insnLength } from '../../../../src/target/riscv/disas';

const PC = 0x80000000n;
const dis = (insn: number, opts?: { aliases?: boolean; abiNames?: boolean }): string => disassemble(insn, PC, opts);
const raw = (insn: number): string => dis(insn, { aliases: false });

describe('insnLength (Unprivileged ISA §1.5)', () => {
  it('is 4 when the low two bits are 11, else 2', () => {
    expect(insnLength(0x0513)).toBe(4);
    expect(insnLength(0x4501)).toBe(2);
    expect(insnLength(0x8082)).toBe(2);
    expect(insnLength(0x0000)).toBe(2);
  });
});

describe('RV64I', () => {
  it.each([
    [0x00000013, 'nop', 'addi zero,zero,0'],
    [0x00a00513, 'li a0,10', 'addi a0,zero,10'],
    [0x00058513, 'mv a0,a1', 'addi a0,a1,0'],
    [0xff010113, 'add sp,sp,-16', 'addi sp,sp,-16'], // binutils 2.40 prints ADDI as `add`
    [0xfff5c513, 'not a0,a1', 'xori a0,a1,-1'],
    [0x40b00533, 'neg a0,a1', 'sub a0,zero,a1'],
    [0x0005851b, 'sext.w a0,a1', 'addiw a0,a1,0'],
    [0x00b03533, 'snez a0,a1', 'sltu a0,zero,a1'],
    [0x0015b513, 'seqz a0,a1', 'sltiu a0,a1,1'],
    [0x12345537, 'lui a0,0x12345', 'lui a0,0x12345'],
    [0x00813083, 'ld ra,8(sp)', 'ld ra,8(sp)'],
    [0xfea43c23, 'sd a0,-8(s0)', 'sd a0,-8(s0)'],
    [0x00008067, 'ret', 'jalr zero,0(ra)'],
    [0x000500e7, 'jalr a0', 'jalr ra,0(a0)'],
    [0x0000006f, 'j 0x80000000', 'jal zero,0x80000000'],
    [0x008000ef, 'jal 0x80000008', 'jal ra,0x80000008'],
    [0x00050463, 'beqz a0,0x80000008', 'beq a0,zero,0x80000008'],
    [0xfeb54ee3, 'blt a0,a1,0x7ffffffc', 'blt a0,a1,0x7ffffffc'],
  ])('%s → %s / %s', (insn, alias, canonical) => {
    expect(dis(insn)).toBe(alias);
    expect(raw(insn)).toBe(canonical);
  });

  it('takes signed or unsigned 32-bit values', () => {
    expect(dis(0xff010113 | 0)).toBe('add sp,sp,-16');
  });

  it('prints numeric register names on request', () => {
    expect(dis(0xff010113, { aliases: false, abiNames: false })).toBe('addi x2,x2,-16');
    expect(dis(0x02c5f553, { abiNames: false })).toBe('fadd.d f10,f11,f12');
  });
});

describe('M, A, F, D', () => {
  it.each([
    [0x02b50533, 'mul a0,a0,a1'],
    [0x02b5453b, 'divw a0,a0,a1'],
    [0x100525af, 'lr.w a1,(a0)'],
    [0x140525af, 'lr.w.aq a1,(a0)'],
    [0x1ac5b52f, 'sc.d.rl a0,a2,(a1)'],
    [0x06c5a52f, 'amoadd.w.aqrl a0,a2,(a1)'],
    [0x02c5f553, 'fadd.d fa0,fa1,fa2'],
    [0x02c59553, 'fadd.d fa0,fa1,fa2,rtz'],
    [0x22b58553, 'fmv.d fa0,fa1'],
    [0x20b59553, 'fneg.s fa0,fa1'],
    [0xc2059553, 'fcvt.w.d a0,fa1,rtz'],
    [0xe2058553, 'fmv.x.d a0,fa1'],
    [0x00b53007, 'fld ft0,11(a0)'],
  ])('%s → %s', (insn, text) => {
    expect(dis(insn)).toBe(text);
  });
});

describe('Zicsr, fences, privileged', () => {
  it.each([
    [0xc0002573, 'rdcycle a0', 'csrrs a0,cycle,zero'],
    [0x30002573, 'csrr a0,mstatus', 'csrrs a0,mstatus,zero'],
    [0x34011073, 'csrw mscratch,sp', 'csrrw zero,mscratch,sp'],
    [0x30047073, 'csrc mstatus,8', 'csrrci zero,mstatus,8'], // binutils 2.40 prints CSRCI as `csrc`
    [0x00302573, 'frcsr a0', 'csrrs a0,fcsr,zero'],
    [0x00159073, 'fsflags a1', 'csrrw zero,fflags,a1'],
    [0x7ff02573, 'csrr a0,0x7ff', 'csrrs a0,0x7ff,zero'],
    [0x0ff0000f, 'fence', 'fence iorw,iorw'],
    [0x0230000f, 'fence r,rw', 'fence r,rw'],
    [0x8330000f, 'fence.tso', 'fence.tso'],
    [0x0000100f, 'fence.i', 'fence.i'],
    [0x00000073, 'ecall', 'ecall'],
    [0x30200073, 'mret', 'mret'],
    [0x10500073, 'wfi', 'wfi'],
    [0x12000073, 'sfence.vma', 'sfence.vma zero,zero'],
    [0x12b50073, 'sfence.vma a0,a1', 'sfence.vma a0,a1'],
    [0xc0001073, 'unimp', 'unimp'],
  ])('%s → %s / %s', (insn, alias, canonical) => {
    expect(dis(insn)).toBe(alias);
    expect(raw(insn)).toBe(canonical);
  });
});

describe('RVC', () => {
  it.each([
    [0x4501, 'li a0,0', 'c.li a0,0'],
    [0x1141, 'add sp,sp,-16', 'c.addi sp,-16'],
    [0x8082, 'ret', 'c.jr ra'],
    [0x9002, 'ebreak', 'c.ebreak'],
    [0x0001, 'nop', 'c.addi zero,0'],
    [0x0000, 'unimp', 'c.unimp'],
    [0x852e, 'mv a0,a1', 'c.mv a0,a1'],
    [0x6502, 'ld a0,0(sp)', 'c.ldsp a0,0(sp)'],
    [0xa001, 'j 0x80000000', 'c.j 0x80000000'],
  ])('%s → %s / %s', (insn, alias, canonical) => {
    expect(dis(insn)).toBe(alias);
    expect(raw(insn)).toBe(canonical);
  });

  it('ignores bits above the 16-bit parcel', () => {
    expect(dis(0x12348082)).toBe('ret');
  });
});

describe('invalid encodings print as data, like objdump', () => {
  it.each([
    [0x0004, '.2byte 0x4'], // C.ADDI4SPN with zero immediate
    [0x8000, '.2byte 0x8000'], // reserved quadrant 0 funct3 100
    [0x0000000b, '.4byte 0xb'], // custom-0
    [0xffffffff, '.4byte 0xffffffff'], // a >32-bit format: not RV64GC
    [0xd2057553, '.4byte 0xd2057553'], // fcvt.d.w with rm = dyn (binutils requires rm = 0)
  ])('%s → %s', (insn, text) => {
    expect(dis(insn)).toBe(text);
  });
});
