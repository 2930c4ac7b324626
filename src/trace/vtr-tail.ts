/**
 * Following a recording while it is written (the live `vtrace strace -- ...`): each poll() reads
 * the chunks completed since the last one and returns their events, per chunk in the thread's
 * order (not merged across threads: the caller reorders what it prints). A chunk is taken only
 * once it is whole and passes its checksum; a cut chunk is retried at the next poll.
 *
 * Contract: one reader per file, on any thread; poll() never blocks beyond the reads it does.
 * Throws VtrError for a file that is not a recording (bad magic) or a corrupt chunk.
 */
import * as fs from 'node:fs';
import { ByteReader } from './varint';
import { argKinds, decodeRecord } from './event-codec';
import { CHUNK_HEADER, EVTS_HEADER, HEADER_FIXED, VTR_MAGIC, crc32, type VtrHeader, type VtrThread } from './vtr-format';
import { VtrError, type RecEvent } from './vtr-reader';
import type { TraceArgKind } from './parse';

export class VtrTail {
  header: VtrHeader | null = null;
  readonly threads = new Map<number, VtrThread>();
  /** True once the ENDS chunk was read. */
  ended = false;
  lost = 0;
  private fd = -1;
  private pos = 0;
  private kinds: TraceArgKind[][] = [];

  constructor(readonly path: string) {}

  private read(pos: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    const n = fs.readSync(this.fd, b, 0, len, pos);
    return b.subarray(0, n);
  }

  /** New events since the last call ([] while the file does not exist yet). */
  poll(): RecEvent[] {
    if (this.fd < 0) {
      try {
        this.fd = fs.openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    if (this.header === null) {
      const fixed = this.read(0, HEADER_FIXED);
      if (fixed.length < HEADER_FIXED) return [];
      if (!fixed.subarray(0, 8).equals(VTR_MAGIC)) throw new VtrError(`${this.path}: not a vtrace recording (.vtr): bad magic`);
      const len = fixed.readUInt32LE(12);
      const json = this.read(HEADER_FIXED, len);
      if (json.length < len) return [];
      this.header = JSON.parse(json.toString('utf8')) as VtrHeader;
      this.kinds = this.header.catalog.map((c) => argKinds(c.argTypes));
      this.pos = HEADER_FIXED + len;
    }
    const out: RecEvent[] = [];
    const header = this.header;
    const kindsOf = (id: number): readonly TraceArgKind[] | undefined => this.kinds[id];
    while (!this.ended) {
      const h = this.read(this.pos, CHUNK_HEADER);
      if (h.length < CHUNK_HEADER) break;
      const tag = h.toString('latin1', 0, 4);
      const len = h.readUInt32LE(4);
      const payload = this.read(this.pos + CHUNK_HEADER, len);
      if (payload.length < len) break;
      if (crc32(payload) !== h.readUInt32LE(8)) throw new VtrError(`${this.path}: corrupt recording: the ${tag} chunk at byte ${this.pos} fails its checksum`);
      this.pos += CHUNK_HEADER + len;
      if (tag === 'THRD') {
        const t = JSON.parse(payload.toString('utf8')) as VtrThread;
        this.threads.set(t.index, t);
      } else if (tag === 'LOST') {
        this.lost += (JSON.parse(payload.toString('utf8')) as { count: number }).count;
      } else if (tag === 'ENDS') {
        this.ended = true;
      } else if (tag === 'EVTS') {
        const thread = this.threads.get(payload.readUInt32LE(0));
        if (thread === undefined) throw new VtrError(`${this.path}: corrupt recording: events of an unknown thread`);
        const r = new ByteReader(payload, EVTS_HEADER);
        while (r.pos < r.end) {
          const d = decodeRecord(r, kindsOf);
          const info = header.catalog[d.tpId];
          out.push({ name: info.name, tpId: d.tpId, info, ns: d.ns, thread, args: d.args, corr: d.corr });
        }
      }
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
