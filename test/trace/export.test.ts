/**
 * `vtrace export` on recordings made with the real codec (synth.ts: virtio-blk reads along the
 * spine, on the emulator thread and a pool worker), judged by things nobody here wrote: Chrome
 * DevTools' trace engine for the JSON, protobufjs with Perfetto's field numbers for the protobuf.
 * Every event's arguments are checked against the reader's own decoding (RecEvent), so the
 * exporters' byte-level encoding (escapes, UTF-8, pointers, 64-bit integers, NULL) is exact.
 * Also: time windows and filters, a slice longer than the order window, outputs big enough for
 * the writer thread, a full disk, a corrupt record.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import protobuf from 'protobufjs';
import { openRecording, VtrError, type RecEvent } from '../../src/trace/vtr-reader';
import { exportRecording, nameFilter } from '../../src/trace/export/export';
import { argKinds, encodeRecord } from '../../src/trace/event-codec';
import { ByteWriter } from '../../src/trace/varint';
import { encodeChunk } from '../../src/trace/vtr-format';
import { BASE_NS, REQUEST_NS, spineScenario, writeRecording } from './synth';
import { parseWithTraceEngine } from '../helpers/trace-engine';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const N = 40;
const rec = path.join(tmp, 'spine.vtr');
const SLICE_EVENTS = new Set([
  'vcpu_run_begin', 'vcpu_run_end', 'virtio_mmio_write_offset', 'virtio_mmio_write_end', 'main_loop_wait_begin', 'main_loop_wait_end',
  'aio_dispatch_handler', 'aio_dispatch_handler_end', 'aio_bh_call', 'aio_bh_call_end', 'coroutine_create', 'qemu_aio_coroutine_enter',
  'qemu_coroutine_yield', 'qemu_coroutine_terminate', 'worker_thread_job_begin', 'worker_thread_job_end', 'syscall_entry', 'syscall_exit',
]);

/** An event's args as the exports show them (pointers "0x..", big integers as decimal strings, NULL null). */
function expectedArgs(ev: RecEvent): Record<string, unknown> {
  const kinds = argKinds(ev.info.argTypes);
  const a: Record<string, unknown> = {};
  ev.info.argNames.forEach((n, i) => {
    const v = ev.args[i];
    a[n] = kinds[i] === 'ptr' ? `0x${(v as number | bigint).toString(16)}` : typeof v === 'bigint' ? v.toString() : (v ?? null);
  });
  if (ev.corr !== null) for (const [k, v] of Object.entries(ev.corr)) a[`corr.${k}`] = v;
  return a;
}

beforeAll(() => writeRecording(rec, spineScenario(N), { chunkEvents: 97 }));

interface ChromeEvent {
  ph: string;
  name: string;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  id?: number;
  args?: Record<string, unknown>;
}

function exportChrome(file: string, extra: Partial<Parameters<typeof exportRecording>[1]> = {}): { events: ChromeEvent[]; json: { displayTimeUnit: string; traceEvents: ChromeEvent[] } } {
  const r = openRecording(file);
  const out = path.join(tmp, `${path.basename(file)}.${Math.random().toString(36).slice(2)}.json`);
  try {
    exportRecording(r, { format: 'chrome', out, ...extra });
  } finally {
    r.close();
  }
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  return { events: json.traceEvents, json };
}

