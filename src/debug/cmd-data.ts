/**
 * Console commands that read emulator state: print/output, ptype/whatis, x, info, echo, help,
 * trace-event. See console.ts for how they are reached; each returns its output text or throws
 * ConsoleError.
 */
import { applyTraceSpecs, tracepointsMatching } from '../trace/control';
import { allTracepoints } from '../trace/generated/tracepoints';
import type { AnyTracepoint } from '../trace/tracepoint';
import { INFO_TOPICS, type ParsedCommand } from './command-names';
import type { CommandFn, DebugConsole } from './console';
import { ConsoleError, examine, infoBlock, infoBlockstats, infoCoroutines, infoIothreads, infoQtree, infoThreads } from './info';
import { formatFrame, frameText } from './frames';
import { gettid } from '../host/thread-id';
import { infoArgs, infoFrame } from './cmd-frames';
import { liveFrameZero } from './frame-args';
import { formatValue, ptypeText, typeName, type FormatOptions } from './values';
import { Watchpoint } from './watch';
import { RemoteWatchpoint } from './remote-state';

function radix(fmt: string | undefined): FormatOptions {
  if (fmt === undefined || fmt === '') return {};
  const r = fmt.replace(/^\d+/, '')[0];
  if (r === 'x' || r === 'd' || r === 'o' || r === 't' || r === 'c') return { radix: r };
  throw new ConsoleError(`Undefined output format "${fmt}".`);
}

function print(c: DebugConsole, cmd: ParsedCommand, output: boolean): string {
  const f = radix(cmd.fmt);
  if (cmd.args === '') {
    if (output) throw new ConsoleError('Argument required (expression to compute).');
    const n = c.history.length;
    if (n === 0) return '';
    return `$${n} = ${formatValue(c.history[n - 1], f)}\n`;
  }
  const v = c.evaluate(cmd.args);
  if (output) return formatValue(v, f);
  c.history.push(v);
  const n = c.history.length;
  c.tree.env.vars.set(`$${n}`, v);
  c.tree.env.vars.set('$', v);
  return `$${n} = ${formatValue(v, f)}\n`;
}

function echo(args: string): string {
  return args.replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === '\\' ? '\\' : ch === 'a' ? '\x07' : ch));
}

function info(c: DebugConsole, cmd: ParsedCommand): string {
  const [topicWord = '', ...rest] = cmd.args.split(/\s+/).filter((w) => w !== '');
  if (topicWord === '') throw new ConsoleError(`List of info subcommands: ${INFO_TOPICS.join(', ')}.`);
  const matches = INFO_TOPICS.filter((t) => t === topicWord || t.startsWith(topicWord));
  const topic = matches.includes(topicWord) ? topicWord : matches.length === 1 ? matches[0] : topicWord === 'b' || topicWord === 'br' ? 'breakpoints' : topicWord === 'r' || topicWord === 'reg' ? 'registers' : undefined;
  const m = c.machine();
  switch (topic) {
    case 'qtree':
      if (m === null) throw new ConsoleError('The machine has not been created.');
      return infoQtree(c.tree, m);
    case 'block':
      return infoBlock(c.tree, rest[0]) || 'No drives (-drive) are open yet.\n';
    case 'blockstats':
      return infoBlockstats(c.tree, c.acct);
    case 'iothreads':
      return infoIothreads();
    case 'coroutines':
      return infoCoroutines();
    case 'threads': {
      const cur = c.current?.thread.tid ?? (c.hartStop !== null ? gettid() : -1);
      const f = c.current?.req.frames[0];
      return infoThreads(m, cur, f === undefined ? undefined : frameText(f));
    }
    case 'watchpoints':
      return c.points.table((p) => p instanceof Watchpoint || p instanceof RemoteWatchpoint) || 'No watchpoints.\n';
    case 'breakpoints':
      return c.points.table() || 'No breakpoints or watchpoints.\n';
    case 'trace-events': {
      const pattern = rest[0] ?? '*';
      const list = pattern === '*' ? (allTracepoints as readonly AnyTracepoint[]) : tracepointsMatching(pattern);
      return list.map((t) => `${t.name} : state ${t.on ? 1 : 0}\n`).join('');
    }
    case 'frame':
      return infoFrame(c);
    case 'args':
      return infoArgs(c);
    case 'program': {
      // Why the machine is stopped (the report a console front end printed at the stop; gdb's
      // monitor users see only SIGTRAP).
      if (c.current !== null) {
        const f = liveFrameZero(c.current.req.frames, c.current.live);
        return `${c.current.req.header.replace(/^\n/, '')}${!c.current.req.frameInHeader && f !== undefined ? `\n${formatFrame(0, f)}` : ''}\n`;
      }
      if (c.hartStop !== null) return `Stopped on hart ${c.hartStop.hart} (${c.hartStop.reason.kind}).\n`;
      return c.phase === 'running' ? 'The program is running.\n' : 'The program being debugged is not being run.\n';
    }
    case 'registers':
    case 'cpus': {
      const out = c.builtinExec(`info ${topic} ${rest.join(' ')}`.trim());
      if (out === undefined) throw new ConsoleError(`Undefined info command: "${topicWord}".  Try "help info".`);
      return out;
    }
    default: {
      if (matches.length > 1) throw new ConsoleError(`Ambiguous info command "${topicWord}": ${matches.join(', ')}.`);
      // Topics the machine's console registered (src/system/debug-commands.ts), e.g. `info plugins`.
      const out = matches.length === 0 ? c.builtinExec(`info ${topicWord} ${rest.join(' ')}`.trim()) : undefined;
      if (out !== undefined) return out;
      throw new ConsoleError(`Undefined info command: "${topicWord}".  Try "help info".`);
    }
  }
}

