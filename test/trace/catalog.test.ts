/**
 * The catalog (traces/*.trace-events) parses, its formats match their argument lists, names are
 * unique, and the committed generated module is what the generator makes of it today.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseTraceEvents, parseFormat, TraceEventsSyntaxError, type TraceArgKind } from '../../src/trace/parse';
import { formatConversions } from '../../src/trace/format';
import { CATALOG_DIR, GENERATED_FILE, generateTracepointsModule, loadCatalog } from '../../src/trace/gen';

const EXPECTED_FILES = ['backtrace', 'block', 'cpu', 'file-posix', 'memory', 'syscalls', 'util', 'virtio-blk', 'virtio'].map((f) => `${f}.trace-events`);

/** Which printf conversions fit which argument kinds (as gcc's -Wformat would insist). */
const FITS: Record<TraceArgKind, RegExp> = {
  ptr: /^p$/,
  string: /^s$/,
  bool: /^[diux]$/,
  int: /^(hh|h)?[dicxX]$/,
  uint: /^(hh|h)?[uxXo]$/,
  int64: /^l[diuxX]$/,
  uint64: /^(l[diuxXo]|z[uxd])$/, // QEMU's riscv_trap prints uint64_t with PRId64
};

describe('trace-events catalog', () => {
  const decls = loadCatalog();

  test('has one file per subsystem, each parses', () => {
    expect(fs.readdirSync(CATALOG_DIR).filter((f) => f.endsWith('.trace-events')).sort()).toEqual([...EXPECTED_FILES].sort());
    for (const f of EXPECTED_FILES) expect(decls.some((d) => d.file === f), f).toBe(true);
  });

  test('names are unique', () => {
    const names = decls.map((d) => d.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  test('every format has one fitting conversion per argument', () => {
    for (const d of decls) {
      const conv = formatConversions(d.format);
      expect(conv.length, `${d.file}:${d.line} ${d.name}`).toBe(d.args.length);
      conv.forEach((c, i) => expect(c, `${d.name} arg ${d.args[i].name} (${d.args[i].type})`).toMatch(FITS[d.args[i].kind]));
    }
  });

  test("QEMU's events keep QEMU 7.2's argument lists", () => {
    const sig = (n: string) => {
      const d = decls.find((x) => x.name === n)!;
      return `${n}(${d.args.map((a) => `${a.type}${a.type.endsWith('*') ? '' : ' '}${a.name}`).join(', ')}) "${d.format}"`;
    };
    expect(sig('virtio_queue_notify')).toBe('virtio_queue_notify(void *vdev, int n, void *vq) "vdev %p n %d vq %p"');
    expect(sig('virtio_blk_handle_read')).toBe('virtio_blk_handle_read(void *vdev, void *req, uint64_t sector, size_t nsectors) "vdev %p req %p sector %lu nsectors %zu"');
    expect(sig('blk_co_preadv')).toBe('blk_co_preadv(void *blk, void *bs, int64_t offset, int64_t bytes, int flags) "blk %p bs %p offset %ld bytes %ld flags 0x%x"');
    expect(sig('thread_pool_complete')).toBe('thread_pool_complete(void *pool, void *req, void *opaque, int ret) "pool %p req %p opaque %p ret %d"');
    expect(sig('qemu_coroutine_terminate')).toBe('qemu_coroutine_terminate(void *co) "self %p"');
  });

  test('the committed generated module is up to date (else: npx tsc -p . && node scripts/gen-trace.js)', () => {
    expect(fs.readFileSync(GENERATED_FILE, 'utf8')).toBe(generateTracepointsModule(decls));
  });
});

describe('parser', () => {
  test('joins literals and expands inttypes macros', () => {
    expect(parseFormat('"a %"PRIu64" b %" PRIx32 " c"', 'x')).toBe('a %lu b %x c');
  });
  test('parses disable, void and pointers', () => {
    const [d] = parseTraceEvents('disable foo(void) "x"\nbar(const char *s, void*p) "%s %p"\n# c\n', 'f.trace-events').slice(0, 1);
    expect(d).toMatchObject({ name: 'foo', args: [], disabled: true, line: 1 });
    const b = parseTraceEvents('bar(const char *s, void*p) "%s %p"', 'f')[0];
    expect(b.args.map((a) => a.kind)).toEqual(['string', 'ptr']);
  });
  test('reports file:line on bad input', () => {
    expect(() => parseTraceEvents('\nfoo(int x "x"', 'bad.trace-events')).toThrow(TraceEventsSyntaxError);
    expect(() => parseTraceEvents('foo(float x) "%f"', 'bad.trace-events')).toThrow(/bad.trace-events:1: unsupported argument type 'float'/);
    expect(() => parseTraceEvents('foo(int x) "%d" BOGUS', 'b')).toThrow(/unexpected 'BOGUS'/);
  });
});

test('catalog files live where the package ships them', () => {
  expect(path.basename(CATALOG_DIR)).toBe('traces');
});