describe('Chrome JSON', () => {
  test('DevTools\' trace engine reads it without errors: threads, slices, and one flow per request across vCPU, main loop and worker', async () => {
    const { json } = exportChrome(rec);
    expect(json.displayTimeUnit).toBe('ns');
    const { data, errors } = await parseWithTraceEngine(json.traceEvents);
    expect(errors).toEqual([]);
    const names = new Map<number, string | null>();
    for (const [, p] of data.Renderer.processes) for (const [tid, th] of p.threads) names.set(tid, th.name);
    const tidOf = (name: string) => [...names].find(([, n]) => n === name)?.[0];
    expect([...names.values()]).toEqual(expect.arrayContaining(['vcpu0', 'main-loop', 'worker-1']));
    const flows = data.Flows.flows as Array<Array<{ tid: number; name: string }>>;
    expect(flows.length).toBe(N);
    for (const f of flows) {
      expect(f[0].name).toBe('virtio_mmio_write QueueNotify');
      expect(f.at(-1)!.name).toBe('vcpu_run');
      const tids = new Set(f.map((e) => e.tid));
      for (const t of ['vcpu0', 'main-loop', 'worker-1']) expect(tids.has(tidOf(t)!)).toBe(true);
      expect(f.map((e) => e.name)).toEqual(expect.arrayContaining(['aio_dispatch_handler', 'pread64', 'thread_pool_completion_bh']));
    }
  });

  test('every instant carries its event\'s arguments and correlation ids exactly, at its time', () => {
    const { events } = exportChrome(rec);
    const r = openRecording(rec);
    const want = [...r.events()].filter((e) => !SLICE_EVENTS.has(e.name));
    r.close();
    const got = events.filter((e) => e.ph === 'i');
    expect(got.length).toBe(want.length);
    const key = (name: string, ts: number, tid: number) => `${name}@${ts.toFixed(3)}@${tid}`;
    const byKey = new Map(got.map((e) => [key(e.name, e.ts, e.tid), e]));
    for (const ev of want) {
      const tid = ev.thread.index === 0 ? (ev.ns % REQUEST_NS < 1000 ? 0x7ff00000 : 1000) : 1001;
      const e = byKey.get(key(ev.name, (ev.ns - BASE_NS) / 1000, tid));
      expect(e, `${ev.name} at ${ev.ns}`).toBeDefined();
      expect(e!.args).toEqual(expectedArgs(ev));
    }
  });

  test('slices are complete events with their durations; a syscall\'s slice has the entry\'s args plus ret and path', () => {
    const { events } = exportChrome(rec);
    const x = events.filter((e) => e.ph === 'X');
    const pread = x.filter((e) => e.name === 'pread64');
    expect(pread.length).toBe(N);
    expect(pread[3].dur).toBeCloseTo(0.04, 6);
    expect(pread[3].args).toEqual({ tid: 1001, name: 'pread64', args: '5, 0x80003, 4096, 12288', 'corr.job': 503, 'corr.fd': 5, ret: '4096', path: '/img "x".raw' });
    const vcpu = x.filter((e) => e.name === 'vcpu_run');
    expect(vcpu.length).toBe(N + 1);
    expect(vcpu[0].args).toEqual({ cpu_index: 0, pc: '18446744071562072064' });
    expect(vcpu[0].dur).toBe(1);
    expect(events.filter((e) => e.ph === 'B' || e.ph === 'E')).toEqual([]);
    expect(events.filter((e) => e.ph === 'b').length).toBe(N);
    expect(events.filter((e) => e.ph === 'e').length).toBe(N);
    const counters = new Set(events.filter((e) => e.ph === 'C').map((e) => e.name));
    expect(counters).toEqual(new Set(['virtio requests in flight', 'thread-pool queue depth', 'busy workers']));
  });

  test('--from/--to and -trace filters: only the window, times from its start, filtered names gone', () => {
    const fromNs = 10 * REQUEST_NS;
    const toNs = 20 * REQUEST_NS;
    const { events } = exportChrome(rec, { fromNs, toNs, filters: [{ pattern: 'container_of', enable: false }] });
    const timed = events.filter((e) => e.ph !== 'M');
    expect(timed.length).toBeGreaterThan(100);
    for (const e of timed) {
      expect(e.ts).toBeGreaterThanOrEqual(0);
      expect(e.ts + (e.dur ?? 0)).toBeLessThanOrEqual((toNs - fromNs) / 1000);
      expect(e.name).not.toBe('container_of');
    }
    expect(nameFilter([{ pattern: 'virtio_*', enable: true }, { pattern: 'virtio_notify', enable: false }])!('virtio_notify')).toBe(false);
  });

  test('a slice open longer than the order window: written as B then E, and the file stays valid', () => {
    const long = path.join(tmp, 'long.vtr');
    const ev = spineScenario(20);
    ev.push({ thread: 0, ns: BASE_NS - 10, name: 'aio_poll_begin', args: [0x41000002, true] });
    ev.push({ thread: 0, ns: BASE_NS + 20 * REQUEST_NS + 1000, name: 'aio_poll_end', args: [0x41000002, true] });
    writeRecording(long, ev);
    const { events } = exportChrome(long, { windowItems: 50 });
    const b = events.filter((e) => e.ph === 'B');
    const e = events.filter((e) => e.ph === 'E');
    expect(b.length).toBeGreaterThan(0);
    expect(e.map((x) => `${x.name}/${x.tid}`).sort()).toEqual(b.map((x) => `${x.name}/${x.tid}`).sort());
    expect(b.map((x) => x.name)).toContain('aio_poll');
    expect(events.filter((x) => x.ph === 'i').length).toBe(exportChrome(long).events.filter((x) => x.ph === 'i').length);
  });
});

