/**
 * Keys → actions on the model and the machine (the TUI's key map, `?` shows it). Plain TS, no
 * React: the Ink tree only draws what this leaves in the model.
 *
 * Modes (model.mode): normal (the key map), typing (bytes go to the guest UART; Ctrl-A then a key
 * leaves, as QEMU's -nographic escape: Ctrl-A x quits, Ctrl-A a sends a Ctrl-A), prompt (a line
 * editor for `/` filters and `:` debug commands; Enter applies, Esc cancels), help (any key closes).
 *
 * Contract: input() never throws, whatever the bytes; `q` (or Ctrl-A x, or Ctrl-C twice) always
 * reaches onQuit. Machine actions are asynchronous; their outcome lands in model.message.
 */
import type { TuiModel } from './model/tui-model';
import { EventFilter } from './model/event-filter';
import { CATEGORIES } from './model/categories';
import { MAX_WEIGHT, MIN_WEIGHT, PANE_IDS, type PaneId } from './model/panes';
import { keyName, splitKeys } from './keys';
import type { VmControl } from './live/vm-control';
import { classify } from '../debug/command-names';

const CTRL_A = '\x01';

export class Controller {
  private escaped = false;
  private category = -1;
  private ctrlC = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly m: TuiModel,
    private readonly vm: VmControl | null,
    private readonly onQuit: () => void,
  ) {}

  /** A chunk of terminal input (raw mode). */
  input(chunk: string): void {
    try {
      if (this.m.mode.kind === 'typing') this.typing(chunk);
      else for (const k of splitKeys(chunk)) this.key(k);
    } catch (e) {
      this.m.say(`internal error handling a key: ${(e as Error).message}`);
    }
    this.m.touch(true);
  }

  private typing(chunk: string): void {
    let out = '';
    for (const ch of chunk) {
      if (this.escaped) {
        this.escaped = false;
        const c = ch.toLowerCase();
        if (ch === CTRL_A || c === 'a') out += CTRL_A;
        else if (c === 'x') {
          this.flush(out);
          this.quit();
          return;
        } else {
          this.flush(out);
          this.m.mode = { kind: 'normal' };
          this.m.say('back to vtrace keys (i types into the guest again)');
          return;
        }
      } else if (ch === CTRL_A) this.escaped = true;
      else out += ch;
    }
    this.flush(out);
  }

  private flush(text: string): void {
    if (text === '') return;
    if (this.vm === null) this.m.say('no machine: this is a recording');
    else this.vm.sendSerial(this.encoder.encode(text));
  }

  private quit(): void {
    this.m.quitting = true;
    this.m.say('quitting…');
    this.onQuit();
  }

  private key(seq: string): void {
    const md = this.m.mode;
    const k = keyName(seq);
    if (k === 'ctrl-c') {
      // Ctrl-C: as gdb, pause the machine; a second one in a row quits.
      if (++this.ctrlC >= 2) return this.quit();
      this.m.say('Ctrl-C again quits (or q)');
      if (this.vm !== null) void this.vm.pause().then((t) => this.m.say(t));
      return;
    }
    this.ctrlC = 0;
    if (md.kind === 'help') {
      this.m.mode = { kind: 'normal' };
      return;
    }
    if (md.kind === 'prompt') return this.promptKey(seq, k);
    this.m.message = '';
    const s = this.m.stream;
    switch (k) {
      case 'q':
        return this.quit();
      case '?':
        this.m.mode = { kind: 'help' };
        return;
      case 'p':
        return this.machine((vm) => vm.pause());
      case 'c':
        return this.machine((vm) => vm.cont());
      case 'n':
        return this.machine((vm) => vm.stepEvent());
      case 'i':
        if (this.vm === null) return this.m.say('no machine: this is a recording');
        this.m.mode = { kind: 'typing' };
        this.m.panes.console.visible = true;
        return;
      case ' ':
        s.togglePause();
        break;
      case 'escape':
        s.resume();
        this.m.debugOutput = null;
        break;
      case 'up':
      case 'k':
        if (this.m.focus === 'backtrace') this.m.backtraceScroll = Math.max(0, this.m.backtraceScroll - 1);
        else this.select(() => s.move(-1));
        break;
      case 'down':
      case 'j':
        if (this.m.focus === 'backtrace') this.m.backtraceScroll++;
        else this.select(() => s.move(1));
        break;
      case 'pageup':
      case 'pagedown': {
        const d = k === 'pageup' ? -10 : 10;
        if (this.m.focus === 'backtrace') this.m.backtraceScroll = Math.max(0, this.m.backtraceScroll + d);
        else this.select(() => s.move(d));
        break;
      }
      case 'home':
      case 'g':
        if (this.m.focus === 'backtrace') this.m.backtraceScroll = 0;
        else this.select(() => s.jump('first'));
        break;
      case 'end':
      case 'G':
        if (this.m.focus === 'backtrace') this.m.backtraceScroll = Number.MAX_SAFE_INTEGER;
        else this.select(() => s.jump('last'));
        break;
      case 'enter':
        this.m.debugOutput = null;
        this.m.panes.backtrace.visible = true;
        if (s.selected() === null) s.move(0);
        break;
      case '/':
        this.m.mode = { kind: 'prompt', purpose: 'filter', text: '' };
        return;
      case ':':
        this.m.mode = { kind: 'prompt', purpose: 'command', text: '' };
        return;
      case 'f': {
        this.category = this.category + 1 >= CATEGORIES.length ? -1 : this.category + 1;
        s.setFilter(EventFilter.category(this.category < 0 ? undefined : CATEGORIES[this.category]));
        this.m.say(`filter: ${s.filter.label}`);
        break;
      }
      case 'tab':
      case 'shift-tab':
        this.cycleFocus(k === 'tab' ? 1 : -1);
        return;
      case '+':
      case '=':
      case '-': {
        const p = this.m.panes[this.m.focus];
        p.weight = Math.max(MIN_WEIGHT, Math.min(MAX_WEIGHT, p.weight + (k === '-' ? -1 : 1)));
        return;
      }
      default:
        if (/^[1-7]$/.test(k)) {
          const id = PANE_IDS[Number(k) - 1];
          this.m.panes[id].visible = !this.m.panes[id].visible;
          if (!this.m.panes[id].visible && this.m.focus === id) this.cycleFocus(1);
          return;
        }
        return;
    }
    this.m.refreshBacktrace();
  }

  /** Selection moves show the selected event's backtrace (in place of debug console output). */
  private select(move: () => void): void {
    move();
    this.m.debugOutput = null;
  }

  private promptKey(seq: string, k: string): void {
    const md = this.m.mode;
    if (md.kind !== 'prompt') return;
    if (k === 'escape') {
      this.m.mode = { kind: 'normal' };
      return;
    }
    if (k === 'backspace') {
      md.text = [...md.text].slice(0, -1).join('');
      return;
    }
    if (k === 'enter') {
      this.m.mode = { kind: 'normal' };
      if (md.purpose === 'filter') {
        const f = EventFilter.parse(md.text);
        this.m.stream.setFilter(f);
        this.category = -1;
        this.m.say(f.errors.length > 0 ? `filter: ${f.errors.join('; ')}` : `filter: ${f.label}`);
        this.m.refreshBacktrace();
      } else this.command(md.text);
      return;
    }
    if (seq.length === 1 && seq >= ' ') md.text += seq;
    else if ([...seq].length === 1 && seq.charCodeAt(0) >= 0xa0) md.text += seq;
  }

  private command(line: string): void {
    if (line.trim() === '') return;
    const cls = classify(line);
    if (cls === 'quit' || cls === 'kill') return this.quit();
    if (this.vm === null) return this.m.say('no machine: this is a recording');
    this.m.panes.backtrace.visible = true;
    this.m.showDebug(line, ['…']);
    void this.vm.exec(line).then((r) => {
      const lines = r.text.replace(/\n$/, '').split('\n');
      this.m.showDebug(line, r.ok || r.text === '' ? lines : ['error:', ...lines]);
    });
  }

  private machine(action: (vm: VmControl) => Promise<string>): void {
    if (this.vm === null) return this.m.say('no machine: this is a recording');
    void action(this.vm).then((t) => this.m.say(t));
  }

  private cycleFocus(dir: number): void {
    const visible = PANE_IDS.filter((id) => this.m.panes[id].visible);
    if (visible.length === 0) return;
    const i = visible.indexOf(this.m.focus as PaneId);
    this.m.focus = visible[(i + dir + visible.length) % visible.length];
  }
}
