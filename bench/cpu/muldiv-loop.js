#!/usr/bin/env node
'use strict';
/**
 * Guest MIPS on a loop dominated by the M extension: 64-bit mul/mulh/mulhu, div/divu/rem/remu on
 * operands both small (double fast path) and full-width (BigInt slow path), and W forms.
 */
const { enc: e, reg: r, asm, li } = require('./lib/encode');
const { makeCpu, measure, report } = require('./lib/machine');

function loop(bigOperands) {
  const init = bigOperands
    ? [...li(r.a2, 0x7654321), e.slli(r.a2, r.a2, 36), e.addi(r.a2, r.a2, 99), ...li(r.a3, 0x12345), e.slli(r.a3, r.a3, 30), e.addi(r.a3, r.a3, 7)]
    : [...li(r.a2, 123456789), ...li(r.a3, 98765)];
  return [
    ...init,
    'loop:',
    e.mul(r.t0, r.a2, r.a3),
    e.mulh(r.t1, r.a2, r.a3),
    e.mulhu(r.t2, r.a2, r.a3),
    e.div(r.t3, r.a2, r.a3),
    e.rem(r.t4, r.a2, r.a3),
    e.divu(r.t5, r.a2, r.a3),
    e.remu(r.t6, r.a2, r.a3),
    e.mulw(r.s2, r.a2, r.a3),
    e.divw(r.s3, r.a2, r.a3),
    e.addi(r.a3, r.a3, 1),
    ['jal', 0, 'loop'],
  ];
}

for (const big of [false, true]) {
  const { cpu } = makeCpu(asm(loop(big)));
  report(`muldiv-loop, ${big ? 'full 64-bit operands' : 'operands < 2^52'}`, measure(cpu));
}
