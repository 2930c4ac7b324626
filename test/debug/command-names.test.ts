/**
 * gdb's command-name rules as the console applies them (src/debug/command-names.ts).
 */
import { describe, expect, test } from 'vitest';
import { classify, lookupCommand, parseCommand } from '../../src/debug/command-names';

describe('command names', () => {
  test('aliases, unique prefixes, formats, ambiguity', () => {
    expect(parseCommand('p/x hd0.file.fd')).toMatchObject({ cmd: { name: 'print' }, fmt: 'x', args: 'hd0.file.fd' });
    expect(parseCommand('x/16xb 0x80000000')).toMatchObject({ cmd: { name: 'x' }, fmt: '16xb', args: '0x80000000' });
    expect(parseCommand('bt -three').cmd?.name).toBe('backtrace');
    expect(parseCommand('cont').cmd?.name).toBe('continue');
    expect(parseCommand('wat hd0').cmd?.name).toBe('watch');
    expect(parseCommand('rw hd0').cmd?.name).toBe('rwatch');
    expect(lookupCommand('de').cmd?.name).toBe('delete'); // the only name starting with "de"
    expect(lookupCommand('d').cmd?.name).toBe('delete');
    expect(lookupCommand('ca').cmd?.name).toBe('catch');
    expect(lookupCommand('co').ambiguous).toEqual(['continue', 'commands', 'condition']);
    expect(lookupCommand('frobnicate')).toEqual({});
  });

  test('which lines run the machine', () => {
    expect(['run', 'r', 'c', 'continue 3', 'si', 'stepi 4', 'next-event virtio_*', 'ne'].map(classify)).toEqual(['run', 'run', 'continue', 'continue', 'step', 'step', 'next-event', 'next-event']);
    expect(['print 1', 'q', 'kill', 'commands 2', '# comment', ''].map(classify)).toEqual(['other', 'quit', 'kill', 'commands', 'other', 'other']);
  });
});
