/**
 * The `vtrace run` options that are not QEMU's and belong to the live front ends, taken out of
 * the argument list before QEMU's parser sees it:
 *
 *   --no-tui                 keep the plain console even on a terminal
 *   --tui                    the TUI even when -nographic is given (stdout must be a terminal)
 *   --control-socket PATH    serve live statistics on a Unix socket for `vtrace dash PATH`
 *
 * Contract: takeFrontEndArgs is pure and throws CliError for a missing PATH; tuiWanted reads the
 * terminals and the environment. Kept free of Ink and React: `vtrace run` loads the TUI (launch.ts)
 * only when it is wanted.
 */
import { CliError, type MachineOptions } from '../cli/qemu-options';

export interface FrontEndArgs {
  /** true: --tui, false: --no-tui, undefined: decide (a terminal and no -nographic). */
  tui?: boolean;
  controlSocket?: string;
}

export function takeFrontEndArgs(argv: readonly string[]): { rest: string[]; fe: FrontEndArgs } {
  const rest: string[] = [];
  const fe: FrontEndArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-tui') fe.tui = false;
    else if (a === '--tui') fe.tui = true;
    else if (a === '--control-socket' || a.startsWith('--control-socket=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') throw new CliError('--control-socket: a socket path is required (e.g. --control-socket /tmp/vtrace.sock)');
      fe.controlSocket = v;
    } else rest.push(a);
  }
  return { rest, fe };
}

/** Ink's own test (is-in-ci): under CI it draws no interactive frames, so the TUI would stay blank. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== '0' && env.CI !== 'false' && ('CI' in env || 'CONTINUOUS_INTEGRATION' in env || Object.keys(env).some((k) => k.startsWith('CI_')));
}

/** Does this run get the TUI? A terminal on both ends, no -nographic (unless --tui), no --no-tui, not under CI. */
export function tuiWanted(o: MachineOptions, fe: FrontEndArgs, stdin = process.stdin, stdout = process.stdout): boolean {
  if (fe.tui === false || o.dumpDtb !== undefined || o.trace.help) return false;
  if (!stdout.isTTY || !stdin.isTTY || process.env.TERM === 'dumb' || inCi()) return false;
  return fe.tui === true || !o.nographic;
}
