/**
 * Block accounting for `info blockstats` (QEMU block/accounting.c: BlockAcctStats as the device
 * keeps it with block_acct_start/done/merge). vtrace's I/O path does not account by itself, so the
 * console derives it from virtio-blk's tracepoints: virtio_blk_handle_read/write start a request
 * (bytes = nsectors × 512), virtio_blk_rw_complete ends it (its time goes to *_total_time_ns),
 * virtio_blk_submit_multireq counts merges (num_reqs - 1), and bdrv_co_flush_to_disk on the drive's
 * protocol node counts a flush. idle_time_ns is the time since the last completion.
 *
 * Counting starts when `start()` is called: at `vtrace debug` startup (before `run`, so the numbers
 * cover the whole run) or at the first `info blockstats` otherwise; the tracepoints it needs stay on
 * from then (they cost one sink call per request stage).
 *
 * A dataplane device's requests are traced in its iothread: the console's accounting starts one
 * there too (remote-state.ts: the iothread's debug agent runs a BlockAccounting of its own over
 * that thread's tracepoints and devices), and `info blockstats` asks it for that drive's line.
 *
 * Contract: the emulator thread (the console's), or an iothread's debug agent (withIOThreads false).
 */
import { addTraceSink, type AnyTracepoint, type TraceEvent } from '../trace/tracepoint';
import type { BlockBackend } from '../block/block-backend';
import { remoteBlockstats, startRemoteAccounting } from './remote-state';
import type { TraceBreaks } from './trace-break';
import type { StateTree } from './tree';
import { addressOf } from './values';

export interface BlockAcctStats {
  rd_bytes: number;
  wr_bytes: number;
  rd_operations: number;
  wr_operations: number;
  flush_operations: number;
  wr_total_time_ns: bigint;
  rd_total_time_ns: bigint;
  flush_total_time_ns: bigint;
  rd_merged: number;
  wr_merged: number;
  /** process.hrtime of the last completion; null before any. */
  last_done: bigint | null;
}

const EVENTS = ['virtio_blk_handle_read', 'virtio_blk_handle_write', 'virtio_blk_rw_complete', 'virtio_blk_submit_multireq', 'bdrv_co_flush_to_disk'];

function empty(): BlockAcctStats {
  return { rd_bytes: 0, wr_bytes: 0, rd_operations: 0, wr_operations: 0, flush_operations: 0, wr_total_time_ns: 0n, rd_total_time_ns: 0n, flush_total_time_ns: 0n, rd_merged: 0, wr_merged: 0, last_done: null };
}

export class BlockAccounting {
  private started = false;
  private readonly stats = new Map<string, BlockAcctStats>();
  /** In-flight requests: req id → drive, direction, start. */
  private readonly inflight = new Map<number, { drive: string; write: boolean; start: bigint }>();
  /** vdev ids seen, and their drives (an id names one device for the thread's lifetime). */
  private readonly vdevs = new Map<number, string>();

  constructor(
    private readonly tree: StateTree,
    private readonly breaks: TraceBreaks,
    /** Also count in the iothreads (the console's accounting; an agent's counts its own thread only). */
    private readonly withIOThreads = true,
  ) {}

  get running(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    addTraceSink((ev, tp) => this.event(ev, tp));
    this.breaks.require(EVENTS);
    if (this.withIOThreads) startRemoteAccounting();
  }

  /** The drive a vdev id (tracepoint `vdev %p`) belongs to. */
  private driveOfVdev(id: number): string | undefined {
    const known = this.vdevs.get(id);
    if (known !== undefined) return known;
    for (const d of this.tree.devices()) {
      if (addressOf(d.vdev) !== id) continue;
      this.vdevs.set(id, d.drive);
      return d.drive;
    }
    return undefined;
  }

  private driveOfNode(id: number): string | undefined {
    for (const blk of this.tree.drives()) {
      const file = blk.root?.bs.file?.bs ?? blk.root?.bs;
      if (file !== undefined && addressOf(file) === id) return blk.name;
    }
    return undefined;
  }

  private of(drive: string): BlockAcctStats {
    let s = this.stats.get(drive);
    if (s === undefined) this.stats.set(drive, (s = empty()));
    return s;
  }

  private event(ev: TraceEvent, tp: AnyTracepoint): void {
    const a = ev.args;
    switch (tp.name) {
      case 'virtio_blk_handle_read':
      case 'virtio_blk_handle_write': {
        const drive = this.driveOfVdev(Number(a[0]));
        if (drive === undefined) return;
        const write = tp.name === 'virtio_blk_handle_write';
        const bytes = Number(a[3]) * 512;
        const s = this.of(drive);
        if (write) (s.wr_operations++, (s.wr_bytes += bytes));
        else (s.rd_operations++, (s.rd_bytes += bytes));
        this.inflight.set(Number(a[1]), { drive, write, start: ev.ns });
        return;
      }
      case 'virtio_blk_rw_complete': {
        const r = this.inflight.get(Number(a[1]));
        if (r === undefined) return;
        this.inflight.delete(Number(a[1]));
        const s = this.of(r.drive);
        if (r.write) s.wr_total_time_ns += ev.ns - r.start;
        else s.rd_total_time_ns += ev.ns - r.start;
        s.last_done = ev.ns;
        return;
      }
      case 'virtio_blk_submit_multireq': {
        const drive = this.driveOfVdev(Number(a[0]));
        const num = Number(a[3]);
        if (drive === undefined || num < 2) return;
        const s = this.of(drive);
        if (a[6] === true || a[6] === 1) s.wr_merged += num - 1;
        else s.rd_merged += num - 1;
        return;
      }
      case 'bdrv_co_flush_to_disk': {
        const drive = this.driveOfNode(Number(a[0]));
        if (drive === undefined) return;
        const s = this.of(drive);
        s.flush_operations++;
        s.last_done = ev.ns;
        return;
      }
    }
  }

  statsOf(blk: BlockBackend): BlockAcctStats {
    return this.stats.get(blk.name) ?? empty();
  }

  /** The `info blockstats` line of drive `id`, counted here or in the iothread that serves it; undefined while it does not exist. */
  lineOf(id: string): string | undefined {
    const blk = this.tree.drives().find((b) => b.name === id);
    if (blk !== undefined) return this.line(blk);
    return this.withIOThreads ? remoteBlockstats(id) : undefined;
  }

  /** QEMU's `info blockstats` line for a drive. */
  line(blk: BlockBackend): string {
    const s = this.statsOf(blk);
    const idle = s.last_done === null ? 0n : process.hrtime.bigint() - s.last_done;
    return (
      `${blk.name}: rd_bytes=${s.rd_bytes} wr_bytes=${s.wr_bytes} rd_operations=${s.rd_operations} wr_operations=${s.wr_operations} ` +
      `flush_operations=${s.flush_operations} wr_total_time_ns=${s.wr_total_time_ns} rd_total_time_ns=${s.rd_total_time_ns} ` +
      `flush_total_time_ns=${s.flush_total_time_ns} rd_merged=${s.rd_merged} wr_merged=${s.wr_merged} idle_time_ns=${idle}`
    );
  }
}
