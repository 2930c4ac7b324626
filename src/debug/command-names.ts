/**
 * The console's command names and gdb's abbreviation rules, shared by the emulator-side interpreter
 * and the front ends (which must know which commands run the machine and which read more lines).
 *
 * A command is named by its full name, one of its aliases (gdb's: `c`, `p`, `bt`, `i`...), or any
 * prefix of its name that no other command shares (gdb's unique-prefix rule); an exact name wins
 * over a prefix. `x/4xb` and `p/x` carry a format after a slash.
 *
 * Contract: pure; no emulator state (safe on the main thread).
 */

export type CommandClass = 'run' | 'continue' | 'step' | 'next-event' | 'kill' | 'quit' | 'commands' | 'other';

export interface CommandName {
  name: string;
  aliases?: readonly string[];
  cls?: CommandClass;
}

export const COMMAND_NAMES: readonly CommandName[] = [
  { name: 'run', aliases: ['r'], cls: 'run' },
  { name: 'continue', aliases: ['c', 'cont', 'fg'], cls: 'continue' },
  { name: 'stepi', aliases: ['si', 'nexti', 'ni'], cls: 'step' },
  { name: 'next-event', aliases: ['ne'], cls: 'next-event' },
  { name: 'kill', aliases: ['k'], cls: 'kill' },
  { name: 'quit', aliases: ['q', 'exit'], cls: 'quit' },
  { name: 'commands', cls: 'commands' },
  { name: 'print', aliases: ['p', 'inspect', 'call'] },
  { name: 'output' },
  { name: 'ptype' },
  { name: 'whatis' },
  { name: 'x' },
  { name: 'info', aliases: ['i', 'inf'] },
  { name: 'watch' },
  { name: 'rwatch' },
  { name: 'awatch' },
  { name: 'catch' },
  { name: 'break', aliases: ['b', 'br', 'bre', 'brea'] },
  { name: 'tbreak', aliases: ['tb'] },
  { name: 'delete', aliases: ['d'] },
  { name: 'disable', aliases: ['disa', 'dis'] },
  { name: 'enable', aliases: ['en'] },
  { name: 'ignore' },
  { name: 'condition' },
  { name: 'backtrace', aliases: ['bt', 'where'] },
  { name: 'frame', aliases: ['f'] },
  { name: 'up' },
  { name: 'down' },
  { name: 'echo' },
  { name: 'help', aliases: ['h'] },
  { name: 'trace-event' },
  { name: 'system_reset' },
];

export interface ParsedCommand {
  /** The canonical name, or undefined when the word names no command (or several). */
  cmd: CommandName | undefined;
  /** The word as typed (without the /FMT). */
  word: string;
  /** The format after `/` (x/4xb → "4xb"), or undefined. */
  fmt: string | undefined;
  /** Everything after the command word. */
  args: string;
  /** Several commands share this prefix. */
  ambiguous?: string[];
}

/** Find a command by name, alias or unique prefix. */
export function lookupCommand(word: string, table: readonly CommandName[] = COMMAND_NAMES): { cmd?: CommandName; ambiguous?: string[] } {
  const exact = table.find((c) => c.name === word || c.aliases?.includes(word));
  if (exact !== undefined) return { cmd: exact };
  const prefixed = table.filter((c) => c.name.startsWith(word));
  if (prefixed.length === 1) return { cmd: prefixed[0] };
  if (prefixed.length > 1) return { ambiguous: prefixed.map((c) => c.name) };
  return {};
}

/** Split a line into command word, format and arguments. */
export function parseCommand(line: string, table: readonly CommandName[] = COMMAND_NAMES): ParsedCommand {
  const t = line.trim();
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\/(\S*))?\s*(.*)$/s.exec(t);
  if (m === null) return { cmd: undefined, word: t.split(/\s+/)[0] ?? '', fmt: undefined, args: '' };
  const found = lookupCommand(m[1], table);
  return { cmd: found.cmd, word: m[1], fmt: m[2], args: m[3].trim(), ambiguous: found.ambiguous };
}

/** What a line does to the machine (front ends wait for a stop after run/continue/step/next-event). */
export function classify(line: string): CommandClass {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return 'other';
  return parseCommand(t).cmd?.cls ?? 'other';
}

/** The topics of `info`. */
export const INFO_TOPICS = ['args', 'block', 'blockstats', 'breakpoints', 'coroutines', 'cpus', 'frame', 'iothreads', 'program', 'qtree', 'registers', 'threads', 'trace-events', 'watchpoints'];
