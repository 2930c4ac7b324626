'use strict';
/**
 * Shared setup of the CPU micro-benchmarks: a bare AddressSpace (RAM at 0x8000_0000, no devices)
 * with one RiscvCpu from ../../dist, and a timing loop reporting guest MIPS.
 */
const path = require('node:path');
const DIST = path.resolve(__dirname, '../../../dist');
const { AddressSpace, GuestRam } = require(path.join(DIST, 'system/memory.js'));
const { RiscvCpu } = require(path.join(DIST, 'target/riscv/cpu.js'));

const RAM_BASE = 0x80000000;

function makeCpu(image, ramSize = 64 * 1024 * 1024) {
  const as = new AddressSpace(new GuestRam(RAM_BASE, ramSize));
  as.writePhys(RAM_BASE, image);
  const cpu = new RiscvCpu({ hartId: 0, as, getTime: () => 0 });
  cpu.reset(BigInt(RAM_BASE));
  return { as, cpu };
}

/**
 * Run `cpu` in slices of `slice` instructions for about `seconds` (after a warm-up) and
 * return guest MIPS. The program must loop forever.
 */
function measure(cpu, { seconds = 2, slice = 1_000_000, warmup = 0.5 } = {}) {
  const runFor = (s) => {
    const t0 = process.hrtime.bigint();
    const i0 = cpu.instret;
    let t;
    do {
      const r = cpu.run(slice);
      if (r.kind !== 'budget') throw new Error(`unexpected stop ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))} at pc ${cpu.getPc().toString(16)}`);
      t = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (t < s);
    return (cpu.instret - i0) / t / 1e6;
  };
  runFor(warmup);
  return runFor(seconds);
}

function report(name, mips, extra = '') {
  console.log(`${name.padEnd(40)} ${mips.toFixed(1).padStart(7)} MIPS${extra ? '  ' + extra : ''}`);
}

module.exports = { makeCpu, measure, report, RAM_BASE };
