/**
 * The FDT encoder/decoder against dtc (Debian's device-tree-compiler), the reference
 * implementation of the Devicetree Specification's DTB format.
 */
import { execFileSync } from 'node:child_process';
import { dtcDecompile, hasDtc } from './dtc';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cells, cells64, empty, FdtError, FdtNode, parseFdt, readCells, readString, strings, writeFdt } from '../../../../src/machine/virt/fdt/fdt';

function sample() {
  const root = new FdtNode('');
  root.addProp('#address-cells', cells(2)).addProp('compatible', strings('a,b', 'c'));
  const n = root.addChild('node@1000');
  n.addProp('reg', cells64(0x1000, 0x100)).addProp('flag', empty()).addProp('odd', Uint8Array.of(1, 2, 3));
  n.addChild('child').addProp('name-ish', strings('x'));
  return { root, bootCpuidPhys: 0, memReserve: [{ address: 0x80000000n, size: 0x1000n }] };
}

describe('FDT', () => {
  test('write → parse round-trips nodes, properties, order and the reservation block', () => {
    const blob = writeFdt(sample());
    const back = parseFdt(blob);
    expect(writeFdt(back)).toEqual(blob);
    expect(back.memReserve).toEqual([{ address: 0x80000000n, size: 0x1000n }]);
    const n = back.root.find('/node@1000')!;
    expect(readCells(n.getProp('reg')!)).toEqual([0, 0x1000, 0, 0x100]);
    expect(readString(back.root.find('/node@1000/child')!.getProp('name-ish')!)).toBe('x');
    expect([...n.getProp('odd')!]).toEqual([1, 2, 3]);
  });

  test('header: version 17, blocks in QEMU-packed order, strings deduplicated', () => {
    const blob = writeFdt(sample());
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(0)).toBe(0xd00dfeed);
    expect(dv.getUint32(4)).toBe(blob.length);
    expect(dv.getUint32(16)).toBe(0x28); // off_mem_rsvmap
    expect(dv.getUint32(8)).toBe(0x28 + 32); // off_dt_struct after one entry + terminator
    expect(dv.getUint32(20)).toBe(17);
    expect(dv.getUint32(24)).toBe(16);
    const strs = Buffer.from(blob.subarray(dv.getUint32(12))).toString('latin1');
    expect(strs.split('\0').filter((s) => s === 'compatible')).toHaveLength(1);
  });

  test('setProp replaces in place or prepends (libfdt fdt_setprop)', () => {
    const n = new FdtNode('chosen');
    n.addProp('stdout-path', strings('/x'));
    n.setProp('bootargs', strings('a'));
    n.setProp('stdout-path', strings('/y'));
    expect(n.props.map((p) => p.name)).toEqual(['bootargs', 'stdout-path']);
    expect(readString(n.getProp('stdout-path')!)).toBe('/y');
  });

  test('malformed blobs give a one-line FdtError', () => {
    const blob = writeFdt(sample());
    expect(() => parseFdt(blob.subarray(0, 20))).toThrow(FdtError);
    const bad = blob.slice();
    bad[0] = 0;
    expect(() => parseFdt(bad)).toThrow(/magic/);
    expect(() => parseFdt(blob.subarray(0, blob.length - 8))).toThrow(/truncated/);
    const tag = blob.slice();
    new DataView(tag.buffer).setUint32(new DataView(tag.buffer).getUint32(8), 7);
    expect(() => parseFdt(tag)).toThrow(/tag 7/);
  });

  test.skipIf(!hasDtc)('dtc decompiles our blob and compiles the same source to an equivalent blob', () => {
    const blob = writeFdt(sample());
    const dts = dtcDecompile(blob);
    expect(dts).toMatch(/\/memreserve\/\s+0x0000000080000000 0x0000000000001000;/);
    expect(dts).toContain('compatible = "a,b\\0c";');
    expect(dts).toContain('flag;');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-fdt-'));
    try {
      fs.writeFileSync(path.join(dir, 'x.dts'), dts);
      execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', path.join(dir, 'y.dtb'), path.join(dir, 'x.dts')]);
      const theirs = parseFdt(fs.readFileSync(path.join(dir, 'y.dtb')));
      expect(dtcDecompile(writeFdt(theirs))).toBe(dts);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
