/**
 * QEMU's command-line syntax for the options vtrace understands (qemu-options.hx), parsed into a
 * typed MachineOptions. Parsing never throws anything but CliError: a bad command line prints one
 * line and exits non-zero (DESIGN.md §4), never a stack trace.
 */

import {
  defaultTraceOptions,
  parseDebugOption,
  parseMsgOption,
  parseTraceBufferOption,
  parseTraceOption,
  parseTraceOutOption,
  TraceOptionError,
  type TraceOptions,
} from '../trace/cli-options';
import { parsePluginOption, PluginArgError, type PluginSpec } from '../plugin/args';

export class CliError extends Error {}

export interface DumpDtb {
  path: string;
}

/** Everything a `vtrace run` command line asks of the machine. */
export interface MachineOptions {
  machine: 'virt';
  /** -machine dumpdtb=FILE: write the generated device tree and exit, as QEMU does. */
  dumpDtb?: string;
  /** -m: guest RAM in bytes (QEMU's virt default: 128 MiB). */
  ramSize: number;
  /** -smp: number of harts. */
  smp: number;
  kernel?: string;
  initrd?: string;
  append?: string;
  /** -bios: 'default' (vtrace's built-in SBI), 'none', or a firmware file. */
  bios: string;
  dtb?: string;
  nographic: boolean;
  /** -snapshot: snapshot=on for every -drive that does not set it. */
  snapshot?: boolean;
  /** -s / -gdb DEV: the guest gdb stub's address (DEV as QEMU spells it, e.g. tcp::1234). */
  gdb?: string;
  /** -S: do not start the vCPUs until a debugger (or the console) says so. */
  startStopped: boolean;
  /** -drive, in command-line order. */
  drives: DriveOptions[];
  /** -device virtio-blk-device (and the devices `if=virtio` drives imply), in order. */
  devices: VirtioBlkDeviceOptions[];
  /** -object iothread,id=ID: the iothreads to start, in order. */
  iothreads: string[];
  /** -global virtio-mmio.force-legacy=on|off (QEMU 7.2's default: on, i.e. virtio-mmio version 1). */
  virtioMmioForceLegacy: boolean;
  /** Options accepted for compatibility and ignored, with the reason (printed once). */
  ignored: string[];
  /** One-line notices for the user (e.g. how an option was mapped). */
  notes: string[];
  /** -trace, -D, -d trace:, -msg timestamp= (src/trace/cli-options.ts). */
  trace: TraceOptions;
  /** --plugin PATH[,key=value...], in order (src/plugin/args.ts). */
  plugins: PluginSpec[];
}

export type CacheMode = 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';
export type ErrorAction = 'report' | 'ignore' | 'stop' | 'enospc';

/** -drive file=,format=,id=,if=,cache=,aio=,readonly=,rerror=,werror=,discard=,detect-zeroes=,snapshot=,cache.direct=,cache.no-flush=,file.locking=,node-name= */
export interface DriveOptions {
  id: string;
  file: string;
  format?: 'raw' | 'qcow2';
  if: 'none' | 'virtio';
  cache?: CacheMode;
  aio?: 'threads';
  readOnly: boolean;
  rerror?: ErrorAction;
  werror?: ErrorAction;
  /** snapshot=on: writes go to a temporary overlay (-snapshot sets it for every drive that does not say). */
  snapshot?: boolean;
  /** cache.direct=on|off, cache.no-flush=on|off: one half of cache= each (they override it). */
  cacheDirect?: boolean;
  cacheNoFlush?: boolean;
  /** file.locking=on|off|auto: image locking against other writers (auto: on, as QEMU on Linux). */
  locking?: boolean;
  /** detect-zeroes=off|on|unmap: writes of zeroes become write-zeroes (unmap: that may unmap). */
  detectZeroes?: 'off' | 'on' | 'unmap';
  /** discard=ignore (QEMU's default: guest discards do nothing) or unmap; off/on are aliases. */
  discard?: 'ignore' | 'unmap';
  nodeName?: string;
}

/** -device virtio-blk-device,drive=,serial=,num-queues=,queue-size=,iothread=,share-rw= */
export interface VirtioBlkDeviceOptions {
  driver: 'virtio-blk-device';
  drive: string;
  id?: string;
  serial?: string;
  numQueues?: number;
  queueSize?: number;
  /** iothread=ID: dataplane in that -object iothread. */
  iothread?: string;
  /** share-rw=on: let other users (another vtrace or QEMU) write the image too. */
  shareRw?: boolean;
}

const MAX_SMP = 8;
/** QEMU's virt limits RAM to what fits below the 64-bit physical limit; we cap at 16 GiB (JS typed arrays). */
const MAX_RAM = 16 * 1024 * 1024 * 1024;

