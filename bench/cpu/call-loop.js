#!/usr/bin/env node
'use strict';
/**
 * Guest MIPS on call-heavy code: a loop calling a leaf function through jal/jalr (ret), with
 * stack pushes and pops — the pattern of kernel code (short basic blocks, many returns).
 */
const { enc: e, reg: r, asm, li, liu } = require('./lib/encode');
const { makeCpu, measure, report } = require('./lib/machine');

const prog = [
  ...liu(r.sp, 0x80400000),
  'loop:',
  ['jal', r.ra, 'f'],
  e.addi(r.a0, r.a0, 1),
  ['jal', r.ra, 'g'],
  ['jal', 0, 'loop'],
  'f:',
  e.addi(r.sp, r.sp, -16),
  e.sd(r.ra, r.sp, 8),
  e.sd(r.s0, r.sp, 0),
  e.add(r.s0, r.a0, r.a0),
  e.ld(r.s0, r.sp, 0),
  e.ld(r.ra, r.sp, 8),
  e.addi(r.sp, r.sp, 16),
  e.jalr(0, r.ra, 0),
  'g:',
  e.xor(r.a1, r.a0, r.a1),
  ['bne', r.a1, 0, 'g1'],
  e.addi(r.a1, r.a1, 1),
  'g1:',
  e.jalr(0, r.ra, 0),
];
const { cpu } = makeCpu(asm(prog));
report('call-loop (jal/ret, stack traffic)', measure(cpu));
