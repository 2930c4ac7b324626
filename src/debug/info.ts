/**
 * The `info` views of emulator state, in the formats of their originals:
 *   info qtree       QEMU HMP (qdev_print): buses, devices, properties, mmio ranges
 *   info block       QEMU HMP: "hd0 (#block123): disk.img (raw)", Attached to, Cache mode, Backing file
 *   info blockstats  QEMU HMP: one line of BlockAcctStats per drive (acct.ts)
 *   info iothreads   QEMU HMP: id, thread_id, poll parameters
 *   info coroutines  vtrace: the coroutines in flight (QEMU's gdb script `qemu coroutine` shows one)
 *   info threads     gdb: the host threads (main, emulator, pool workers, iothreads)
 *   x/FMT ADDR       gdb's x on guest-physical memory
 *
 * Contract: emulator thread; read-only (reads are quiet: no rwatch fires). Errors are thrown as
 * ConsoleError with a one-line message.
 */
import type { VirtMachine } from '../machine/virt/virt';
import { virt_memmap, VIRTIO_MMIO_REGION_SIZE } from '../machine/virt/memmap';
import { BDRV_O_NOCACHE, BDRV_O_NO_FLUSH, type BlockDriverState } from '../block/block-int';
import { bdrv_all_states } from '../block/block';
import { iothreadList } from '../util/iothread';
import { qemu_get_aio_context } from '../util/main-loop';
import { threadPoolStats } from '../util/thread-pool';
import { Coroutine } from '../util/coroutine';
import { gettid, threadName } from '../host/thread-id';
import type { StateTree } from './tree';
import type { BlockBackend } from '../block/block-backend';
import { remoteInfoBlock, remoteThreads } from './remote-state';
import { ioThreadAgents } from './iothread-agents';
import type { BlockAccounting } from './acct';
import { quietly } from './taps';

export class ConsoleError extends Error {
  override name = 'ConsoleError';
}

const hex16 = (n: number | bigint) => n.toString(16).padStart(16, '0');
const num = (n: number) => `${n} (0x${(n >>> 0).toString(16)})`;
function size(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  // QEMU's size_to_str: "%0.3g %s".
  const g = String(Number(v.toPrecision(3)));
  return `${n} (${g} ${u[i]})`;
}

/** info qtree */
export function infoQtree(tree: StateTree, m: VirtMachine): string {
  return quietly(() => {
    const map = virt_memmap;
    const out: string[] = ['bus: main-system-bus', '  type System'];
    const dev = (name: string, id: string, lines: string[]) => {
      out.push(`  dev: ${name}, id "${id}"`);
      for (const l of lines) out.push(`    ${l}`);
    };
    const devices = tree.devices();
    for (let i = m.virtioProxies.length - 1; i >= 0; i--) {
      const p = m.virtioProxies[i];
      const base = map.VIRT_VIRTIO.base + i * map.VIRT_VIRTIO.size;
      const lines = ['gpio-out "sysbus-irq" 1', 'format_transport_address = true', `force-legacy = ${p.legacy}`, `ioeventfd = ${p.ioeventfd}`, `mmio ${hex16(base)}/${hex16(VIRTIO_MMIO_REGION_SIZE)}`, `bus: virtio-mmio-bus.${i}`, '  type virtio-mmio-bus'];
      const v = p.vdev as (typeof p.vdev & Record<string, unknown>) | null;
      if (v !== null) {
        const d = devices.find((x) => x.vdev === v);
        lines.push(`  dev: ${v.klass.name}, id "${d?.id ?? ''}"`);
        for (const l of vdevProps(v, d?.drive)) lines.push(`    ${l}`);
      }
      dev('virtio-mmio', '', lines);
    }
    dev('serial-mm', '', ['gpio-out "sysbus-irq" 1', 'regshift = 0 (0x0)', 'endianness = 2 (0x2)', `mmio ${hex16(map.VIRT_UART0.base)}/${hex16(8)}`]);
    dev('riscv.sifive.test', '', [`mmio ${hex16(map.VIRT_TEST.base)}/${hex16(map.VIRT_TEST.size)}`]);
    const n = m.harts.length;
    dev('riscv.sifive.plic', '', [
      `gpio-in "" ${m.plic.numSources}`,
      `gpio-out "" ${2 * n}`,
      `hart-config = "${'MS,'.repeat(n).slice(0, -1)}"`,
      'hartid-base = 0 (0x0)',
      `num-sources = ${num(m.plic.numSources)}`,
      'num-priorities = 7 (0x7)',
      `mmio ${hex16(map.VIRT_PLIC.base)}/${hex16(map.VIRT_PLIC.size)}`,
    ]);
    dev('riscv.aclint.mtimer', '', [`gpio-out "" ${n}`, 'hartid-base = 0 (0x0)', `num-harts = ${num(n)}`, 'timebase-freq = 10000000 (0x989680)', `mmio ${hex16(map.VIRT_CLINT.base + 0x4000)}/${hex16(0x8000)}`]);
    dev('riscv.aclint.swi', '', [`gpio-out "" ${n}`, 'hartid-base = 0 (0x0)', `num-harts = ${num(n)}`, 'sswi = 0 (0x0)', `mmio ${hex16(map.VIRT_CLINT.base)}/${hex16(0x4000)}`]);
    dev('riscv.hart_array', '', [`num-harts = ${num(n)}`, 'hartid-base = 0 (0x0)', 'cpu-type = "rv64-riscv-cpu"', 'resetvec = 4096 (0x1000)']);
    return out.join('\n') + '\n';
  });
}

