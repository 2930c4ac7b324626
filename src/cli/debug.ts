/**
 * `vtrace debug [-x FILE] [-ex CMD] [-batch] [-q] [-tty=FILE] [--] [run arguments]`: the gdb-like
 * console on emulator state (src/debug/). The machine is created but nothing runs until `run`; then the drives
 * are opened and the harts start. gdb's habits: `-x FILE` and `-ex CMD` run commands in the order
 * given, `-batch` exits after them (ending the machine), Ctrl-C stops a running machine, the
 * prompt is `(vtrace) `, with history and tab completion (commands, info topics, tracepoints,
 * syscalls, state paths). The guest's console output goes to stdout as it comes (or to -tty=FILE);
 * the guest gets no keyboard input here (use `vtrace run` for an interactive guest).
 * `set trace-commands on` echoes each command as `+CMD` (gdb's), for transcripts.
 *
 * Contract: main thread; returns the exit status: 0, or 1 when -batch's last command failed or the
 * machine could not be created.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { setEnvironmentData } from 'node:worker_threads';
import { CliError, parseQemuArgs } from './qemu-options';
import { addScratchDisk, resolveRunOptions } from './run';
import { EmulatorThread } from '../system/emulator';
import { ConsoleClient } from '../debug/client';
import { classify } from '../debug/command-names';
import { DEBUG_CONSOLE_KEY } from '../debug/host-key';

export interface DebugCliOptions {
  /** -x FILE and -ex CMD, in command-line order. */
  scripts: Array<{ kind: 'file' | 'command'; value: string }>;
  batch: boolean;
  quiet: boolean;
  /** -tty=FILE: the guest's console output goes there (gdb's -tty for the inferior's terminal). */
  tty?: string;
  qemuArgs: string[];
}

/** Split `vtrace debug`'s own options from the QEMU options (everything else, or after --). */
export function parseDebugArgs(args: readonly string[]): DebugCliOptions {
  const o: DebugCliOptions = { scripts: [], batch: false, quiet: false, qemuArgs: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      o.qemuArgs.push(...args.slice(i + 1));
      break;
    }
    if (a === '-x' || a === '--command' || a === '-ex' || a === '--eval-command') {
      const v = args[++i];
      if (v === undefined) throw new CliError(`option '${a}' requires an argument`);
      o.scripts.push({ kind: a === '-x' || a === '--command' ? 'file' : 'command', value: v });
    } else if (a.startsWith('-tty=') || a.startsWith('--tty=')) {
      o.tty = a.slice(a.indexOf('=') + 1);
    } else if (a === '-tty' || a === '--tty') {
      const v = args[++i];
      if (v === undefined) throw new CliError(`option '${a}' requires an argument`);
      o.tty = v;
    } else if (a === '-batch' || a === '--batch') {
      o.batch = true;
      o.quiet = true;
    } else if (a === '-q' || a === '-quiet' || a === '--quiet' || a === '-silent' || a === '-nx') {
      o.quiet = true;
    } else o.qemuArgs.push(a);
  }
  for (const s of o.scripts) {
    if (s.kind === 'file' && !fs.existsSync(s.value)) throw new CliError(`${s.value}: No such file or directory.`);
  }
  return o;
}

/** The lines of a command file, `commands ... end` blocks joined into one entry. */
export function scriptEntries(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '' || l.startsWith('#')) continue;
    if (classify(l) === 'commands') {
      const block = [l];
      for (i++; i < lines.length; i++) {
        const b = lines[i].trim();
        block.push(b);
        if (b === 'end') break;
      }
      out.push(block.join('\n'));
    } else out.push(l);
  }
  return out;
}

