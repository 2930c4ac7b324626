import { describe, expect, test } from 'vitest';
import { CliError, parseKeyValues, parseQemuArgs, parseSize } from '../../src/cli/qemu-options';

describe('QEMU command-line parsing', () => {
  test('the seeds-style command line', () => {
    const o = parseQemuArgs(['-M', 'virt', '-m', '2048M', '-kernel', './Image', '-append', 'root=/dev/vda rw console=ttyS0', '-nographic']);
    expect(o.ramSize).toBe(2048 * 1024 * 1024);
    expect(o.kernel).toBe('./Image');
    expect(o.append).toBe('root=/dev/vda rw console=ttyS0');
    expect(o.nographic).toBe(true);
    expect(o.bios).toBe('default');
  });

  test('defaults follow QEMU virt', () => {
    const o = parseQemuArgs([]);
    expect(o.ramSize).toBe(128 * 1024 * 1024);
    expect(o.smp).toBe(1);
  });

  test('-machine properties, -smp forms, -s/-S, --long spelling', () => {
    const o = parseQemuArgs(['-machine', 'virt,dumpdtb=out.dtb', '-smp', 'cpus=2', '-s', '-S', '--bios', 'none']);
    expect(o.dumpDtb).toBe('out.dtb');
    expect(o.smp).toBe(2);
    expect(o.gdb).toBe('tcp::1234');
    expect(o.startStopped).toBe(true);
    expect(o.bios).toBe('none');
    expect(parseQemuArgs(['-smp', '4']).smp).toBe(4);
  });

  test('-object iothread and iothread= (dataplane)', () => {
    const o = parseQemuArgs(['-object', 'iothread,id=io0,poll-max-ns=32768', '-drive', 'file=a.img,if=none,id=hd0', '-device', 'virtio-blk-device,drive=hd0,iothread=io0']);
    expect(o.iothreads).toEqual(['io0']);
    expect(o.devices[0].iothread).toBe('io0');
    expect(o.ignored.some((n) => n.includes('poll-max-ns'))).toBe(true);
  });

  test('-drive discard=: ignore (the default) or unmap, with off/on as aliases, as QEMU', () => {
    const drive = (extra: string) => parseQemuArgs(['-drive', `file=a.img,if=none,id=hd0${extra}`]).drives[0].discard;
    expect(drive('')).toBeUndefined();
    expect([drive(',discard=unmap'), drive(',discard=on'), drive(',discard=ignore'), drive(',discard=off')]).toEqual(['unmap', 'unmap', 'ignore', 'ignore']);
    expect(() => drive(',discard=trim')).toThrow(/invalid value 'trim' for parameter 'discard'/);
  });

  test('-drive detect-zeroes=off|on|unmap', () => {
    const dz = (v: string) => parseQemuArgs(['-drive', `file=a.img,if=none,id=hd0,detect-zeroes=${v}`]).drives[0].detectZeroes;
    expect([dz('off'), dz('on'), dz('unmap')]).toEqual(['off', 'on', 'unmap']);
    expect(() => dz('yes')).toThrow(/invalid value 'yes' for parameter 'detect-zeroes'/);
  });

  test('-drive file.locking= and -device share-rw=', () => {
    const o = parseQemuArgs(['-drive', 'file=a.img,if=none,id=a,file.locking=off', '-drive', 'file=b.img,if=none,id=b,file.locking=auto', '-device', 'virtio-blk-device,drive=a,share-rw=on', '-device', 'virtio-blk-device,drive=b']);
    expect(o.drives.map((d) => d.locking)).toEqual([false, true]);
    expect(o.devices.map((d) => d.shareRw)).toEqual([true, undefined]);
    expect(() => parseQemuArgs(['-drive', 'file=a.img,file.locking=maybe'])).toThrow(/invalid value 'maybe' for parameter 'file.locking'/);
  });

  test('-drive cache.direct= and cache.no-flush=', () => {
    const d = parseQemuArgs(['-drive', 'file=a.img,if=none,id=a,cache=none,cache.no-flush=on,cache.direct=off']).drives[0];
    expect([d.cache, d.cacheDirect, d.cacheNoFlush]).toEqual(['none', false, true]);
  });

  test('sizes and key=value lists', () => {
    expect(parseSize('256')).toBe(256 * 1024 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect([...parseKeyValues('virt,a=b,,c,flag', 'type')]).toEqual([
      ['type', 'virt'],
      ['a', 'b,c'],
      ['flag', 'on'],
    ]);
  });

  test.each([
    [['-M', 'sifive_u'], /unsupported machine type 'sifive_u'/],
    [['-m', 'lots'], /invalid size 'lots'/],
    [['-m', '1M'], /between 16M and 16G/],
    [['-smp', '0'], /from 1 to 8/],
    [['-smp', 'two'], /from 1 to 8/],
    [['-kernel'], /requires an argument/],
    [['-frobnicate'], /unknown option '-frobnicate'/],
    [['Image'], /unexpected argument 'Image'/],
    [['-machine', 'virt,aia=aplic'], /unsupported property 'aia'/],
    [['-object', 'memory-backend-ram,id=m0'], /unsupported object type 'memory-backend-ram'/],
    [['-object', 'iothread'], /Parameter 'id' is missing/],
    [['-object', 'iothread,id=io0', '-object', 'iothread,id=io0'], /duplicate property 'io0'/],
    [['-object', 'iothread,id=io0,frob=1'], /Property 'iothread.frob' not found/],
    [['-drive', 'file=a.img,if=none,id=hd0', '-device', 'virtio-blk-device,drive=hd0,iothread=io9'], /can't find value 'io9'/],
  ])('bad command line %j gives one clear error', (argv, message) => {
    expect(() => parseQemuArgs(argv)).toThrow(CliError);
    expect(() => parseQemuArgs(argv)).toThrow(message);
  });
});