function vdevProps(v: Record<string, unknown>, drive: string | undefined): string[] {
  const conf = v.conf as Record<string, number | boolean> | undefined;
  if (conf === undefined) return [];
  const feat = (bit: number) => ((v.device_features as bigint) & (1n << BigInt(bit))) !== 0n;
  const serial = new TextDecoder().decode(v.serial as Uint8Array);
  return [
    `drive = "${drive ?? ''}"`,
    `logical_block_size = ${size(conf.logical_block_size as number)}`,
    `physical_block_size = ${size(conf.physical_block_size as number)}`,
    `min_io_size = ${size(conf.min_io_size as number)}`,
    `opt_io_size = ${size(conf.opt_io_size as number)}`,
    `discard_granularity = ${size((conf.discard_granularity as number) >>> 0)}`,
    // The device's own rerror/werror (QEMU 7.2: "auto" = the drive's -drive rerror=/werror=).
    'rerror = "auto"',
    'werror = "auto"',
    `cyls = ${num(conf.cyls as number)}`,
    `heads = ${num(conf.heads as number)}`,
    `secs = ${num(conf.secs as number)}`,
    `serial = "${serial}"`,
    `request-merging = ${String(v.request_merging)}`,
    `num-queues = ${num(conf.num_queues as number)}`,
    `queue-size = ${num(conf.queue_size as number)}`,
    `seg-max-adjust = ${String(conf.seg_max_adjust)}`,
    `discard = ${feat(13)}`,
    `write-zeroes = ${feat(14)}`,
    `max-discard-sectors = ${num(conf.max_discard_sectors as number)}`,
    `max-write-zeroes-sectors = ${num(conf.max_write_zeroes_sectors as number)}`,
    `indirect_desc = ${feat(28)}`,
    `event_idx = ${feat(29)}`,
  ];
}

/** info block [ID]: the drives in -drive order, those served in an iothread answered by its agent. */
export function infoBlock(tree: StateTree, id?: string): string {
  return quietly(() => {
    const local = tree.drives();
    const ids = tree.options.drives.map((d) => d.id).filter((x) => id === undefined || x === id);
    if (id !== undefined && ids.length === 0 && !local.some((b) => b.name === id)) throw new ConsoleError(`Device '${id}' not found`);
    const parts: string[] = [];
    for (const x of ids) {
      const blk = local.find((b) => b.name === x);
      if (blk !== undefined) {
        parts.push(blockLines(tree, blk));
        continue;
      }
      const remote = tree.remote !== null ? remoteInfoBlock(x, attachedPath(tree, x)) : undefined;
      if (remote !== undefined) parts.push(remote);
      else if (id !== undefined) parts.push(`${x}: [not inserted]\n`);
    }
    return parts.join('\n');
  });
}

/** The QOM path of the device drive `id` is attached to, by the command line. */
function attachedPath(tree: StateTree, id: string): string | undefined {
  return tree.devices().find((d) => d.drive === id)?.path;
}