export async function debugCommand(args: readonly string[]): Promise<number> {
  const d = parseDebugArgs(args);
  const options = resolveRunOptions(parseQemuArgs([...d.qemuArgs]));
  const scratch = addScratchDisk(options);
  try {
    return await session(d, options);
  } finally {
    if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function session(d: DebugCliOptions, options: ReturnType<typeof resolveRunOptions>): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  for (const note of options.ignored) process.stderr.write(`vtrace: ${note} accepted and ignored\n`);
  let ttyFd: number | undefined;
  if (d.tty !== undefined) {
    try {
      ttyFd = fs.openSync(d.tty, 'a');
    } catch (e) {
      throw new CliError(`-tty=${d.tty}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
    }
  }
  const guestOut = (data: Uint8Array) => (ttyFd === undefined ? process.stdout.write(data) : fs.writeSync(ttyFd, data));
  let failed = false;
  // The emulator thread serves this console: it creates the machine and waits for `run`.
  setEnvironmentData(DEBUG_CONSOLE_KEY, true);
  const emu = new EmulatorThread(options, {
    serial: (data) => void guestOut(data),
    warning: (text) => process.stderr.write(text),
    error: (message) => {
      failed = true;
      process.stderr.write(`vtrace: ${message}\n`);
    },
  });
  const err = (text: string) => process.stderr.write(text);
  const client = new ConsoleClient(emu.debug, out, err);
  let ended = false;
  const done = emu.done.then((r) => {
    ended = true;
    if (r.exit.kind === 'crashed') process.stderr.write(`vtrace: internal error in the emulator thread:\n${r.exit.message}\n`);
    return r;
  });
  const quit = async () => {
    if (!ended) {
      await client.detach();
      emu.quit();
    }
    await done;
  };
  const started = `Starting program: vtrace run ${d.qemuArgs.join(' ')}`.trimEnd() + '\n';
  let traceCommands = false;
  const run = async (line: string): Promise<boolean> => {
    if (traceCommands) out(line.split('\n').map((l) => `+${l}\n`).join(''));
    const set = /^set\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (set !== null) {
      if (set[1] === 'trace-commands' && (set[2] === 'on' || set[2] === 'off' || set[2] === '')) {
        traceCommands = set[2] !== 'off';
        return true;
      }
      err(`Undefined set command: "${set[1]}".  Try "help set".\n`);
      return false;
    }
    const cls = classify(line.split('\n')[0]);
    if (cls === 'quit' || cls === 'kill') {
      await quit();
      return true;
    }
    if (ended) {
      err('The program is not being run.\n');
      return false;
    }
    if (cls === 'run' && client.gone === false) out(started);
    return client.exec(line);
  };

  // Wait until the emulator thread answers (machine created), or failed.
  await Promise.race([client.drain(), done]);
  if (failed || ended) return 1;

  const onSigint = () => {
    if (client.running) client.interrupt();
    else if (rl === undefined) process.exit(130);
    else {
      // gdb: Ctrl-C at the prompt discards the line.
      out('\nQuit\n');
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    }
  };
  let rl: readline.Interface | undefined;
  process.on('SIGINT', onSigint);
  try {
    let ok = true;
    for (const s of d.scripts) {
      const entries = s.kind === 'file' ? scriptEntries(fs.readFileSync(s.value, 'utf8')) : [s.value];
      for (const e of entries) {
        ok = await run(e);
        if (!ok && s.kind === 'file') break; // gdb stops a sourced file at its first error
        if (ended) break;
      }
      if (ended) break;
    }
    if (d.batch) {
      await quit();
      return failed || !ok ? 1 : 0;
    }
    if (!d.quiet) out('vtrace debug: the machine is created; nothing runs until "run". Type "help" for the commands.\n');
    rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      prompt: '(vtrace) ',
      terminal: process.stdin.isTTY === true,
      historySize: 1000,
      completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
        // readline shows and inserts the completions of the last word.
        const word = /\S*$/.exec(line)![0];
        const head = line.length - word.length;
        client.complete(line).then(
          (hits) => cb(null, [hits.map((h) => h.slice(head)), word]),
          () => cb(null, [[], word]),
        );
      },
    });
    rl.on('SIGINT', onSigint);
    await interactive(rl, run, () => ended);
  } finally {
    process.off('SIGINT', onSigint);
    rl?.close();
    await quit();
    if (ttyFd !== undefined) fs.closeSync(ttyFd);
  }
  return failed ? 1 : 0;
}

/** The prompt loop: one command at a time; `commands` reads its block with a `>` prompt. */
async function interactive(rl: readline.Interface, run: (line: string) => Promise<boolean>, ended: () => boolean): Promise<void> {
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  rl.on('line', (l) => {
    lines.push(l);
    wake?.();
  });
  rl.on('close', () => {
    closed = true;
    wake?.();
  });
  const next = async (prompt: string): Promise<string | null> => {
    rl.setPrompt(prompt);
    // Keep the cursor where it is: text typed while the last command ran (readline already holds
    // it) is shown after the prompt with the cursor at its end, as gdb does; prompt() alone would
    // put the cursor at its start, and a Tab would complete there.
    rl.prompt(true);
    while (lines.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
    wake = null;
    return lines.length > 0 ? lines.shift()! : null;
  };
  for (;;) {
    const line = await next('(vtrace) ');
    if (line === null) {
      process.stdout.write('quit\n');
      return;
    }
    let cmd = line;
    if (classify(line) === 'commands') {
      process.stdout.write('Type commands for breakpoint(s), one per line.\nEnd with a line saying just "end".\n');
      const block = [line];
      for (;;) {
        const b = await next('>');
        if (b === null || b.trim() === 'end') break;
        block.push(b);
      }
      block.push('end');
      cmd = block.join('\n');
    }
    const cls = classify(line);
    await run(cmd);
    if (cls === 'quit' || cls === 'kill' || ended()) {
      if (cls === 'quit' || cls === 'kill') return;
    }
  }
}