function traceEvent(args: string): string {
  const [name, state] = args.split(/\s+/);
  if (name === undefined || name === '' || (state !== 'on' && state !== 'off')) throw new ConsoleError('Usage: trace-event NAME on|off');
  if (tracepointsMatching(name).length === 0) throw new ConsoleError('Unknown event name or pattern');
  applyTraceSpecs([{ pattern: name, enable: state === 'on' }]);
  return '';
}

export const dataCommands: Array<[string, string, CommandFn]> = [
  ['print', 'print EXPR: a value of emulator state (print/x: in hex); paths such as hd0.file.fd', (c, cmd) => print(c, cmd, false)],
  ['output', 'output EXPR: as print, without the $N = and the newline', (c, cmd) => print(c, cmd, true)],
  ['ptype', 'ptype EXPR: the runtime type of a value, with its fields', (c, cmd) => ptypeText(c.evaluate(cmd.args)) + '\n'],
  ['whatis', 'whatis EXPR: the type name of a value', (c, cmd) => `type = ${typeName(c.evaluate(cmd.args))}\n`],
  [
    'x',
    'x/FMT ADDR: examine guest-physical memory (FMT: count, x d u o t a c, b h w g)',
    (c, cmd) => {
      if (cmd.args === '') throw new ConsoleError('Argument required (starting display address).');
      const a = c.evaluate(cmd.args);
      if (typeof a !== 'number' && typeof a !== 'bigint') throw new ConsoleError('Attempt to take address of value not located in memory.');
      return examine(c.machine(), cmd.fmt ?? '', a);
    },
  ],
  ['info', `info TOPIC: ${INFO_TOPICS.join(', ')}`, info],
  ['echo', 'echo TEXT: print TEXT (C escapes, no newline added)', (_c, cmd) => echo(cmd.args)],
  ['help', 'help: this list', (c) => c.helpText()],
  ['trace-event', 'trace-event NAME on|off: turn tracepoints on or off (QEMU HMP); info trace-events lists them', (_c, cmd) => traceEvent(cmd.args)],
  [
    'system_reset',
    'reset the machine (devices, boot images, harts)',
    (c) => {
      // The reset drains in-flight requests: workers must be free to finish them.
      c.catches.setStopped(false);
      const out = c.builtinExec('system_reset');
      if (out === undefined) throw new ConsoleError('system_reset is not available here');
      return out;
    },
  ],
];
