/**
 * RV64C against objdump: every 16-bit parcel of quadrants 0–2 (49152 encodings, valid,
 * HINT, reserved), in every printing mode.
 */
import { describe, expect, it } from 'vitest';
import { allCompressed } from './gen-encodings';
import { compareWithObjdump, formatMismatches, haveObjdump, MODES, SKIP_REASON } from './objdump-oracle';

if (!haveObjdump) console.warn(SKIP_REASON);

describe.skipIf(!haveObjdump)('RVC disassembly matches objdump (all 16-bit parcels)', () => {
  const parcels = allCompressed();
  for (const mode of MODES) {
    it(`-M ${mode.name}`, () => {
      const bad = compareWithObjdump(parcels, mode);
      expect(bad.length, formatMismatches(bad)).toBe(0);
    });
  }
});