describe('Perfetto protobuf', () => {
  test('protobufjs decodes it: tracks described first, time order, balanced slices, flows that end; annotations exact', async () => {
    const out = path.join(tmp, 'spine.pftrace');
    const r = openRecording(rec);
    const want = [...r.events()].filter((e) => !SLICE_EVENTS.has(e.name));
    exportRecording(r, { format: 'perfetto', out });
    r.close();
    const root = await protobuf.load(path.join(__dirname, 'fixtures', 'perfetto_trace.proto'));
    const Trace = root.lookupType('perfetto.protos.Trace');
    type Ann = { name?: string; nameIid?: string; boolValue?: boolean; intValue?: number | string; stringValue?: string };
    type Interned = { iid: string; name: string };
    const trace = Trace.toObject(Trace.decode(fs.readFileSync(out)), { longs: String, enums: String }) as {
      packet: Array<{
        timestamp?: string;
        sequenceFlags?: number;
        internedData?: { eventCategories?: Interned[]; eventNames?: Interned[]; debugAnnotationNames?: Interned[] };
        trackDescriptor?: { uuid: string; thread?: { threadName: string } };
        trackEvent?: { type: string; trackUuid: string; name?: string; nameIid?: string; categoryIids?: string[]; flowIds?: string[]; terminatingFlowIds?: string[]; debugAnnotations?: Ann[] };
      }>;
    };
    // Interned strings (Perfetto's incremental state): defined once, before any packet using them.
    expect(trace.packet[0].sequenceFlags).toBe(1);
    const internedNames = { eventNames: new Map<string, string>(), debugAnnotationNames: new Map<string, string>(), eventCategories: new Map<string, string>() };
    const lookup = (table: Map<string, string>, iid: string | undefined, literal: string | undefined): string | undefined => {
      if (iid === undefined) return literal;
      expect(table.has(iid), `iid ${iid} defined before use`).toBe(true);
      return table.get(iid);
    };
    const categories = new Set<string>();
    const described = new Set<string>();
    const depth = new Map<string, number>();
    const flowSteps = new Map<string, number>();
    const ended = new Set<string>();
    const instants = new Map<string, Record<string, unknown>>();
    let last = 0;
    for (const p of trace.packet) {
      if (p.trackDescriptor) described.add(p.trackDescriptor.uuid);
      for (const k of ['eventNames', 'debugAnnotationNames', 'eventCategories'] as const) {
        for (const d of p.internedData?.[k] ?? []) {
          expect(internedNames[k].has(d.iid)).toBe(false);
          internedNames[k].set(d.iid, d.name);
        }
      }
      const ev = p.trackEvent;
      if (!ev) continue;
      expect(p.sequenceFlags).toBe(2); // SEQ_NEEDS_INCREMENTAL_STATE
      expect(described.has(ev.trackUuid)).toBe(true);
      ev.name = lookup(internedNames.eventNames, ev.nameIid, ev.name);
      for (const c of ev.categoryIids ?? []) categories.add(lookup(internedNames.eventCategories, c, undefined)!);
      for (const d of ev.debugAnnotations ?? []) d.name = lookup(internedNames.debugAnnotationNames, d.nameIid, d.name);
      expect(Number(p.timestamp)).toBeGreaterThanOrEqual(last);
      last = Number(p.timestamp);
      if (ev.type === 'TYPE_SLICE_BEGIN') depth.set(ev.trackUuid, (depth.get(ev.trackUuid) ?? 0) + 1);
      if (ev.type === 'TYPE_SLICE_END') {
        depth.set(ev.trackUuid, depth.get(ev.trackUuid)! - 1);
        expect(depth.get(ev.trackUuid)).toBeGreaterThanOrEqual(0);
      }
      for (const id of ev.flowIds ?? []) flowSteps.set(id, (flowSteps.get(id) ?? 0) + 1);
      for (const id of ev.terminatingFlowIds ?? []) ended.add(id);
      if (ev.type === 'TYPE_INSTANT') {
        const a: Record<string, unknown> = {};
        for (const d of ev.debugAnnotations ?? []) a[d.name!] = d.boolValue ?? (d.intValue !== undefined ? Number(d.intValue) : d.stringValue);
        instants.set(`${ev.name}@${p.timestamp}`, a);
      }
    }
    for (const d of depth.values()) expect(d).toBe(0);
    expect(categories).toEqual(new Set(['vtrace', 'vtrace.event', 'vtrace.coroutine']));
    expect(ended.size).toBe(N);
    for (const id of ended) expect(flowSteps.get(id)).toBeGreaterThanOrEqual(5);
    expect(instants.size).toBe(want.length);
    for (const ev of want) {
      const exp = Object.fromEntries(Object.entries(expectedArgs(ev)).map(([k, v]) => [k, v === null ? 'null' : v]));
      expect(instants.get(`${ev.name}@${ev.ns}`), ev.name).toEqual(exp);
    }
  });
});

