#!/usr/bin/env node
'use strict';
/**
 * Guest MIPS of the interpreter on a CPU-bound integer loop: 64-bit loads and stores (RAM fast
 * path through the TLB), ALU ops with carries, shifts, a compare, a taken branch. Runs in M-mode
 * (bare) and then in S-mode under Sv39 (the data TLB and fetch path as Linux uses them).
 */
const { enc: e, reg: r, asm, li, liu } = require('./lib/encode');
const { makeCpu, measure, report } = require('./lib/machine');

// s0 = buffer base, s1 = offset, a2 = accumulator; loops forever.
const body = [
  ...liu(r.s0, 0x80100000),
  e.addi(r.s1, 0, 0),
  e.addi(r.a2, 0, 1),
  'loop:',
  e.add(r.t3, r.s0, r.s1),
  e.ld(r.t0, r.t3, 0),
  e.add(r.a2, r.a2, r.t0),
  e.xor(r.t1, r.a2, r.s1),
  e.sd(r.t1, r.t3, 8),
  e.slli(r.t2, r.a2, 3),
  e.srli(r.t2, r.t2, 5),
  e.add(r.a2, r.a2, r.t2),
  e.lw(r.t4, r.t3, 16),
  e.addw(r.a3, r.a3, r.t4),
  e.sltu(r.t5, r.a3, r.a2),
  e.add(r.a4, r.a4, r.t5),
  e.addi(r.s1, r.s1, 24),
  e.andi(r.s1, r.s1, 0x7f8),
  ['jal', 0, 'loop'],
];

{
  const { cpu } = makeCpu(asm(body));
  report('int-loop, M-mode (bare)', measure(cpu));
}

// Same loop in S-mode with Sv39: a gigapage maps VA 0x8000_0000 → PA 0x8000_0000.
{
  const root = 0x80200000;
  const prologue = [
    ...li(r.t0, root >>> 12),
    e.addi(r.t1, 0, 8),
    e.slli(r.t1, r.t1, 60),
    e.or(r.t0, r.t0, r.t1),
    e.csrrw(0, 0x180, r.t0), // satp
    ...li(r.t0, 0x800), // mstatus.MPP = S
    e.csrrs(0, 0x300, r.t0),
    ...liu(r.t0, 0x80000000), // mepc = loop entry (patched below)
    0, // placeholder for addi t0, t0, entry
    e.csrrw(0, 0x341, r.t0),
    e.mret(),
  ];
  const entryIndex = prologue.length;
  prologue[prologue.length - 3] = e.addi(r.t0, r.t0, entryIndex * 4);
  const image = asm([...prologue, ...body]);
  const { as, cpu } = makeCpu(image);
  // root[2] = leaf for 0x8000_0000, V R W X A D
  as.ram.view.setBigUint64(root - 0x80000000 + 16, (0x80000000n >> 12n << 10n) | 0xcfn, true);
  report('int-loop, S-mode Sv39', measure(cpu));
}