/** Parse QEMU's size syntax: a number with an optional K/M/G/T suffix; the default unit is MiB (as -m). */
export function parseSize(text: string, defaultUnit = 1024 * 1024): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(text.trim());
  if (m === null) throw new CliError(`invalid size '${text}'`);
  const units: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const unit = m[2] === '' ? defaultUnit : units[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * unit);
}

/** Split QEMU's `key=value,key=value` syntax (",," escapes a comma). The first bare item is returned as `_`. */
export function parseKeyValues(text: string, implied?: string): Map<string, string> {
  const out = new Map<string, string>();
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      items.push(cur);
      cur = '';
    } else cur += c;
  }
  items.push(cur);
  items.forEach((item, idx) => {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (idx === 0 && implied !== undefined) out.set(implied, item);
      else out.set(item, 'on');
    } else out.set(item.slice(0, eq), item.slice(eq + 1));
  });
  return out;
}

type Handler = (value: string, opts: MachineOptions) => void;

/** Options that take an argument, keyed by name without the leading dash. */
/** -object TYPE,id=ID[,...]: vtrace has iothreads (QEMU's poll-* tuning properties are accepted and ignored). */
function parseObject(value: string, o: MachineOptions): void {
  const opt = `-object ${value}`;
  const kv = parseKeyValues(value, 'qom-type');
  const type = kv.get('qom-type');
  if (type !== 'iothread') throw new CliError(`${opt}: unsupported object type '${type}' (vtrace has iothread)`);
  const id = kv.get('id');
  if (id === undefined || id === '') throw new CliError(`${opt}: Parameter 'id' is missing`);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new CliError(`${opt}: Parameter 'id' expects an identifier`);
  if (o.iothreads.includes(id)) throw new CliError(`${opt}: attempt to add duplicate property '${id}' to object (type 'container')`);
  for (const k of kv.keys()) {
    if (k === 'qom-type' || k === 'id') continue;
    if (['poll-max-ns', 'poll-grow', 'poll-shrink', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max'].includes(k)) {
      o.ignored.push(`${opt}: property '${k}'`);
      continue;
    }
    throw new CliError(`${opt}: Property 'iothread.${k}' not found`);
  }
  o.iothreads.push(id);
}

const withArg: Record<string, Handler> = {
  object: parseObject,
  M: parseMachine,
  machine: parseMachine,
  m(value, o) {
    const kv = parseKeyValues(value, 'size');
    const size = parseSize(kv.get('size') ?? '');
    if (size < 16 * 1024 * 1024 || size > MAX_RAM) throw new CliError(`-m ${value}: RAM size must be between 16M and 16G`);
    if (size % 4096 !== 0) throw new CliError(`-m ${value}: RAM size must be a multiple of 4 KiB`);
    o.ramSize = size;
  },
  smp(value, o) {
    const kv = parseKeyValues(value, 'cpus');
    const n = Number(kv.get('cpus'));
    if (!Number.isInteger(n) || n < 1 || n > MAX_SMP) throw new CliError(`-smp ${value}: the number of CPUs must be an integer from 1 to ${MAX_SMP}`);
    o.smp = n;
  },
  kernel(value, o) {
    o.kernel = value;
  },
  initrd(value, o) {
    o.initrd = value;
  },
  append(value, o) {
    o.append = value;
  },
  bios(value, o) {
    o.bios = value;
  },
  dtb(value, o) {
    o.dtb = value;
  },
  drive: parseDrive,
  device: parseDevice,
  global(value, o) {
    const m = /^virtio-mmio\.force-legacy=(.*)$/.exec(value);
    if (m === null) throw new CliError(`-global ${value}: only virtio-mmio.force-legacy is supported`);
    o.virtioMmioForceLegacy = onOff(`-global ${value}`, 'force-legacy', m[1]);
  },
  gdb(value, o) {
    o.gdb = value;
  },
  serial(value, o) {
    if (value !== 'mon:stdio' && value !== 'stdio') throw new CliError(`-serial ${value}: only stdio and mon:stdio are supported`);
  },
  display(value, o) {
    if (value !== 'none') throw new CliError(`-display ${value}: vtrace has no graphical display; use -display none or -nographic`);
  },
  cpu(value, o) {
    const model = parseKeyValues(value, 'model').get('model');
    if (model !== 'rv64' && model !== 'max') throw new CliError(`-cpu ${value}: only rv64 is supported`);
  },
  trace(value, o) {
    traceOpt(`-trace ${value}`, () => parseTraceOption(value, o.trace, parseKeyValues(value, 'enable')));
  },
  D(value, o) {
    o.trace.logFile = value;
  },
  d(value, o) {
    traceOpt(`-d ${value}`, () => parseDebugOption(value, o.trace));
  },
  msg(value, o) {
    traceOpt(`-msg ${value}`, () => parseMsgOption(parseKeyValues(value), o.trace));
  },
  'trace-out'(value, o) {
    traceOpt(`--trace-out ${value}`, () => parseTraceOutOption(value, o.trace));
  },
  'trace-buffer'(value, o) {
    traceOpt(`--trace-buffer ${value}`, () => parseTraceBufferOption(value, o.trace));
  },
  plugin(value, o) {
    try {
      o.plugins.push(parsePluginOption(value));
    } catch (e) {
      if (e instanceof PluginArgError) throw new CliError(`--plugin ${value}: ${e.message}`);
      throw e;
    }
  },
  accel(value, o) {
    const kv = parseKeyValues(value, 'accel');
    if (kv.get('accel') !== 'tcg') throw new CliError(`-accel ${value}: vtrace is an interpreter; only tcg is accepted`);
    o.ignored.push(`-accel ${value}`);
  },
};

/** Options without an argument. */
const flags: Record<string, (o: MachineOptions) => void> = {
  nographic(o) {
    o.nographic = true;
  },
  s(o) {
    o.gdb = 'tcp::1234';
  },
  S(o) {
    o.startStopped = true;
  },
  'no-reboot'(o) {
    o.ignored.push('-no-reboot');
  },
  snapshot(o) {
    o.snapshot = true;
  },
};

function traceOpt(opt: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof TraceOptionError) throw new CliError(`${opt}: ${e.message}`);
    throw e;
  }
}