describe('big outputs, errors', () => {
  const big = path.join(tmp, 'big.vtr');
  const BIG = 5000; // Perfetto output past two 4 MiB buffers
  beforeAll(() => writeRecording(big, spineScenario(BIG)));

  test('an output of many buffers (written by the writer thread) is whole and valid in both formats', async () => {
    const { events } = exportChrome(big);
    expect(events.filter((e) => e.ph === 's').length).toBe(BIG);
    const out = path.join(tmp, 'big.pftrace');
    const r = openRecording(big);
    const s = exportRecording(r, { format: 'perfetto', out });
    r.close();
    expect(fs.statSync(out).size).toBeGreaterThan(8 << 20);
    const root = await protobuf.load(path.join(__dirname, 'fixtures', 'perfetto_trace.proto'));
    const decoded = root.lookupType('perfetto.protos.Trace').decode(fs.readFileSync(out)) as unknown as { packet: unknown[] };
    expect(decoded.packet.length).toBe(s.written);
  });

  test('an existing, longer file is overwritten and cut to the new output', () => {
    const out = path.join(tmp, 'existing.json');
    fs.writeFileSync(out, Buffer.alloc(12 << 20, 0x78));
    const r = openRecording(rec);
    exportRecording(r, { format: 'chrome', out });
    r.close();
    const text = fs.readFileSync(out, 'utf8');
    expect(text.length).toBeLessThan(12 << 20);
    expect(JSON.parse(text).traceEvents.length).toBeGreaterThan(100);
  });

  test('a full disk: the error names the code and the write (small and big outputs)', () => {
    for (const file of [rec, big]) {
      const r = openRecording(file);
      try {
        expect(() => exportRecording(r, { format: 'chrome', out: '/dev/full' })).toThrow(expect.objectContaining({ code: 'ENOSPC', syscall: 'write' }));
      } finally {
        r.close();
      }
    }
  });

  test('a record naming a tracepoint outside the catalog: one line with the chunk\'s offset', () => {
    const bad = path.join(tmp, 'bad.vtr');
    writeRecording(bad, spineScenario(2), { complete: false });
    const w = new ByteWriter();
    encodeRecord(w, 9999, argKinds([]), BASE_NS + 10 * REQUEST_NS, null, []);
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0, 0);
    head.writeUInt32LE(1, 4);
    head.writeBigUInt64LE(BigInt(BASE_NS + 10 * REQUEST_NS), 8);
    head.writeBigUInt64LE(BigInt(BASE_NS + 10 * REQUEST_NS), 16);
    fs.appendFileSync(bad, encodeChunk('EVTS', Buffer.concat([head, w.bytes()])));
    const r = openRecording(bad);
    try {
      let err: unknown;
      try {
        exportRecording(r, { format: 'perfetto', out: path.join(tmp, 'bad.pftrace') });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VtrError);
      expect((err as Error).message).toMatch(/^.*bad\.vtr: corrupt recording: bad event record in the chunk at byte \d+: tracepoint index 9999 is not in the recording's catalog$/);
    } finally {
      r.close();
    }
  });
});
