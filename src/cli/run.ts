/**
 * `vtrace run`: QEMU's command line in, a running machine out. Validates what can be checked on
 * the front-end thread (files exist) so mistakes print one line, then starts the emulator thread
 * and connects the terminal to the guest console.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, type MachineOptions } from './qemu-options';
import { EmulatorThread } from '../system/emulator';
import { attachStdio } from './stdio-console';
import { repoRoot } from './guest';
import * as os from 'node:os';
import { traceHelpText } from '../trace/control';
import { GdbAddressError, GdbServer, parseGdbAddress, type GdbAddress } from '../gdbstub/server';
import { tuiWanted } from '../tui/front-end-args';
import type { FrontEndArgs } from '../tui/front-end-args';

/** Size of the scratch disk the default guest exercises (2048 sectors). */
const SCRATCH_BYTES = 1024 * 1024;

/**
 * The default guest drives virtio-blk against a scratch image vtrace creates (and removes at exit)
 * when the command line names no drive. Returns the folder to remove, or undefined.
 */
export function addScratchDisk(o: MachineOptions): string | undefined {
  if (o.kernel !== DEFAULT_GUEST || o.drives.length > 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-scratch-'));
  const file = path.join(dir, 'scratch.img');
  fs.writeFileSync(file, Buffer.alloc(SCRATCH_BYTES));
  o.drives = [{ id: 'hd0', file, format: 'raw', if: 'none', readOnly: false }];
  o.devices = [{ driver: 'virtio-blk-device', drive: 'hd0' }];
  return dir;
}

/** The embedded default guest (guest/default/): booted when no -kernel is given. */
export const DEFAULT_GUEST = path.join(repoRoot, 'guest', 'default', 'default.bin');

/**
 * Fill in the default guest and check every file the options name. Throws CliError.
 * `frontEndContinues`: a front end other than the gdb stub (the live TUI) can continue a -S stop.
 */
export function resolveRunOptions(opts: MachineOptions, frontEndContinues = false): MachineOptions {
  const o = { ...opts };
  if (o.kernel === undefined && o.bios !== 'none' && o.dumpDtb === undefined) o.kernel = DEFAULT_GUEST;
  const files: Array<[string, string | undefined]> = [
    ['-kernel', o.kernel],
    ['-initrd', o.initrd],
    ['-dtb', o.dtb],
    ['-bios', o.bios === 'default' || o.bios === 'none' ? undefined : o.bios],
  ];
  for (const d of o.drives) {
    if (!fs.existsSync(d.file)) throw new CliError(`-drive file=${d.file}: Could not open '${d.file}': No such file or directory`);
  }
  for (const [opt, file] of files) {
    if (file === undefined) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new CliError(`${opt} ${file}: No such file or directory`);
    }
    if (!st.isFile()) throw new CliError(`${opt} ${file}: not a regular file`);
  }
  if (o.gdb !== undefined) gdbAddress(o.gdb);
  if (o.startStopped && !frontEndContinues && (o.gdb === undefined || gdbAddress(o.gdb).kind === 'none')) {
    throw new CliError('-S: nothing could continue the machine: add -s or -gdb DEV for the gdb stub');
  }
  return o;
}

/** -gdb DEV parsed, bad specs as one-line CLI errors. */
function gdbAddress(spec: string): GdbAddress {
  try {
    return parseGdbAddress(spec);
  } catch (e) {
    if (e instanceof GdbAddressError) throw new CliError(e.message);
    throw e;
  }
}

/** `frontEnd`: the live front ends' options (--no-tui, --control-socket; src/tui/front-end-args.ts). */
export async function runCommand(opts: MachineOptions, frontEnd: FrontEndArgs = { tui: false }): Promise<number> {
  if (opts.trace.help) {
    // QEMU's `-trace help`: every event name, one per line, then exit 0.
    process.stdout.write(traceHelpText());
    return 0;
  }
  const options = resolveRunOptions(opts, tuiWanted(opts, frontEnd));
  const scratch = addScratchDisk(options);
  try {
    return await runMachine(options, frontEnd);
  } finally {
    if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runMachine(options: MachineOptions, frontEnd: FrontEndArgs): Promise<number> {
  for (const note of options.ignored) process.stderr.write(`vtrace: ${note} accepted and ignored\n`);
  for (const note of options.notes) process.stderr.write(`vtrace: ${note}\n`);
  let failed = false;
  // ── live front ends (src/tui/launch.ts): the TUI on a terminal, the control socket for `vtrace dash`.
  // They watch the run's recording (set up here, before the emulator starts); the TUI owns the console.
  // Ink, React and the TUI's model are loaded only when one of them is wanted (startup time).
  const wanted = frontEnd.tui === true || frontEnd.controlSocket !== undefined || tuiWanted(options, frontEnd);
  const live = wanted ? await (require('../tui/launch') as typeof import('../tui/launch.js')).openLiveFrontEnd(options, frontEnd) : null;
  const emu = new EmulatorThread(options, {
    serial: (data) => (live?.ownsConsole ? live.serial(data) : process.stdout.write(data)),
    warning: (text) => process.stderr.write(text),
    error: (message) => {
      failed = true;
      process.stderr.write(`vtrace: ${message}\n`);
    },
  });
  // The guest gdb stub (-s, -gdb): listening before the guest can get far; a busy port ends the run.
  let gdb: GdbServer | undefined;
  const address = options.gdb === undefined ? undefined : gdbAddress(options.gdb);
  if (address !== undefined && address.kind !== 'none' && options.dumpDtb === undefined) {
    try {
      gdb = await GdbServer.listen(address, emu.debug, { kill: () => emu.quit() });
      process.stderr.write(`vtrace: gdb stub listening on ${gdb.describe()}${options.startStopped ? ' (machine stopped: -S)' : ''}\n`);
    } catch (e) {
      if (!(e instanceof GdbAddressError)) throw e;
      process.stderr.write(`vtrace: ${e.message}\n`);
      emu.quit();
      await emu.done;
      return 1;
    }
  }
  live?.attach(emu);
  const detach = options.dumpDtb === undefined && !live?.ownsConsole ? attachStdio({ input: (b) => emu.sendSerial(b), quit: () => emu.quit() }) : () => {};
  const result = await emu.done;
  await live?.finish(result); // the TUI stays until `q` when the guest ended by itself
  // ── end of the live front ends' hook
  detach();
  gdb?.close();
  if (failed) return 1;
  if (process.env.VTRACE_STATS && result.seconds > 0) {
    const mips = result.instructions / result.seconds / 1e6;
    // Startup: from this process's time origin (node starting) to the guest's first instruction.
    const startup = result.startedAt === undefined ? '' : `, first instruction ${(result.startedAt - performance.timeOrigin).toFixed(0)} ms after start`;
    process.stderr.write(`vtrace: ${result.instructions} instructions in ${result.seconds.toFixed(3)} s (${mips.toFixed(1)} MIPS)${startup}\n`);
  }
  switch (result.exit.kind) {
    case 'poweroff':
      return result.exit.code;
    case 'quit':
    case 'reset':
      return 0;
    case 'crashed':
      process.stderr.write(`vtrace: internal error in the emulator thread:\n${result.exit.message}\n`);
      return 70;
    default:
      return 0;
  }
}