function parseMachine(value: string, o: MachineOptions): void {
  const kv = parseKeyValues(value, 'type');
  const type = kv.get('type');
  if (type !== 'virt') throw new CliError(`-machine ${value}: unsupported machine type '${type}' (vtrace emulates QEMU's 'virt')`);
  for (const [k, v] of kv) {
    if (k === 'type') continue;
    if (k === 'dumpdtb') o.dumpDtb = v;
    else throw new CliError(`-machine ${value}: unsupported property '${k}'`);
  }
}

function onOff(opt: string, key: string, v: string): boolean {
  if (v === 'on' || v === 'true' || v === 'yes') return true;
  if (v === 'off' || v === 'false' || v === 'no') return false;
  throw new CliError(`${opt}: parameter '${key}' expects 'on' or 'off'`);
}

function oneOf<T extends string>(opt: string, key: string, v: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new CliError(`${opt}: invalid value '${v}' for parameter '${key}' (expected ${allowed.join(', ')})`);
}

function parseDrive(value: string, o: MachineOptions): void {
  const opt = `-drive ${value}`;
  const kv = parseKeyValues(value);
  const d: DriveOptions = { id: '', file: '', if: 'none', readOnly: false };
  for (const [k, v] of kv) {
    switch (k) {
      case 'file': d.file = v; break;
      case 'id': d.id = v; break;
      case 'format': d.format = oneOf(opt, k, v, ['raw', 'qcow2'] as const); break;
      case 'if': d.if = oneOf(opt, k, v, ['none', 'virtio'] as const); break;
      case 'cache': d.cache = oneOf(opt, k, v, ['none', 'writeback', 'writethrough', 'directsync', 'unsafe'] as const); break;
      case 'aio': d.aio = oneOf(opt, k, v, ['threads'] as const); break;
      case 'readonly': d.readOnly = onOff(opt, k, v); break;
      case 'rerror': d.rerror = oneOf(opt, k, v, ['report', 'ignore', 'stop'] as const); break;
      case 'werror': d.werror = oneOf(opt, k, v, ['report', 'ignore', 'stop', 'enospc'] as const); break;
      case 'discard': d.discard = v === 'off' ? 'ignore' : v === 'on' ? 'unmap' : oneOf(opt, k, v, ['ignore', 'unmap'] as const); break;
      case 'snapshot': d.snapshot = onOff(opt, k, v); break;
      case 'detect-zeroes': d.detectZeroes = oneOf(opt, k, v, ['off', 'on', 'unmap'] as const); break;
      case 'node-name': d.nodeName = v; break;
      case 'cache.direct': d.cacheDirect = onOff(opt, k, v); break;
      case 'cache.no-flush': d.cacheNoFlush = onOff(opt, k, v); break;
      case 'file.locking': d.locking = oneOf(opt, k, v, ['on', 'off', 'auto'] as const) !== 'off'; break;
      case 'media': if (v !== 'disk') throw new CliError(`${opt}: only media=disk is supported`); break;
      default: throw new CliError(`${opt}: unsupported parameter '${k}'`);
    }
  }
  if (d.file === '') throw new CliError(`${opt}: a file= is required`);
  if (d.id === '') d.id = d.if === 'virtio' ? `virtio${o.drives.filter((x) => x.if === 'virtio').length}` : `drive${o.drives.length}`;
  if (o.drives.some((x) => x.id === d.id)) throw new CliError(`${opt}: Duplicate ID '${d.id}' for drive`);
  o.drives.push(d);
  if (d.if === 'virtio') {
    o.devices.push({ driver: 'virtio-blk-device', drive: d.id });
    o.notes.push(`-drive if=virtio: QEMU's virt would create virtio-blk-pci; vtrace has no PCI yet and attaches '${d.id}' to a virtio-blk-device (virtio-mmio)`);
  }
}

