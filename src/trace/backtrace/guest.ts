/**
 * The guest side of an ioeventfd link: which hart stored to QueueNotify, at which pc, and the
 * guest's own callers found by walking its frame pointers, as Linux's walk_stackframe does
 * (arch/riscv/kernel/stacktrace.c; the recipe's kernel has CONFIG_FRAME_POINTER):
 *   s0 is the frame pointer; the 16 bytes under it hold {previous fp, ra} (struct stackframe);
 *   a leaf function saves only s0, in the ra slot — then the caller's pc is still in ra.
 * A frame pointer outside [sp + 16, ALIGN(sp, 16 KiB)] or misaligned ends the walk, and so does a
 * return address that does not follow a call (jal/jalr/c.jalr writing ra): Linux checks
 * __kernel_text_address instead; this needs no symbols. A guest built without frame pointers
 * yields the pc alone.
 *
 * Contract: reads registers and guest memory through the hart's debug API only (no side effects:
 * readVirt does no A/D updates); never throws. Runs on the emulator thread at the store.
 */
import type { GuestContext } from './links';

/** The part of the hart API (src/target/riscv/cpu-api.ts RiscvHart) this needs. */
export interface GuestCpu {
  readonly hartId: number;
  readonly priv: number;
  getPc(): bigint;
  getGpr(i: number): bigint;
  readVirt(vaddr: bigint, len: number): Uint8Array | undefined;
}

const RA = 1;
const SP = 2;
const S0 = 8;
const THREAD_SIZE = 16384n;
const MAX_CALLERS = 24;

function read64(cpu: GuestCpu, va: bigint): bigint | undefined {
  const b = cpu.readVirt(va, 8);
  if (b === undefined || b.length < 8) return undefined;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** Does the instruction before `ra` write ra as a call (jal ra / jalr ra / c.jalr)? */
function followsCall(cpu: GuestCpu, ra: bigint): boolean {
  if (ra < 4n || (ra & 1n) !== 0n) return false;
  const w = cpu.readVirt(ra - 4n, 4);
  if (w !== undefined && w.length === 4) {
    const insn = new DataView(w.buffer, w.byteOffset, 4).getUint32(0, true);
    const op = insn & 0x7f;
    if ((op === 0x6f || op === 0x67) && ((insn >>> 7) & 0x1f) === RA) return true;
  }
  const h = cpu.readVirt(ra - 2n, 2);
  if (h !== undefined && h.length === 2) {
    const c = h[0] | (h[1] << 8);
    if ((c & 0xf07f) === 0x9002 && ((c >>> 7) & 0x1f) !== 0) return true; // c.jalr rs1
  }
  return false;
}

function privLetter(p: number): string {
  return p === 3 ? 'M' : p === 1 ? 'S' : p === 0 ? 'U' : String(p);
}

/** The hart's pc and its callers now. */
export function guestContextOf(cpu: GuestCpu): GuestContext {
  const pc = cpu.getPc();
  const ctx: GuestContext = { hart: cpu.hartId, pc, callers: [], priv: privLetter(cpu.priv) };
  try {
    let fp = cpu.getGpr(S0);
    let sp = cpu.getGpr(SP);
    const ra = cpu.getGpr(RA);
    let first = true;
    while (ctx.callers.length < MAX_CALLERS) {
      const high = (sp + THREAD_SIZE - 1n) & ~(THREAD_SIZE - 1n);
      if (fp < sp + 16n || fp > high || (fp & 7n) !== 0n) break;
      const savedFp = read64(cpu, fp - 16n);
      const savedRa = read64(cpu, fp - 8n);
      if (savedFp === undefined || savedRa === undefined) break;
      sp = fp;
      let next: bigint;
      if (first && savedRa >= sp && savedRa <= high && (savedRa & 7n) === 0n) {
        fp = savedRa; // leaf: the slot holds the saved s0
        next = ra;
      } else {
        fp = savedFp;
        next = savedRa;
      }
      first = false;
      if (next === 0n || !followsCall(cpu, next)) break;
      ctx.callers.push(next);
    }
  } catch {
    // a register or memory read failed: keep what was found
  }
  return ctx;
}

/** `priv=S pc=0x… callers=0x…,0x…` (the recordings' form). */
export function guestToText(g: GuestContext | null): string {
  if (g === null) return '';
  return `hart=${g.hart} priv=${g.priv} pc=0x${g.pc.toString(16)} callers=${g.callers.map((c) => `0x${c.toString(16)}`).join(',')}`;
}

/** Inverse of guestToText; null for '' or malformed text. */
export function guestFromText(text: string): GuestContext | null {
  const m = /^hart=(\d+) priv=(\S+) pc=0x([0-9a-f]+) callers=([0-9a-fx,]*)$/.exec(text);
  if (m === null) return null;
  const callers = m[4] === '' ? [] : m[4].split(',').map((c) => BigInt(c));
  return { hart: Number(m[1]), priv: m[2], pc: BigInt(`0x${m[3]}`), callers };
}