function blockLines(tree: StateTree, blk: BlockBackend): string {
  const bs = blk.root?.bs;
  if (bs === undefined) return `${blk.name}: [not inserted]\n`;
  const dev = tree.deviceOf(blk);
  let s = `${blk.name} (${bs.node_name}): ${bs.filename} (${bs.drv.format_name}${bs.read_only ? ', read-only' : ''})\n`;
  if (dev !== undefined) s += `    Attached to:      ${dev.path}\n`;
  const file = bs.file?.bs ?? bs;
  const modes = [blk.enable_write_cache ? 'writeback' : 'writethrough'];
  if (file.open_flags & BDRV_O_NOCACHE) modes.push('direct');
  if (file.open_flags & BDRV_O_NO_FLUSH) modes.push('ignore flushes');
  s += `    Cache mode:       ${modes.join(', ')}\n`;
  const chain = backingChain(bs);
  if (chain.length > 0) s += `    Backing file:     ${chain[0].filename} (chain depth: ${chain.length})\n`;
  if (bs.detect_zeroes !== 'off') s += `    Detect zeroes:    ${bs.detect_zeroes}\n`;
  return s;
}

function backingChain(bs: BlockDriverState): BlockDriverState[] {
  const out: BlockDriverState[] = [];
  for (let b = bs.backing?.bs; b !== undefined; b = b.backing?.bs) out.push(b);
  return out;
}

/** info blockstats: the drives in -drive order (those served in an iothread are counted there: acct.ts). */
export function infoBlockstats(tree: StateTree, acct: BlockAccounting): string {
  const note = acct.running ? '' : '(block accounting starts now: vtrace counts from the first info blockstats, or from the start of `vtrace debug`)\n';
  acct.start();
  return note + tree.options.drives.map(({ id }) => acct.lineOf(id)).filter((l) => l !== undefined).map((l) => l + '\n').join('');
}

/** info iothreads */
export function infoIothreads(): string {
  return iothreadList()
    .map((t) => `${t.id}:\n  thread_id=${t.thread_id}\n  poll-max-ns=0\n  poll-grow=0\n  poll-shrink=0\n  aio-max-batch=0\n`)
    .join('');
}

/** The coroutines the emulator thread can see in flight: running block requests and pool waits. */
export function infoCoroutines(): string {
  return quietly(() => {
    const seen = new Map<Coroutine, string[]>();
    const note = (co: Coroutine | undefined | null, what: string) => {
      if (co === undefined || co === null) return;
      const l = seen.get(co) ?? [];
      l.push(what);
      seen.set(co, l);
    };
    for (const bs of bdrv_all_states()) {
      for (const r of bs.tracked_requests) note(r.co, `${r.type} ${bs.node_name} offset ${r.offset} bytes ${r.bytes}${r.waiting_for ? ' (waits for an overlapping request)' : ''}`);
    }
    const contexts = new Set([qemu_get_aio_context(), ...bdrv_all_states().map((b) => b.aio_context)]);
    for (const ctx of contexts) {
      for (const co of ctx.scheduled_coroutines) note(co, `scheduled in ${ctx.name}`);
      const pool = ctx.thread_pool;
      if (pool === null) continue;
      for (const e of pool.head) {
        // thread_pool_submit_co's opaque is the coroutine itself; other submitters' may hold one in `co`.
        const o = e.opaque as Coroutine | { co?: Coroutine } | null;
        const co = o instanceof Coroutine ? o : o && typeof o === 'object' ? o.co : undefined;
        if (co !== undefined) note(co, `waits for pool job ${e.id} (${e.func}${e.worker ? ` on ${e.worker}` : ', queued'})`);
      }
    }
    if (seen.size === 0) return 'No coroutines in flight.\n';
    let out = '  Id    State       Entry                    What\n';
    for (const [co, what] of [...seen].sort((a, b) => a[0].id - b[0].id)) {
      out += `  ${String(co.id).padEnd(6)}${String(co.state).padEnd(12)}${co.name.padEnd(25)}${what.join('; ')}\n`;
    }
    return out;
  });
}

export interface ThreadRow {
  name: string;
  tid: number;
  frame: string;
}

function emulatorName(): string {
  const n = threadName();
  return n.startsWith('worker-') ? 'emulator' : n;
}

