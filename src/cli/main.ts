/**
 * The `vtrace` command: commander for the subcommands, QEMU's own syntax after `run`.
 */
import { Command, CommanderError } from 'commander';
import { CliError, parseQemuArgs } from './qemu-options';
import { takeFrontEndArgs } from '../tui/front-end-args';
import { DASH_HELP } from '../dash/dash-help';
// Each subcommand's implementation is loaded when it runs: `vtrace run` must not pay for the
// dashboard's blessed-contrib, the exporters or the console (startup time is part of the boot).

/**
 * A subcommand that takes its arguments as they are (QEMU options, strace's, gdb's): commander
 * neither parses nor rejects them; the command's own parser does. `--help` stays commander's.
 */
function rawArgsCommand(program: Command, name: string, argument = '[args...]', help = 'show this help'): Command {
  return program.command(name).helpOption('--help', help).allowUnknownOption().allowExcessArguments().argument(argument);
}

export function buildProgram(): Command {
  const program = new Command('vtrace');
  program
    .description('A debugger and tracing toolkit around a full-system RISC-V emulator whose I/O path follows QEMU\'s')
    .version(require('../../package.json').version)
    .exitOverride();

  rawArgsCommand(program, 'run', '[qemu-options...]', 'show this help (QEMU options follow the QEMU manual)')
    .description('Run a RISC-V virt machine with QEMU\'s command line (no arguments: the embedded default guest)')
    .usage('[QEMU options]   e.g. -M virt -m 256M -smp 2 -kernel Image -initrd rootfs.cpio.gz -append "console=ttyS0"')
    .addHelpText(
      'after',
      `
QEMU options understood:
  -M/-machine virt[,dumpdtb=FILE]   -m SIZE   -smp N   -kernel FILE   -initrd FILE
  -append CMDLINE   -bios default|none|FILE   -dtb FILE   -nographic   -serial mon:stdio
  -display none   -cpu rv64   -snapshot (every drive: writes to a temporary overlay)
  -drive file=IMG,format=raw|qcow2,id=ID,if=none|virtio[,cache=,aio=threads,readonly=on,rerror=,werror=,discard=unmap,detect-zeroes=,snapshot=on,file.locking=off,
                 cache.direct=,cache.no-flush=]
  -device virtio-blk-device,drive=ID[,serial=,num-queues=,queue-size=,iothread=ID,share-rw=on]
  -object iothread,id=ID            (dataplane: the device's queues and drive run in that thread)
  -global virtio-mmio.force-legacy=on|off
  -trace PATTERN|enable=PATTERN|events=FILE|help   -D FILE   -d trace:PATTERN|int   -msg timestamp=on
  --trace-out FILE.vtr   record enabled events (all, without -trace) for vtrace strace/export
  --trace-buffer SIZE    per-thread recording buffer (default 4M)
  --plugin PATH[,key=value...]   load a plugin (repeatable, as QEMU's -plugin): a .js file or a
                         bundled one: biolatency biosnoop blktrace hotblocks syscount execlog;
                         outfile=FILE sends its output to FILE (docs/plugins.md)
  -s   -S   -gdb tcp:[HOST]:PORT|unix:PATH|none   (guest gdb stub; -s = tcp:127.0.0.1:1234)
With no -kernel, vtrace boots its embedded default guest on a scratch disk it creates.
Console: Ctrl-A x quits, Ctrl-A h shows the escape keys (as QEMU's -nographic).
Live TUI: on a terminal (stdin and stdout), without -nographic, vtrace run opens the TUI: guest
console, I/O-path events, request pipeline, backtraces, threads, stats; ? lists its keys, q quits.
  --no-tui                 keep the plain console        --tui   the TUI even with -nographic
  --control-socket PATH    serve live statistics for \`vtrace dash PATH\` (docs/tui.md)`,
    )
    .action(async (args: string[]) => {
      const { rest, fe } = takeFrontEndArgs(args);
      const opts = parseQemuArgs(rest);
      process.exitCode = await (require('./run') as typeof import('./run.js')).runCommand(opts, fe);
    });

  rawArgsCommand(program, 'dash')
    .description('Charts of a run: IOPS, MB/s, latency histogram, queue depth, busy workers, MIPS (blessed-contrib)')
    .usage('(FILE.vtr | SOCKET) [--once] [--interval SECONDS]')
    .addHelpText('after', DASH_HELP)
    .action(async (args: string[]) => {
      process.exitCode = await (require('./dash') as typeof import('./dash.js')).dashCommand(args);
    });

  rawArgsCommand(program, 'strace')
    .description('Print the syscalls of a recording as strace does, or run a machine and print them live')
    .usage('[-f] [-t|-tt|-ttt] [-T] [-y] [-c|-C] [-e trace=NAME,...] [-o FILE] [-k] (FILE.vtr | -- <run arguments>)')
    .addHelpText(
      'after',
      `
  vtrace strace -f -e trace=openat,pread64 -y boot.vtr       a recording made with --trace-out
  vtrace strace -f -T -- -kernel Image -append ...            live: run the machine, syscalls on stderr
Options as strace's: -f [pid TID] prefixes, -t/-tt/-ttt wall time, -T durations, -y fd paths,
-c the summary table (-C: lines and table), -e trace= which calls (!NAME to exclude), -o FILE,
-k the stitched backtrace after each call. Buffers are shown as recorded (strace's -s 32).`,
    )
    .action(async (args: string[]) => {
      process.exitCode = await (require('./strace') as typeof import('./strace.js')).straceCommand(args);
    });

  rawArgsCommand(program, 'export')
    .description('Convert a recording to Chrome\'s Trace Event Format (JSON) or Perfetto\'s protobuf TrackEvents')
    .usage('FILE.vtr --format chrome|perfetto -o OUT [--from TIME] [--to TIME] [-trace PATTERN ...]')
    .addHelpText(
      'after',
      `
  vtrace export boot.vtr --format chrome -o boot.json        open in ui.perfetto.dev or chrome://tracing
  vtrace export boot.vtr --format perfetto -o boot.pftrace   for traces too large for JSON viewers
  --from/--to TIME   a window, from the first event (units ns, us, ms, s; default s), e.g. --from 1.5 --to 2s
  -trace PATTERN     keep (or with -PATTERN drop) events by name, QEMU's -trace globs, in order
Tracks: one per vCPU, the main loop, each iothread and pool worker; slices for handler dispatch,
bottom halves, coroutine runs, pool jobs and syscalls; coroutines also as async slices; one flow
per virtio-blk request (QueueNotify store → dispatch → coroutine → worker pread → interrupt);
counters: requests in flight, pool queue depth, busy workers.`,
    )
    .action(async (args: string[]) => {
      process.exitCode = (require('./export') as typeof import('./export.js')).exportCommand(args);
    });

  rawArgsCommand(program, 'debug')
    .description('The gdb-like console on emulator state: watch hd0.file.fd, catch syscall, break on tracepoints, bt')
    .usage('[-x FILE] [-ex CMD] [-batch] [-q] [-tty=FILE] [--] [QEMU options as for run]')
    .addHelpText(
      'after',
      `
The machine is created but nothing runs until \`run\` (the drives are opened then, so a watchpoint
set before it sees them appear). gdb's habits: -x FILE / -ex CMD run commands in order, -batch exits
after them, Ctrl-C stops a running machine; history and tab completion at the (vtrace) prompt.
-tty=FILE sends the guest's console output to FILE; \`set trace-commands on\` echoes commands.
  vtrace debug -ex 'watch hd0.file.fd' -ex run          the fd of the default guest's scratch disk
  vtrace debug -batch -x walkthrough.gdb -- -kernel Image -drive file=disk.img,id=hd0,if=none ...
Commands: run, continue [N], stepi, next-event [PATTERN], Ctrl-C; print/p[/x] PATH, ptype, whatis,
x/FMT GPA; info qtree|block|blockstats|iothreads|coroutines|threads|registers|breakpoints|watchpoints|program;
watch/rwatch/awatch PATH [if COND]; catch syscall [NAME...] [if COND]; break/tbreak TRACEPOINT
[if COND]; delete/disable/enable [N...], ignore N COUNT, condition N COND, commands N ... end;
bt [-three], frame N, up, down; trace-event NAME on|off; help; info plugins and the commands of
--plugin plugins (docs/plugins.md). docs/walkthroughs/ has examples.`,
    )
    .action(async (args: string[]) => {
      process.exitCode = await (require('./debug') as typeof import('./debug.js')).debugCommand(args);
    });

  const guest = program.command('guest').description('Guest images');
  guest
    .command('build')
    .description('Build the riscv64 Linux guest (kernel, initramfs, ext4 rootfs) from Debian packages; prints the output directory')
    .action(async () => {
      process.exitCode = (require('./guest') as typeof import('./guest.js')).guestBuildCommand();
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (or the help text).
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof CliError) {
      process.stderr.write(`vtrace: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
