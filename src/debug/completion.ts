/**
 * Tab completion for the console ('console.complete'): the last word of a line, completed as a
 * command name (a unique one gets its trailing space), an `info` topic, a tracepoint for
 * break/tbreak/next-event, a syscall for catch, or a state path (tree.ts). Paths of state that
 * lives in an iothread (a dataplane drive `hd0.`, `$vdev.` at a stop there, its block nodes) are
 * completed by that iothread's agent, with the same names as for the emulator thread's.
 *
 * Contract: emulator thread; returns whole lines (the line with its last word completed).
 */
import { COMMAND_NAMES, INFO_TOPICS, lookupCommand } from './command-names';
import type { DebugConsole } from './console';
import { remoteHandle, remoteMembers } from './iothread-agent-proxy';
import { remoteNodeNames } from './remote-state';
import { SYSCALL_NAMES } from './syscall-info';
import { breakableTracepoints } from './trace-break';

export function completeLine(c: DebugConsole, line: string): string[] {
  const words = line.split(/\s+/);
  const last = words[words.length - 1] ?? '';
  const head = line.slice(0, line.length - last.length);
  const done = (names: readonly string[]) => names.filter((n) => n.startsWith(last)).map((n) => head + n);
  if (words.length <= 1) {
    const names = [...new Set(COMMAND_NAMES.map((x) => x.name).filter((n) => n.startsWith(last)))].sort();
    return names.length === 1 ? [`${head}${names[0]} `] : names.map((n) => head + n);
  }
  const cmd = lookupCommand(words[0]).cmd?.name;
  if (cmd === 'info' && words.length === 2) return done(INFO_TOPICS);
  if (cmd === 'break' || cmd === 'tbreak' || cmd === 'next-event') return done(breakableTracepoints());
  if (cmd === 'catch') return words.length === 2 ? done(['syscall']) : done(SYSCALL_NAMES);
  return completePath(c, last).map((x) => head + x);
}

/** A state path: the emulator thread's tree, or the iothread whose object the path's base is. */
function completePath(c: DebugConsole, path: string): string[] {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('/'), path.lastIndexOf('>'));
  if (cut < 0) {
    const names = [...c.tree.complete(path), ...remoteNodeNames().filter((n) => n.startsWith(path))];
    return [...new Set(names)].sort();
  }
  const base = path.slice(0, path[cut] === '>' ? cut - 1 : cut);
  const r = base.startsWith('/') ? undefined : c.tree.resolve(base);
  const h = r?.ok === true ? remoteHandle(r.value) : undefined;
  if (h === undefined) return c.tree.complete(path);
  return remoteMembers(h, path.slice(cut + 1)).map((n) => path.slice(0, cut + 1) + n);
}