/** info threads (gdb's table); `current` marks the stopped thread's tid. */
export function infoThreads(m: VirtMachine | null, current: number, stopFrame: string | undefined): string {
  const rows: ThreadRow[] = [{ name: 'main', tid: process.pid, frame: 'the front end (console, gdb stub, terminal)' }];
  const harts = m === null ? 'not started' : `harts 0-${m.harts.length - 1} and the main loop (round-robin)`;
  rows.push({ name: emulatorName(), tid: gettid(), frame: stopFrame && current === gettid() ? stopFrame : harts });
  const remote = remoteThreads();
  const paused = new Set(ioThreadAgents().filter((a) => a.paused).map((a) => a.id));
  for (const t of iothreadList()) {
    rows.push({ name: `iothread-${t.id}`, tid: t.thread_id, frame: t.thread_id === current && stopFrame !== undefined ? stopFrame : `iothread ${t.id} (${paused.has(t.id) ? 'paused' : 'aio_poll'})` });
    for (const w of remote.filter((x) => x.iothread === t.id)) {
      const what = w.tid === current && stopFrame !== undefined ? stopFrame : w.status === 'BUSY' ? `busy: job ${w.current}` : w.status.toLowerCase();
      rows.push({ name: w.name, tid: w.tid, frame: `worker_thread (iothread ${t.id}): ${what}` });
    }
  }
  const pool = qemu_get_aio_context().thread_pool;
  if (pool !== null) {
    for (const w of threadPoolStats(pool).workers) {
      const what = w.tid === current && stopFrame !== undefined ? stopFrame : w.status === 'BUSY' ? `busy: job ${w.current}` : w.status.toLowerCase();
      rows.push({ name: w.name, tid: w.tid, frame: `worker_thread: ${what}` });
    }
  }
  let out = '  Id   Target Id                                   Frame \n';
  rows.forEach((r, i) => {
    const target = `Thread ${r.tid} (LWP ${r.tid}) "${r.name}"`;
    out += `${r.tid === current ? '*' : ' '} ${String(i + 1).padEnd(4)} ${target.padEnd(43)} ${r.frame}\n`;
  });
  return out;
}

/** x/FMT ADDR: gdb's examine, on guest-physical memory (RAM). */
export function examine(m: VirtMachine | null, fmtText: string, addrValue: number | bigint): string {
  if (m === null) throw new ConsoleError(`Cannot access memory at address 0x${addrValue.toString(16)}`);
  const f = /^(\d*)([xduotacfsi]?)([bhwg]?)([xduotacfsi]?)$/.exec(fmtText);
  if (f === null) throw new ConsoleError(`Invalid number "${fmtText}".`);
  const count = f[1] === '' ? 1 : Number(f[1]);
  const fmt = f[2] || f[4] || 'x';
  const unit = f[3] || (fmt === 'c' ? 'b' : fmt === 'a' || fmt === 'g' ? 'g' : 'w');
  const bytes = { b: 1, h: 2, w: 4, g: 8 }[unit as 'b' | 'h' | 'w' | 'g'];
  if (fmt === 's' || fmt === 'i' || fmt === 'f') throw new ConsoleError(`x/${fmt} is not supported here (use x/xb, x/xw, x/xg...)`);
  const addr = Number(addrValue);
  const data = new Uint8Array(count * bytes);
  if (!Number.isSafeInteger(addr) || !m.as.readPhys(addr, data)) throw new ConsoleError(`Cannot access memory at address 0x${addrValue.toString(16)}`);
  const perLine = { b: 8, h: 8, w: 4, g: 2 }[unit as 'b' | 'h' | 'w' | 'g'];
  const dv = new DataView(data.buffer);
  const lines: string[] = [];
  for (let i = 0; i < count; i += perLine) {
    const cells: string[] = [];
    for (let j = i; j < Math.min(count, i + perLine); j++) {
      const off = j * bytes;
      const v = bytes === 8 ? dv.getBigUint64(off, true) : BigInt(bytes === 4 ? dv.getUint32(off, true) : bytes === 2 ? dv.getUint16(off, true) : dv.getUint8(off));
      cells.push(cell(v, fmt, bytes));
    }
    lines.push(`0x${(addr + i * bytes).toString(16)}:\t${cells.join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

function cell(v: bigint, fmt: string, bytes: number): string {
  const signed = (): bigint => {
    const bits = BigInt(bytes * 8);
    return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
  };
  switch (fmt) {
    case 'x':
      return `0x${v.toString(16).padStart(bytes * 2, '0')}`;
    case 'd':
      return signed().toString();
    case 'u':
      return v.toString();
    case 'o':
      return `0${v.toString(8)}`;
    case 't':
      return v.toString(2).padStart(bytes * 8, '0');
    case 'a':
      return `0x${v.toString(16)}`;
    case 'c': {
      const n = Number(v & 0xffn);
      return `${n} '${n >= 0x20 && n < 0x7f ? String.fromCharCode(n) : '\\' + n.toString(8).padStart(3, '0')}'`;
    }
    default:
      return `0x${v.toString(16)}`;
  }
}
