/**
 * QEMU's command-line syntax for the options vtrace understands (qemu-options.hx), parsed into a
 * typed MachineOptions. Parsing never throws anything but CliError: a bad command line prints one
 * line and exits non-zero (DESIGN.md §4), never a stack trace.
 */

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
  /** -s / -gdb DEV: the guest gdb stub's address (DEV as QEMU spells it, e.g. tcp::1234). */
  gdb?: string;
  /** -S: do not start the vCPUs until a debugger (or the console) says so. */
  startStopped: boolean;
  /** Options accepted for compatibility and ignored, with the reason (printed once). */
  ignored: string[];
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
const withArg: Record<string, Handler> = {
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
};

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

/** Options that belong to later parts of vtrace: named so the error says what is missing. */
const notYet: Record<string, string> = {
  drive: 'block devices (-drive) are not supported yet',
  device: 'devices (-device) are not supported yet',
  object: 'objects (-object) are not supported yet',
  trace: 'tracing (-trace) is not supported yet',
  D: 'logging (-D) is not supported yet',
  d: 'logging (-d) is not supported yet',
  netdev: 'networking is not emulated',
  nic: 'networking is not emulated',
};

export function defaultMachineOptions(): MachineOptions {
  return { machine: 'virt', ramSize: 128 * 1024 * 1024, smp: 1, bios: 'default', nographic: false, startStopped: false, ignored: [] };
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
  return o;
}
