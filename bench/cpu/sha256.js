#!/usr/bin/env node
'use strict';
/**
 * A CPU-bound guest workload end to end: bare-metal SHA-256 of 16 MiB of zeros (lib/sha256-bare.c,
 * prebuilt as lib/sha256-bare.bin), in M-mode. Reports vtrace's time and guest MIPS, checks the
 * digest against node:crypto, and, when qemu-system-riscv64 is installed, runs the same image
 * under QEMU's TCG for the ratio vtrace/QEMU (lower is better). JIT threshold from
 * VTRACE_JIT_THRESHOLD (default: the built-in one).
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { makeCpu, RAM_BASE } = require('./lib/machine');

const BIN = path.join(__dirname, 'lib/sha256-bare.bin');
const image = new Uint8Array(fs.readFileSync(BIN));
const expected = crypto.createHash('sha256').update(Buffer.alloc(16 << 20)).digest('hex');

function runVtrace() {
  const { as, cpu } = makeCpu(image);
  let done = false;
  as.addRegion(0x100000, {
    name: 'riscv.sifive.test',
    size: 0x1000,
    ops: { read: () => 0, write: (_o, _s, v) => { if ((v & 0xffff) === 0x5555) { done = true; cpu.requestStop(); } } },
  });
  const t0 = process.hrtime.bigint();
  while (!done) {
    const r = cpu.run(10_000_000);
    if (r.kind !== 'budget' && r.kind !== 'interrupted') throw new Error(`unexpected stop ${r.kind}`);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const dv = as.ram.view;
  let hex = '';
  for (let i = 0; i < 8; i++) hex += dv.getUint32(0x200000 + 4 * i, true).toString(16).padStart(8, '0');
  if (hex !== expected) throw new Error(`wrong digest ${hex}, expected ${expected}`);
  return { s, mips: cpu.instret / s / 1e6 };
}

function runQemu() {
  const args = ['-M', 'virt', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-device', `loader,file=${BIN},addr=0x80000000`];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('qemu-system-riscv64', args, { stdio: 'ignore', timeout: 120_000 });
  if (r.error || r.status !== 0) return undefined;
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const runs = Number(process.env.BENCH_REPEAT || 3);
const v = [];
for (let i = 0; i < runs; i++) v.push(runVtrace());
v.sort((a, b) => a.s - b.s);
const best = v[0];
let line = `sha256 16 MiB, bare metal                 ${best.s.toFixed(2)} s, ${best.mips.toFixed(1)} MIPS (best of ${runs})`;
const q = [];
for (let i = 0; i < runs; i++) {
  const t = runQemu();
  if (t !== undefined) q.push(t);
}
if (q.length) {
  q.sort((a, b) => a - b);
  line += `; QEMU ${q[0].toFixed(2)} s (incl. startup); ratio ${(best.s / q[0]).toFixed(1)}x`;
}
console.log(line);
void RAM_BASE;
