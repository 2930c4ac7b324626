import { expect, test } from 'vitest';
import { EscapeDecoder } from '../../src/cli/stdio-console';

function harness() {
  const input: number[] = [];
  const printed: string[] = [];
  let quit = 0;
  const d = new EscapeDecoder({ input: (b) => input.push(...b), quit: () => quit++ }, (t) => printed.push(t));
  return { d, input, printed, quits: () => quit };
}

test('plain keys go to the guest', () => {
  const h = harness();
  h.d.feed(Buffer.from('ls\r'));
  expect(Buffer.from(h.input).toString()).toBe('ls\r');
});

test('Ctrl-A x quits after delivering what came before it', () => {
  const h = harness();
  h.d.feed(Buffer.from('ab\x01xcd'));
  expect(Buffer.from(h.input).toString()).toBe('ab');
  expect(h.quits()).toBe(1);
  expect(h.printed.join('')).toContain('Terminated');
});

test('Ctrl-A h prints help, Ctrl-A Ctrl-A sends one Ctrl-A, split across chunks', () => {
  const h = harness();
  h.d.feed(Buffer.from('\x01'));
  h.d.feed(Buffer.from('h'));
  h.d.feed(Buffer.from('\x01\x01z'));
  expect(h.printed.join('')).toContain('C-a x    exit emulator');
  expect(h.input).toEqual([0x01, 0x7a]);
});
