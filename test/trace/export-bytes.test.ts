/**
 * The byte-level pieces of recording and export against independent references: JSON.stringify
 * and JavaScript's own number printing, BigInt arithmetic, protobufjs's varint encoder; records
 * encoded by the recorder's fast path decoded by both readers (decodeRecord and RecordView).
 */
import { describe, expect, test } from 'vitest';
import protobuf from 'protobufjs';
import { putHex64, putJsonBytes, putMicros, putU64, putInt, putHex } from '../../src/trace/export/bytes';
import { closeLen2, putVarint64 } from '../../src/trace/export/protobuf';
import { argKinds, decodeRecord, encodeRecord, kindCodes } from '../../src/trace/event-codec';
import { RecordView } from '../../src/trace/record-view';
import { ByteReader, ByteWriter } from '../../src/trace/varint';

const text = (f: (b: Uint8Array, p: number) => number): string => {
  const b = new Uint8Array(4096);
  return Buffer.from(b.subarray(0, f(b, 0))).toString('utf8');
};

/** A deterministic stream of awkward 64-bit values: edges, powers of two ± 1, pseudo-random. */
function* int64s(): Generator<bigint> {
  const edges = [0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 48n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n];
  for (const e of edges) {
    yield e;
    yield -e;
  }
  yield -(2n ** 63n);
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 3000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    yield BigInt.asIntN(64, x >> BigInt(i % 60));
  }
}

describe('text', () => {
  test('µs with ns precision prints as JavaScript prints ns / 1000', () => {
    for (const ns of [0, 1, 10, 999, 1000, 1001, 123456789, 1_000_000_000_123, 987_654_321_987_654, -5, -123456]) {
      expect(text((b, p) => putMicros(b, p, ns))).toBe(String(ns / 1000));
    }
    // Beyond ~10^15 ns a double cannot hold every ns: the text is exact, and reads as the same number.
    expect(Number(text((b, p) => putMicros(b, p, 9_007_199_254_740_991)))).toBe(9_007_199_254_740_991 / 1000);
  });

  test('integers and hex, up to 64 bits, print as BigInt prints them', () => {
    for (const v of int64s()) {
      const m = v < 0n ? -v : v;
      const hi = Number(m >> 32n);
      const lo = Number(m & 0xffffffffn);
      expect(text((b, p) => putU64(b, p, hi, lo))).toBe(m.toString());
      expect(text((b, p) => putHex64(b, p, hi, lo))).toBe(m.toString(16));
      if (m <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(text((b, p) => putInt(b, p, Number(v)))).toBe(v.toString());
        expect(text((b, p) => putHex(b, p, Number(m)))).toBe(m.toString(16));
      }
    }
    expect(text((b, p) => putU64(b, p, 0xffffffff, 0xffffffff))).toBe('18446744073709551615');
  });

  test('JSON strings from UTF-8 bytes read back as the string (all control bytes, quotes, UTF-8)', () => {
    const all = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('') + 'ünïcödé € 𝄞 "\\';
    for (const s of [all, '', 'plain', '\u2028\u2029']) {
      const u = Buffer.from(s, 'utf8');
      expect(JSON.parse(text((b, p) => putJsonBytes(b, p, u, 0, u.length)))).toBe(s);
    }
  });
});

describe('protobuf', () => {
  test('int64 varints equal protobufjs\'s encoding', () => {
    for (const v of int64s()) {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) continue;
      const ours = new Uint8Array(16);
      const n = putVarint64(ours, 0, Number(v));
      const theirs = protobuf.Writer.create().int64(Number(v)).finish();
      expect([...ours.subarray(0, n)]).toEqual([...theirs]);
    }
  });

  test('two-byte lengths are the redundant varint protobufjs reads back', () => {
    const b = new Uint8Array(200);
    b[0] = 0x0a; // field 1, length-delimited
    b.set(Buffer.from('hello'), 3);
    expect(closeLen2(b, 3, 8)).toBe(true);
    const r = protobuf.Reader.create(b.subarray(0, 8));
    expect(r.uint32()).toBe(0x0a);
    expect(Buffer.from(r.bytes()).toString()).toBe('hello');
  });
});

describe('records: the recorder\'s encoder and both decoders', () => {
  test('every integer width, strings and lengths either side of 128 bytes round-trip through decodeRecord and RecordView', () => {
    const kinds = argKinds(['int64_t', 'uint64_t', 'void *', 'bool', 'const char *', 'int']);
    const codes = kindCodes(kinds);
    const w = new ByteWriter(64);
    const view = new RecordView();
    let i = 0;
    for (const v of int64s()) {
      const num = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      const unsigned = BigInt.asUintN(64, v);
      const str = i % 7 === 0 ? null : 'x'.repeat(i % 300) + (i % 11 === 0 ? 'é"\n' : '');
      const args = [num, unsigned <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(unsigned) : unsigned, i * 16, i % 2 === 0, str, (i % 5) - 2];
      w.reset();
      const corr = i % 3 === 0 ? null : { req: i, fd: i % 9 };
      const len = encodeRecord(w, 5, kinds, 1_700_000_000_000_000 + i, corr, args);
      expect(len).toBe(w.pos);
      const d = decodeRecord(new ByteReader(w.bytes()), () => kinds);
      expect(d.args).toEqual(args);
      expect(d.corr).toEqual(corr);
      view.parse(w.buf, 0, w.pos, [, , , , , codes]);
      expect(view.next).toBe(len);
      expect(view.ns).toBe(1_700_000_000_000_000 + i);
      expect([0, 1, 2, 3, 4, 5].map((k) => view.value(k))).toEqual(args);
      expect(view.correlation()).toEqual(corr);
      for (const k of [0, 1]) {
        view.num(k);
        if (view.wide) {
          view.parts(k);
          const exact = (view.neg ? -1n : 1n) * ((BigInt(view.hi) << 32n) | BigInt(view.lo));
          expect(exact).toBe(BigInt(args[k] as number | bigint));
        }
      }
      i++;
    }
  });

  test('a record cut short is an error for the in-place reader too', () => {
    const kinds = argKinds(['const char *']);
    const w = new ByteWriter();
    encodeRecord(w, 0, kinds, 1, null, ['abc']);
    expect(() => new RecordView().parse(w.buf, 0, w.pos - 2, [kindCodes(kinds)])).toThrow(/past the end/);
    expect(() => new RecordView().parse(w.buf, 0, w.pos, [])).toThrow(/not in the recording's catalog/);
  });
});