function parseDevice(value: string, o: MachineOptions): void {
  const opt = `-device ${value}`;
  const kv = parseKeyValues(value, 'driver');
  const driver = kv.get('driver');
  if (driver === 'virtio-blk-pci') throw new CliError(`${opt}: PCI is not emulated yet; use -device virtio-blk-device (virtio-mmio)`);
  if (driver !== 'virtio-blk-device') throw new CliError(`${opt}: unsupported device '${driver}' (vtrace has virtio-blk-device)`);
  const dev: VirtioBlkDeviceOptions = { driver, drive: '' };
  for (const [k, v] of kv) {
    switch (k) {
      case 'driver': break;
      case 'drive': dev.drive = v; break;
      case 'id': dev.id = v; break;
      case 'serial': dev.serial = v; break;
      case 'num-queues': dev.numQueues = Number(v); break;
      case 'queue-size': dev.queueSize = Number(v); break;
      case 'iothread': dev.iothread = v; break;
      case 'share-rw': dev.shareRw = onOff(opt, k, v); break;
      default: throw new CliError(`${opt}: unsupported property '${k}'`);
    }
  }
  if (dev.drive === '') throw new CliError(`${opt}: drive property not set`);
  o.devices.push(dev);
}

/** Options that belong to later parts of vtrace: named so the error says what is missing. */
const notYet: Record<string, string> = {
  netdev: 'networking is not emulated',
  nic: 'networking is not emulated',
};

export function defaultMachineOptions(): MachineOptions {
  return {
    machine: 'virt',
    ramSize: 128 * 1024 * 1024,
    smp: 1,
    bios: 'default',
    nographic: false,
    startStopped: false,
    drives: [],
    devices: [],
    iothreads: [],
    virtioMmioForceLegacy: true,
    ignored: [],
    notes: [],
    trace: defaultTraceOptions(),
    plugins: [],
  };
}

/** Parse a QEMU-style argument vector (without the program name). Throws CliError on bad input. */
export function parseQemuArgs(argv: string[]): MachineOptions {
  const o = defaultMachineOptions();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') throw new CliError(`unexpected argument '${arg}' (QEMU options start with '-')`);
    // QEMU accepts both -opt and --opt.
    const name = arg.replace(/^--?/, '');
    if (name in flags) {
      flags[name](o);
      continue;
    }
    if (name in withArg || name in notYet) {
      if (i + 1 >= argv.length) throw new CliError(`option ${arg} requires an argument`);
      const value = argv[++i];
      if (name in notYet) throw new CliError(`${arg} ${value}: ${notYet[name]}`);
      withArg[name](value, o);
      continue;
    }
    throw new CliError(`unknown option '${arg}'`);
  }
  if (o.snapshot) for (const d of o.drives) d.snapshot ??= true; // -snapshot: every drive without snapshot=off
  for (const dev of o.devices) {
    if (!o.drives.some((d) => d.id === dev.drive)) throw new CliError(`-device ${dev.driver},drive=${dev.drive}: Property '${dev.driver}.drive' can't find value '${dev.drive}'`);
    if (dev.iothread !== undefined && !o.iothreads.includes(dev.iothread)) {
      throw new CliError(`-device ${dev.driver},iothread=${dev.iothread}: Property '${dev.driver}.iothread' can't find value '${dev.iothread}'`);
    }
  }
  const used = o.devices.map((d) => d.drive);
  const twice = used.find((id, i) => used.indexOf(id) !== i);
  if (twice !== undefined) throw new CliError(`drive '${twice}' is attached to two devices`);
  if (o.devices.length > 8) throw new CliError('at most 8 virtio-mmio devices fit the virt board');
  o.notes.push(...o.trace.notes);
  return o;
}
