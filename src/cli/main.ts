/**
 * The `vtrace` command: commander for the subcommands, QEMU's own syntax after `run`.
 */
import { Command, CommanderError } from 'commander';
import { CliError, parseQemuArgs } from './qemu-options';
import { runCommand } from './run';
import { guestBuildCommand } from './guest';

export function buildProgram(): Command {
  const program = new Command('vtrace');
  program
    .description('A debugger and tracing toolkit around a full-system RISC-V emulator whose I/O path follows QEMU\'s')
    .version(require('../../package.json').version)
    .exitOverride();

  program
    .command('run')
    .description('Run a RISC-V virt machine with QEMU\'s command line (no arguments: the embedded default guest)')
    .usage('[QEMU options]   e.g. -M virt -m 256M -smp 2 -kernel Image -initrd rootfs.cpio.gz -append "console=ttyS0"')
    .helpOption('--help', 'show this help (QEMU options follow the QEMU manual)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[qemu-options...]')
    .addHelpText(
      'after',
      `
QEMU options understood:
  -M/-machine virt[,dumpdtb=FILE]   -m SIZE   -smp N   -kernel FILE   -initrd FILE
  -append CMDLINE   -bios default|none|FILE   -dtb FILE   -nographic   -serial mon:stdio
  -display none   -cpu rv64
  -drive file=IMG,format=raw|qcow2,id=ID,if=none|virtio[,cache=,aio=threads,readonly=on,rerror=,werror=]
  -device virtio-blk-device,drive=ID[,serial=,num-queues=,queue-size=,iothread=ID]
  -object iothread,id=ID            (dataplane: the device's queues and drive run in that thread)
  -global virtio-mmio.force-legacy=on|off
  -trace PATTERN|enable=PATTERN|events=FILE|help   -D FILE   -d trace:PATTERN   -msg timestamp=on
Not yet: -s, -S, -gdb (the guest gdb stub).
With no -kernel, vtrace boots its embedded default guest on a scratch disk it creates.
Console: Ctrl-A x quits, Ctrl-A h shows the escape keys (as QEMU's -nographic).`,
    )
    .action(async (args: string[]) => {
      const opts = parseQemuArgs(args);
      process.exitCode = await runCommand(opts);
    });

  const guest = program.command('guest').description('Guest images');
  guest
    .command('build')
    .description('Build the riscv64 Linux guest (kernel, initramfs, ext4 rootfs) from Debian packages; prints the output directory')
    .action(() => {
      process.exitCode = guestBuildCommand();
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
