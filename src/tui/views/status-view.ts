/**
 * The status bar (top line), the prompt/message line (bottom) and the help text (`?`).
 */
import type { TuiModel } from '../model/tui-model';
import { vmStateLabel } from '../model/vm-state';
import type { Line } from '../ui/style';

export function statusLine(m: TuiModel): Line {
  const vm = m.vm;
  const style = vm.kind === 'running' ? 'ok' : vm.kind === 'stopped' ? 'warn' : vm.kind === 'exited' ? 'bad' : 'accent';
  const mode = m.mode.kind === 'typing' ? '  TYPING TO GUEST (Ctrl-A then any key: back)' : '';
  return [
    [' vtrace ', ['inverse', 'bold']],
    [' machine: ', 'dim'],
    [vmStateLabel(vm), ['bold', style]],
    [mode, ['bold', 'warn']],
    [`  ${m.source}`, 'muted'],
    ['   ? help  q quit', 'muted'],
  ];
}

export function bottomLine(m: TuiModel): Line {
  const md = m.mode;
  if (md.kind === 'prompt') {
    const label = md.purpose === 'filter' ? 'filter (globs, @category, -exclude; empty: default): /' : '(vtrace debug) ';
    return [[label, 'accent'], [md.text], ['█', 'accent']];
  }
  if (m.message !== '') return [[m.message, 'warn']];
  if (md.kind === 'typing') return [['keys go to the guest UART · Ctrl-A x quit · Ctrl-A a sends Ctrl-A · Ctrl-A other: back to vtrace keys', 'muted']];
  return [['p pause  c continue  n step event  ↑↓ select  ⏎ backtrace  space freeze stream  / filter  f category  i type  : debug  tab focus', 'muted']];
}

export const HELP_TEXT = [
  'vtrace live TUI — keys',
  '',
  '  machine      p  pause the VM         c  continue          n  step one event (stopped)',
  '  console      i  type into the guest console (Ctrl-A then a key returns; Ctrl-A x quits)',
  '  events       ↑/↓ k/j  select (freezes the stream, not the guest)   PgUp/PgDn  page',
  '               g/G  first/last     space  freeze/follow the stream     esc  follow again',
  '               ⏎  show the backtrace of the selected event',
  '               /  filter: globs (virtio_blk_*), categories (@block @pool @syscall), -exclusions',
  '               f  cycle through the categories',
  '  panes        tab / shift-tab  focus     1-7  show/hide console, events, pipeline,',
  '               backtrace, threads, stats, plugins    + / -  grow/shrink the focused pane',
  '  debug        :  a debug console command (the commands of `vtrace debug`, e.g. info registers)',
  '  quit         q  (the terminal is restored; the machine is told to quit)',
  '',
  'Categories: vcpu mmio virtio virtio-blk block coroutine pool aio syscall backtrace other',
  'Press any key to close this help.',
];
