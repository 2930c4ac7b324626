import { expect, test } from 'vitest';
import { registerTableOps } from '../../../src/hw/core/register-table';

test('a register table dispatches by offset, names registers and reports guest errors', () => {
  const errors: string[] = [];
  let ctrl = 0;
  const prio = [0, 0, 0, 0];
  const t = registerTableOps(
    'dev',
    [
      { offset: 0x0, size: 4, name: 'Magic', read: () => 0x74726976 },
      { offset: 0x4, size: 4, name: 'Ctrl', read: () => ctrl, write: (v) => (ctrl = v) },
      { offset: 0x10, size: 4, name: 'Priority', count: 4, read: (i) => prio[i], write: (v, i) => (prio[i] = v) },
      { offset: 0x20, size: 1, name: 'RBR', read: () => 0x41 },
      { offset: 0x21, size: 1, name: 'IER', read: () => 0x5 },
    ],
    (m) => errors.push(m),
  );
  expect(t.ops.read(0, 4)).toBe(0x74726976);
  expect(t.ops.read(1, 1)).toBe(0x69); // byte 1 of the magic ("v")
  t.ops.write(0x4, 4, 7);
  expect(ctrl).toBe(7);
  t.ops.write(0x18, 4, 3);
  expect(prio).toEqual([0, 0, 3, 0]);
  expect(t.nameAt(0x18)).toBe('Priority[2]');
  expect(t.nameAt(0x21)).toBe('IER');
  expect(t.ops.read(0x21, 1)).toBe(5);
  t.ops.write(0x4, 2, 1); // narrower write: refused, value kept
  expect(ctrl).toBe(7);
  expect(t.ops.read(0x40, 4)).toBe(0);
  expect(errors).toEqual(['dev: 2-byte write to Ctrl at 0x4 not supported', 'dev: read of unknown register at 0x40 (size 4)']);
});
