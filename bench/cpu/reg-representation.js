#!/usr/bin/env node
'use strict';
/**
 * Int32Array (lo, hi) pairs versus a BigInt64Array for the register file: the same register-to-
 * register add, shifts, unsigned compare and a small mix, written both ways, on random operands.
 * Each variant runs the kernel over a 32-register file; numbers are millions of operations per
 * second (higher is better). On Node 20 (V8 11.3) TurboFan lowers BigInt.asIntN(64, a + b) to a
 * machine add, so BigInt wins plain adds; shifts (BigInt(amount) conversions, no lowering) lose.
 */

const N = 32;
const ITER = 20_000_000;

function seedPairs(x) {
  let s = 12345;
  for (let i = 0; i < 2 * N; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    x[i] = s;
  }
}

// ---- BigInt64Array ----
function bigAdd(x, n) {
  for (let k = 0; k < n; k++) {
    const d = k & 31, a = (k + 7) & 31, b = (k + 13) & 31;
    x[d] = BigInt.asIntN(64, x[a] + x[b]);
  }
}
function bigShift(x, n) {
  for (let k = 0; k < n; k++) {
    const d = k & 31, a = (k + 7) & 31;
    x[d] = BigInt.asIntN(64, x[a] << BigInt(k & 63)); // sll with a register amount
  }
}
function bigSltu(x, n) {
  let c = 0;
  for (let k = 0; k < n; k++) {
    const a = (k + 7) & 31, b = (k + 13) & 31;
    if (BigInt.asUintN(64, x[a]) < BigInt.asUintN(64, x[b])) c++;
  }
  return c;
}

function bigSlli(x, n) {
  for (let k = 0; k < n; k++) {
    const d = k & 31, a = (k + 7) & 31;
    x[d] = BigInt.asIntN(64, x[a] << 3n); // slli by a constant
  }
}
/** A small instruction mix: add, slli 3, xor, sltu — per iteration. */
function bigMix(x, n) {
  let c = 0;
  for (let k = 0; k < n; k++) {
    const d = k & 31, a = (k + 7) & 31, b = (k + 13) & 31;
    x[d] = BigInt.asIntN(64, x[a] + x[b]);
    x[b] = BigInt.asIntN(64, x[d] << 3n);
    x[a] = x[a] ^ x[d];
    if (BigInt.asUintN(64, x[a]) < BigInt.asUintN(64, x[b])) c++;
  }
  return c;
}

// ---- Int32Array pairs ----
function pairAdd(x, n) {
  for (let k = 0; k < n; k++) {
    const d = (k & 31) << 1, a = ((k + 7) & 31) << 1, b = ((k + 13) & 31) << 1;
    const alo = x[a];
    const lo = (alo + x[b]) | 0;
    x[d + 1] = (x[a + 1] + x[b + 1] + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
    x[d] = lo;
  }
}
function pairShift(x, n) {
  for (let k = 0; k < n; k++) {
    const d = (k & 31) << 1, a = ((k + 7) & 31) << 1;
    const sh = k & 63;
    const lo = x[a], hi = x[a + 1];
    if (sh === 0) { x[d] = lo; x[d + 1] = hi; }
    else if (sh < 32) { x[d + 1] = (hi << sh) | (lo >>> (32 - sh)); x[d] = lo << sh; }
    else { x[d + 1] = lo << (sh - 32); x[d] = 0; }
  }
}
function pairSltu(x, n) {
  let c = 0;
  for (let k = 0; k < n; k++) {
    const a = ((k + 7) & 31) << 1, b = ((k + 13) & 31) << 1;
    const ah = x[a + 1] >>> 0, bh = x[b + 1] >>> 0;
    if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) c++;
  }
  return c;
}

function pairSlli(x, n) {
  for (let k = 0; k < n; k++) {
    const d = (k & 31) << 1, a = ((k + 7) & 31) << 1;
    const lo = x[a];
    x[d + 1] = (x[a + 1] << 3) | (lo >>> 29);
    x[d] = lo << 3;
  }
}
function pairMix(x, n) {
  let c = 0;
  for (let k = 0; k < n; k++) {
    const d = (k & 31) << 1, a = ((k + 7) & 31) << 1, b = ((k + 13) & 31) << 1;
    const alo = x[a];
    const lo = (alo + x[b]) | 0;
    x[d + 1] = (x[a + 1] + x[b + 1] + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
    x[d] = lo;
    x[b + 1] = (x[d + 1] << 3) | (lo >>> 29);
    x[b] = lo << 3;
    x[a] ^= x[d];
    x[a + 1] ^= x[d + 1];
    const ah = x[a + 1] >>> 0, bh = x[b + 1] >>> 0;
    if (ah < bh || (ah === bh && x[a] >>> 0 < x[b] >>> 0)) c++;
  }
  return c;
}

function time(fn, x, n) {
  fn(x, Math.min(n, 200_000)); // warm up / optimize
  const t0 = process.hrtime.bigint();
  fn(x, n);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / s / 1e6;
}

const big = new BigInt64Array(N);
const pairs = new Int32Array(2 * N);
seedPairs(pairs);
for (let i = 0; i < N; i++) big[i] = (BigInt(pairs[2 * i + 1]) << 32n) | BigInt(pairs[2 * i] >>> 0);

const rows = [
  ['add', bigAdd, pairAdd, ITER / 10],
  ['sll (register amount)', bigShift, pairShift, ITER / 10],
  ['sltu (compare)', bigSltu, pairSltu, ITER],
  ['slli 3 (constant amount)', bigSlli, pairSlli, ITER / 10],
  ['mix: add, slli, xor, sltu', bigMix, pairMix, ITER / 10],
];
for (const [name, b, p, n] of rows) {
  const mb = time(b, big, n);
  const mp = time(p, pairs, n);
  console.log(`${name.padEnd(24)} BigInt64Array ${mb.toFixed(1).padStart(7)} Mop/s   int32 pairs ${mp.toFixed(1).padStart(7)} Mop/s   (${(mp / mb).toFixed(1)}x)`);
}
