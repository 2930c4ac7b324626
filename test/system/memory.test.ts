import { describe, expect, test } from 'vitest';
import { AddressSpace, GuestRam, type MmioAccess } from '../../src/system/memory';

function recordingRegion(name: string, size: number) {
  const log: string[] = [];
  return {
    log,
    region: {
      name,
      size,
      ops: {
        read: (off: number, sz: number) => {
          log.push(`r${sz}@${off}`);
          return 0x11223344 + off;
        },
        write: (off: number, sz: number, v: number) => {
          log.push(`w${sz}@${off}=${v.toString(16)}`);
        },
      },
    },
  };
}

describe('AddressSpace', () => {
  test('RAM is a SharedArrayBuffer with little-endian views', () => {
    const ram = new GuestRam(0x8000_0000, 64 * 1024);
    expect(ram.buffer).toBeInstanceOf(SharedArrayBuffer);
    ram.i32[0] = 0x04030201;
    expect([...ram.u8.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect(ram.contains(0x8000_0000 + 64 * 1024 - 4, 4)).toBe(true);
    expect(ram.contains(0x8000_0000 + 64 * 1024 - 2, 4)).toBe(false);
  });

  test('MMIO dispatch finds the region, splits 8-byte accesses low word first, reports unassigned', () => {
    const as = new AddressSpace(new GuestRam(0x8000_0000, 4096));
    const a = recordingRegion('a', 0x100);
    const b = recordingRegion('b', 0x1000);
    as.addRegion(0x1000_0000, a.region);
    as.addRegion(0x200_0000, b.region);
    expect(as.ioRead(0x1000_0004, 4)).toBe(0x11223348);
    expect(as.lastAccessFailed).toBe(false);
    as.ioWrite(0x200_0008, 8, 0xdeadbeef, 0x1234);
    expect(b.log).toEqual(['w4@8=deadbeef', 'w4@12=1234']);
    expect(as.ioRead(0x200_0010, 8)).toBe(0x11223354);
    expect(as.ioHigh).toBe(0x11223358);
    as.ioRead(0x3000_0000, 4);
    expect(as.lastAccessFailed).toBe(true);
    as.ioWrite(0x1000_00fe, 4, 1); // crosses the end of region a
    expect(as.lastAccessFailed).toBe(true);
  });

  test('observers see every MMIO access; overlapping regions are refused', () => {
    const as = new AddressSpace(new GuestRam(0x8000_0000, 4096));
    const a = recordingRegion('uart', 0x100);
    as.addRegion(0x1000_0000, a.region);
    const seen: MmioAccess[] = [];
    as.mmioObserver = (acc) => seen.push(acc);
    as.ioWrite(0x1000_0000, 1, 0x141);
    expect(seen).toMatchObject([{ offset: 0, size: 1, value: 0x41, isWrite: true }]);
    expect(() => as.addRegion(0x1000_0080, recordingRegion('x', 0x100).region)).toThrow(/overlaps uart/);
    expect(() => as.addRegion(0x7fff_ff00, recordingRegion('y', 0x200).region)).toThrow(/overlaps RAM/);
  });
});
