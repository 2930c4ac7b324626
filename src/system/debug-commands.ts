/**
 * Console commands on the emulator thread: the 'console.exec' request of the debug channel. gdb's
 * `monitor CMD` (qRcmd) lands here, and so will the debug console's and the TUI's `:` line.
 * Words are matched as QEMU's monitor does: a command is one or more words ("info registers"),
 * the rest of the line are its arguments.
 *
 * Contract: `register` on the emulator thread, before or after install; a command returns its
 * output text (newline-terminated lines) or throws DebugRequestError with a one-line message,
 * which the front end shows. The built-ins are the ones that make sense on the machine alone:
 * help, info registers, info threads / info cpus, system_reset.
 */
import type { RiscvHart } from '../target/riscv/cpu-api';
import { csrName } from '../target/riscv/disas/csr-names';
import { DebugRequestError, type DebugServer } from './debug-channel';

export type ConsoleCommandFn = (args: string[]) => string;

interface Command {
  words: string[];
  usage: string;
  help: string;
  run: ConsoleCommandFn;
}

export class ConsoleCommands {
  private readonly commands: Command[] = [];

  /** `name` may have several words ("info block"); `usage` shows the arguments. Replaces a same-named command. */
  register(name: string, usage: string, help: string, run: ConsoleCommandFn): void {
    const words = name.trim().split(/\s+/);
    const i = this.commands.findIndex((c) => c.words.join(' ') === words.join(' '));
    const cmd = { words, usage, help, run };
    if (i >= 0) this.commands[i] = cmd;
    else this.commands.push(cmd);
  }

  /** Run one line; returns its output. Throws DebugRequestError for unknown commands. */
  exec(line: string): string {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) return '';
    let best: Command | undefined;
    for (const c of this.commands) {
      if (c.words.length > words.length || (best !== undefined && best.words.length >= c.words.length)) continue;
      if (c.words.every((w, i) => w === words[i])) best = c;
    }
    if (best === undefined) throw new DebugRequestError(`unknown command: '${words.slice(0, 2).join(' ')}'`);
    return best.run(words.slice(best.words.length));
  }

  help(): string {
    const rows = this.commands
      .map((c) => [`${c.words.join(' ')}${c.usage ? ' ' + c.usage : ''}`, c.help] as const)
      .sort((a, b) => a[0].localeCompare(b[0]));
    const w = Math.max(...rows.map((r) => r[0].length));
    return rows.map(([u, h]) => `${u.padEnd(w)} -- ${h}\n`).join('');
  }

  install(server: DebugServer): void {
    server.register('console.exec', (p) => {
      if (typeof p?.line !== 'string') throw new DebugRequestError('console.exec: line must be a string');
      return this.exec(p.line);
    });
  }
}

const PRIV = ['U', 'S', '?', 'M'];
const ABI = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];
/** The CSRs QEMU's riscv_cpu_dump_state prints, in its order (target/riscv/cpu.c). */
const DUMP_CSRS = [0xf14, 0x300, 0x344, 0x304, 0x303, 0x302, 0x305, 0x105, 0x341, 0x141, 0x342, 0x142, 0x343, 0x143, 0x340, 0x140, 0x180];

const hex16 = (v: bigint) => v.toString(16).padStart(16, '0');

/** QEMU's `info registers` layout (riscv_cpu_dump_state): pc, the main CSRs, x and f registers. */
export function dumpRegisters(h: RiscvHart): string {
  let out = ` pc       ${hex16(h.getPc())}\n`;
  for (const n of DUMP_CSRS) {
    const v = h.getCsr(n);
    if (v !== undefined) out += ` ${(csrName(n) ?? `csr${n}`).padEnd(8)} ${hex16(v)}\n`;
  }
  out += ` priv     ${PRIV[h.priv]}\n`;
  for (let i = 0; i < 32; i++) out += ` ${`x${i}/${ABI[i]}`.padEnd(8)} ${hex16(h.getGpr(i))}${i % 4 === 3 ? '\n' : ''}`;
  for (let i = 0; i < 32; i++) out += ` ${`f${i}`.padEnd(8)} ${hex16(h.getFpr(i))}${i % 4 === 3 ? '\n' : ''}`;
  return out;
}

/** The built-in commands over the harts and the board. */
export function builtinCommands(cmds: ConsoleCommands, m: { harts: readonly RiscvHart[]; reset(): void }): void {
  cmds.register('help', '', 'list the commands', () => cmds.help());
  cmds.register('info registers', '[-a | HART]', 'the registers of hart 0, of HART, or of all harts (-a)', (args) => {
    let list: readonly RiscvHart[] = [m.harts[0]];
    if (args[0] === '-a') list = m.harts;
    else if (args[0] !== undefined) {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 0 || n >= m.harts.length) throw new DebugRequestError(`no hart ${args[0]}`);
      list = [m.harts[n]];
    }
    return list.map((h) => (list.length > 1 ? `hart ${h.hartId}\n` : '') + dumpRegisters(h)).join('');
  });
  const threads = () =>
    m.harts
      .map((h, i) => `${i === 0 ? '*' : ' '} CPU #${h.hartId}: pc=0x${h.getPc().toString(16).padStart(16, '0')} priv=${PRIV[h.priv]}${h.halted ? ' (halted)' : ''}\n`)
      .join('');
  cmds.register('info threads', '', 'the vCPUs (harts): pc, privilege, halted', threads);
  cmds.register('info cpus', '', 'same as info threads (QEMU\'s name)', threads);
  cmds.register('system_reset', '', 'reset the machine (devices, boot images, harts)', () => {
    m.reset();
    return '';
  });
}
