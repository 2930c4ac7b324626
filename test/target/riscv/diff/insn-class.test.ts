/**
 * The lockstep reads from QEMU only what an instruction may change (insn-class.ts), so the
 * classifier must not miss anything: check it against binutils' disassembly of every instruction
 * in the generated and hand-written programs.
 */
import { expect, test } from 'vitest';
import { buildProgram, DATA_BASE, haveCrossCompiler, LOAD_ADDR } from './build';
import { classify } from './insn-class';
import { atomicsProgram } from './programs/atomics';
import { mmuProgram } from './programs/mmu';
import { PROFILES, randomProgram } from './programs/random';
import { COUNT } from './random-cases';
import { trapsProgram } from './programs/traps';

const MEM = /^(c\.)?(l[bhwd]u?|s[bhwd]|fl[wd]|fs[wd])(sp)?$|^(lr|sc|amo)/;
const FP = /^(c\.)?f(?!ence)/;
const SYSTEM = /^(csrr[sc]i?|csrrwi?|ecall|ebreak|c\.ebreak|mret|sret|wfi|sfence\.vma|c\.unimp)$/;

test.skipIf(!haveCrossCompiler())('classifier agrees with objdump on every instruction of the test programs', () => {
  const programs = [
    buildProgram('random-mixed-1', randomProgram(1, COUNT, PROFILES.mixed)),
    buildProgram('random-ctrl-6', randomProgram(6, COUNT, PROFILES.ctrl)),
    buildProgram('traps', trapsProgram()),
    buildProgram('mmu', mmuProgram()),
    buildProgram('atomics', atomicsProgram()),
  ];
  let checked = 0;
  for (const p of programs) {
    for (const [addr, text] of p.disasm) {
      const off = Number(addr - LOAD_ADDR);
      if (off < 0 || off + 2 > p.image.length || addr >= BigInt(DATA_BASE)) continue; // .data is tables and values
      const low = p.image[off] | (p.image[off + 1] << 8);
      const bits = (low & 3) === 3 ? (low | (p.image[off + 2] << 16) | (p.image[off + 3] << 24)) >>> 0 : low;
      const mnemonic = text.split(' ')[0];
      if (mnemonic.startsWith('.') || mnemonic === 'unimp' || mnemonic.startsWith('0x')) continue; // data, not code
      const c = classify(bits);
      const where = `${p.name} ${addr.toString(16)}: ${text}`;
      expect(c.len, where).toBe((low & 3) === 3 ? 4 : 2);
      expect(c.mem, where).toBe(MEM.test(mnemonic));
      if (FP.test(mnemonic)) expect(c.fp || c.fpRd >= 0, where).toBe(true);
      if (SYSTEM.test(mnemonic)) expect(c.system, where).toBe(true);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(3000);
});
