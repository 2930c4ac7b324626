import { expect, test } from 'vitest';
import { AddressSpace, GuestRam } from '../../../src/system/memory';
import { SifiveTest, type ShutdownRequest } from '../../../src/hw/misc/sifive-test';

test('sifive_test: 0x5555 powers off, 0x3333 fails with the code in bits 31:16, 0x7777 resets', () => {
  const got: ShutdownRequest[] = [];
  const errors: string[] = [];
  const dev = new SifiveTest((r) => got.push(r), (m) => errors.push(m));
  const as = new AddressSpace(new GuestRam(0x80000000, 4096));
  as.addRegion(0x100000, dev.region);
  as.ioWrite(0x100000, 4, 0x5555);
  as.ioWrite(0x100000, 4, (42 << 16) | 0x3333);
  as.ioWrite(0x100000, 2, 0x7777); // OpenSBI's writew
  as.ioWrite(0x100000, 4, 0x1234);
  expect(got).toEqual([
    { kind: 'poweroff', code: 0 },
    { kind: 'fail', code: 42 },
    { kind: 'reset', code: 0 },
  ]);
  expect(errors).toHaveLength(1);
  expect(as.ioRead(0x100000, 4)).toBe(0);
});
