/**
 * RV64GC disassembler (RV64I, M, A, F, D, Zicsr, Zifencei, C, and the privileged instructions),
 * used by traces, the debug console and the gdb side.
 *
 * Reference output: GNU objdump from binutils 2.40 (`riscv64-linux-gnu-objdump -d`, whose default
 * ISA is rv64gc), mnemonic and operands only: `disassemble()` returns exactly objdump's text for
 * the instruction with the tab after the mnemonic replaced by one space, without the `<symbol>`
 * annotation after branch targets and without the `# address` comment objdump adds from its
 * register tracking across instructions (auipc/lui + addi/jalr/loads). Options mirror objdump's
 * `-M no-aliases` (`aliases: false`) and `-M numeric` (`abiNames: false`).
 *
 * Encodings that are not RV64GC instructions print as objdump prints data: `.2byte 0x...` for a
 * 16-bit parcel, `.4byte 0x...` for a 32-bit word.
 */
import { type Ctx, hex } from './format';
import { fNames, xNames } from './regs';
import { disAmo } from './rv-atomic';
import { disFma, disLoadFp, disOpFp, disStoreFp } from './rv-float';
import {
  disAuipc, disBranch, disJal, disJalr, disLoad, disLui, disOp, disOp32, disOpImm, disOpImm32, disStore,
} from './rv-int';
import { disMiscMem, disSystem } from './rv-system';
import { disCompressed } from './rvc';

export interface DisasOptions {
  /** Print pseudo-instructions and compressed instructions' expansions (default true). */
  aliases?: boolean;
  /** ABI register names (`a0`, `fa0`) rather than `x10`, `f10` (default true). */
  abiNames?: boolean;
}

/**
 * Length in bytes (2 or 4) of the instruction whose low 16 bits are `lo16` (Unprivileged ISA
 * §1.5 "Base Instruction-Length Encoding": low bits != 11 → 16-bit). Longer formats (bits
 * [4:2] = 111) are not part of RV64GC; they are reported as 4 and disassemble as `.4byte`
 * (objdump instead dumps such a parcel with the length its encoding announces, as `.byte`s).
 */
export function insnLength(lo16: number): 2 | 4 {
  return (lo16 & 3) === 3 ? 4 : 2;
}

/**
 * Disassemble one instruction. `insn` is the raw encoding: a 16-bit parcel for compressed
 * instructions (upper bits ignored), a 32-bit word otherwise, as an unsigned or signed number.
 * `pc` is the instruction's address, used for absolute branch/jump targets.
 */
export function disassemble(insn: number, pc: bigint, opts?: DisasOptions): string {
  const abi = opts?.abiNames ?? true;
  const ctx: Ctx = { aliases: opts?.aliases ?? true, x: xNames(abi), f: fNames(abi), pc };
  if (insnLength(insn) === 2) {
    const c = insn & 0xffff;
    return disCompressed(c, ctx) ?? `.2byte ${hex(c)}`;
  }
  const i = insn >>> 0;
  return decode32(i, ctx) ?? `.4byte ${hex(i)}`;
}

/** Dispatch a 32-bit encoding on its major opcode (Unprivileged ISA Table 24.1). */
function decode32(i: number, ctx: Ctx): string | null {
  switch (i & 0x7f) {
    case 0x03: return disLoad(i, ctx);
    case 0x07: return disLoadFp(i, ctx);
    case 0x0f: return disMiscMem(i, ctx);
    case 0x13: return disOpImm(i, ctx);
    case 0x17: return disAuipc(i, ctx);
    case 0x1b: return disOpImm32(i, ctx);
    case 0x23: return disStore(i, ctx);
    case 0x27: return disStoreFp(i, ctx);
    case 0x2f: return disAmo(i, ctx);
    case 0x33: return disOp(i, ctx);
    case 0x37: return disLui(i, ctx);
    case 0x3b: return disOp32(i, ctx);
    case 0x43: return disFma(i, ctx, 'fmadd');
    case 0x47: return disFma(i, ctx, 'fmsub');
    case 0x4b: return disFma(i, ctx, 'fnmsub');
    case 0x4f: return disFma(i, ctx, 'fnmadd');
    case 0x53: return disOpFp(i, ctx);
    case 0x63: return disBranch(i, ctx);
    case 0x67: return disJalr(i, ctx);
    case 0x6f: return disJal(i, ctx);
    case 0x73: return disSystem(i, ctx);
    default: return null;
  }
}
