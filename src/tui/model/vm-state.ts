/**
 * What the TUI knows about the machine's run state, as the debug channel reports it
 * (src/system/debug-channel.ts): running, stopped (and why), or exited (and how).
 */
export type VmState =
  | { kind: 'starting' }
  | { kind: 'running' }
  | { kind: 'stopped'; why: string }
  | { kind: 'exited'; how: string; code: number | null }
  /** A recording replayed: no machine to control. */
  | { kind: 'replay' };

export function vmStateLabel(s: VmState): string {
  switch (s.kind) {
    case 'starting':
      return 'starting';
    case 'running':
      return 'running';
    case 'stopped':
      return `stopped (${s.why})`;
    case 'exited':
      return `exited (${s.how})`;
    case 'replay':
      return 'recording';
  }
}
