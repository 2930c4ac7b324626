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

/** Size of the scratch disk the default guest exercises (2048 sectors). */
const SCRATCH_BYTES = 1024 * 1024;

/**
 * The default guest drives virtio-blk against a scratch image vtrace creates (and removes at exit)
 * when the command line names no drive. Returns the folder to remove, or undefined.
 */
function addScratchDisk(o: MachineOptions): string | undefined {
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

/** Fill in the default guest and check every file the options name. Throws CliError. */
export function resolveRunOptions(opts: MachineOptions): MachineOptions {
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
  if (o.gdb !== undefined || o.startStopped) throw new CliError('the guest gdb stub (-s, -S, -gdb) is not available yet');
  return o;
}

export async function runCommand(opts: MachineOptions): Promise<number> {
  if (opts.trace.help) {
    // QEMU's `-trace help`: every event name, one per line, then exit 0.
    process.stdout.write(traceHelpText());
    return 0;
  }
  const options = resolveRunOptions(opts);
  const scratch = addScratchDisk(options);
  try {
    return await runMachine(options);
  } finally {
    if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runMachine(options: MachineOptions): Promise<number> {
  for (const note of options.ignored) process.stderr.write(`vtrace: ${note} accepted and ignored\n`);
  for (const note of options.notes) process.stderr.write(`vtrace: ${note}\n`);
  let failed = false;
  const emu = new EmulatorThread(options, {
    serial: (data) => process.stdout.write(data),
    warning: (text) => process.stderr.write(text),
    error: (message) => {
      failed = true;
      process.stderr.write(`vtrace: ${message}\n`);
    },
  });
  const detach = options.dumpDtb === undefined ? attachStdio({ input: (b) => emu.sendSerial(b), quit: () => emu.quit() }) : () => {};
  const result = await emu.done;
  detach();
  if (failed) return 1;
  if (process.env.VTRACE_STATS && result.seconds > 0) {
    const mips = result.instructions / result.seconds / 1e6;
    process.stderr.write(`vtrace: ${result.instructions} instructions in ${result.seconds.toFixed(3)} s (${mips.toFixed(1)} MIPS)\n`);
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
