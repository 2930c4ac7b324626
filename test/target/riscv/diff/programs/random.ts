/**
 * Seeded random instruction streams over RV64IMAFDC (no AMOs here: see atomics.ts), as GNU as
 * source. Registers start at edge values; every instruction is valid or deliberately traps
 * (ecall, ebreak, illegal encodings, dynamic rounding with an invalid frm), and the M-mode handler
 * skips the trapping instruction. Control flow only goes forward, so every program ends.
 *
 * Reserved registers: gp = scratch base, sp = scratch+256 (C.*SP forms), s0 = scratch+512 (C.LW/C.SW
 * forms), tp/t6 = trap handler. The scratch area is the compared memory region.
 */
import { assemble, SKIP_HANDLER } from './runtime';
import { F32_EDGES, F64_EDGES, INT_EDGES, Rng, imm64 } from './values';

const X = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const F = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];
/** Writable integer registers (all but zero, sp, gp, tp, s0, t6). */
const RD = [1, 5, 6, 7, ...Array.from({ length: 22 }, (_, i) => 9 + i)].map((i) => X[i]);
/** Readable integer registers: any. */
const RS = X;
/** Writable registers in the compressed set x8..x15 (s0 is a base). */
const RDC = ['s1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
const FC = F.slice(8, 16);
const RM = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'];

const R_OPS = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw'];
const M_OPS = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw'];
const I_OPS = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
const IMM12 = [0, 1, -1, 2047, -2048, 0x7ff, -2047, 31, 32, 63, 0x555, -0x556];
const LOADS: Array<[string, number]> = [['lb', 1], ['lbu', 1], ['lh', 2], ['lhu', 2], ['lw', 4], ['lwu', 4], ['ld', 8], ['flw', 4], ['fld', 8]];
const STORES: Array<[string, number]> = [['sb', 1], ['sh', 2], ['sw', 4], ['sd', 8], ['fsw', 4], ['fsd', 8]];
const SCRATCH = 1024;

const CATEGORIES = ['alu', 'muldiv', 'imm', 'mem', 'rvc', 'fp', 'ctrl', 'li', 'lifp', 'special'] as const;
export type Weights = Record<(typeof CATEGORIES)[number], number>;

/** Instruction mixes; every program uses one. */
export const PROFILES: Record<string, Weights> = {
  mixed: { alu: 14, muldiv: 10, imm: 10, mem: 12, rvc: 14, fp: 20, ctrl: 6, li: 7, lifp: 3, special: 4 },
  fp: { alu: 3, muldiv: 2, imm: 3, mem: 8, rvc: 4, fp: 60, ctrl: 2, li: 4, lifp: 12, special: 2 },
  int: { alu: 30, muldiv: 25, imm: 20, mem: 6, rvc: 6, fp: 0, ctrl: 4, li: 9, lifp: 0, special: 0 },
  memrvc: { alu: 5, muldiv: 2, imm: 5, mem: 35, rvc: 40, fp: 3, ctrl: 4, li: 5, lifp: 1, special: 0 },
  ctrl: { alu: 15, muldiv: 5, imm: 10, mem: 8, rvc: 15, fp: 5, ctrl: 30, li: 5, lifp: 2, special: 5 },
};

class Gen {
  private out: string[] = [];
  private pending: Array<{ label: string; after: number }> = [];
  private labels = 0;

  constructor(private readonly r: Rng) {}

  emit(line: string): void {
    this.out.push('  ' + line);
    for (const p of this.pending) p.after--;
    const due = this.pending.filter((p) => p.after <= 0);
    this.pending = this.pending.filter((p) => p.after > 0);
    for (const p of due) this.out.push(`${p.label}:`);
  }

  /** A label placed 1..4 instructions ahead. */
  forward(): string {
    const label = `.Lf${this.labels++}`;
    this.pending.push({ label, after: this.r.range(1, 4) });
    return label;
  }

  flush(): string {
    for (const p of this.pending) this.out.push(`${p.label}:`);
    this.pending = [];
    return this.out.join('\n');
  }

  rd = () => this.r.pick(RD);
  rs = () => this.r.pick(RS);
  fr = () => this.r.pick(F);
  rm = () => this.r.pick(RM);
  imm12 = () => (this.r.chance(0.5) ? this.r.pick(IMM12) : this.r.range(-2048, 2047));

  intValue(): bigint {
    return this.r.chance(0.75) ? this.r.pick(INT_EDGES) : this.r.u64();
  }

  loadInt(reg: string): void {
    this.emit(`li ${reg}, ${imm64(this.intValue())}`);
  }

  /** Load an FP register with a special double, a NaN-boxed single, or an improperly boxed single. */
  loadFp(freg: string): void {
    const tmp = this.rd();
    const k = this.r.int(10);
    if (k < 5) {
      this.emit(`li ${tmp}, ${imm64(this.r.pick(F64_EDGES))}`);
      this.emit(`fmv.d.x ${freg}, ${tmp}`);
    } else if (k < 9) {
      this.emit(`li ${tmp}, ${imm64(BigInt(this.r.pick(F32_EDGES)))}`);
      this.emit(`fmv.w.x ${freg}, ${tmp}`);
    } else {
      this.emit(`li ${tmp}, ${imm64(BigInt(this.r.pick(F32_EDGES)) | (BigInt(this.r.int(2)) << 40n))}`);
      this.emit(`fmv.d.x ${freg}, ${tmp}`);
    }
  }

  memOffset(size: number, limit: number): number {
    const off = this.r.int(limit - size + 1);
    return this.r.chance(0.75) ? off & ~(size - 1) : off;
  }

  one(w: Weights): void {
    const r = this.r;
    let k = r.int(CATEGORIES.reduce((a, c) => a + w[c], 0));
    const cat = CATEGORIES.find((c) => (k -= w[c]) < 0)!;
    switch (cat) {
      case 'alu': return this.emit(`${r.pick(R_OPS)} ${r.chance(0.03) ? 'zero' : this.rd()}, ${this.rs()}, ${this.rs()}`);
      case 'muldiv': return this.emit(`${r.pick(M_OPS)} ${this.rd()}, ${this.rs()}, ${this.rs()}`);
      case 'imm': return this.immediate();
      case 'mem': return this.memory();
      case 'rvc': return this.compressed();
      case 'fp': return this.fp();
      case 'ctrl': return this.control();
      case 'li': return this.loadInt(this.rd());
      case 'lifp': return this.loadFp(this.fr());
      case 'special': return this.special();
    }
  }

  immediate(): void {
    const r = this.r;
    const k = r.int(6);
    if (k < 3) this.emit(`${r.pick(I_OPS)} ${this.rd()}, ${this.rs()}, ${this.imm12()}`);
    else if (k === 3) this.emit(`${r.pick(['slli', 'srli', 'srai'])} ${this.rd()}, ${this.rs()}, ${r.pick([0, 1, 31, 32, 63, r.int(64)])}`);
    else if (k === 4) this.emit(`${r.pick(['slliw', 'srliw', 'sraiw'])} ${this.rd()}, ${this.rs()}, ${r.pick([0, 1, 31, r.int(32)])}`);
    else this.emit(`${r.pick(['lui', 'auipc'])} ${this.rd()}, ${r.pick([0, 1, 0x7ffff, 0x80000, 0xfffff, r.int(0x100000)])}`);
  }

  memory(): void {
    const r = this.r;
    const [op, size] = r.chance(0.5) ? r.pick(LOADS) : r.pick(STORES);
    const isFp = op.startsWith('f');
    const isLoad = LOADS.some(([l]) => l === op);
    const reg = isFp ? this.fr() : isLoad ? (r.chance(0.03) ? 'zero' : this.rd()) : this.rs();
    this.emit(`${op} ${reg}, ${this.memOffset(size, 1023)}(gp)`);
  }

  compressed(): void {
    const r = this.r;
    const rdc = () => r.pick(RDC);
    const rdn = () => this.rd();
    const nz6 = () => r.pick([1, -1, 31, -32, r.range(1, 31), -r.range(1, 32)]);
    const sh = () => r.pick([1, 31, 32, 63, r.range(1, 63)]);
    switch (r.int(22)) {
      case 0: return this.emit(`c.addi ${rdn()}, ${nz6()}`);
      case 1: return this.emit(`c.addiw ${rdn()}, ${r.range(-32, 31)}`);
      case 2: return this.emit(`c.li ${rdn()}, ${r.range(-32, 31)}`);
      case 3: return this.emit(`c.lui ${rdn()}, ${r.pick([1, 0x1f, 0xfffe0, 0xfffff, r.range(1, 31)])}`);
      case 4: return this.emit(`${r.pick(['c.srli', 'c.srai'])} ${rdc()}, ${sh()}`);
      case 5: return this.emit(`c.andi ${rdc()}, ${r.range(-32, 31)}`);
      case 6: return this.emit(`${r.pick(['c.sub', 'c.xor', 'c.or', 'c.and', 'c.subw', 'c.addw'])} ${rdc()}, ${r.pick([...RDC, 's0'])}`);
      case 7: return this.emit(`c.slli ${rdn()}, ${sh()}`);
      case 8: return this.emit(`c.mv ${rdn()}, ${r.pick(RS.slice(1))}`);
      case 9: return this.emit(`c.add ${rdn()}, ${r.pick(RS.slice(1))}`);
      case 10: return this.emit(`c.addi4spn ${rdc()}, sp, ${4 * r.range(1, 255)}`);
      case 11: return this.emit(`c.lw ${rdc()}, ${4 * r.int(32)}(s0)`);
      case 12: return this.emit(`c.ld ${rdc()}, ${8 * r.int(32)}(s0)`);
      case 13: return this.emit(r.chance(0.5) ? `c.sw ${r.pick([...RDC, 's0'])}, ${4 * r.int(32)}(s0)` : `c.sd ${r.pick([...RDC, 's0'])}, ${8 * r.int(32)}(s0)`);
      case 14: return this.emit(`${r.pick(['c.fld', 'c.fsd'])} ${r.pick(FC)}, ${8 * r.int(32)}(s0)`);
      case 15: return this.emit(`c.lwsp ${rdn()}, ${4 * r.int(64)}(sp)`);
      case 16: return this.emit(`c.ldsp ${rdn()}, ${8 * r.int(64)}(sp)`);
      case 17: return this.emit(r.chance(0.5) ? `c.swsp ${this.rs()}, ${4 * r.int(64)}(sp)` : `c.sdsp ${this.rs()}, ${8 * r.int(64)}(sp)`);
      case 18: return this.emit(`${r.pick(['c.fldsp', 'c.fsdsp'])} ${this.fr()}, ${8 * r.int(64)}(sp)`);
      case 19: return this.emit(`${r.pick(['c.beqz', 'c.bnez'])} ${r.pick([...RDC, 's0'])}, ${this.forward()}`);
      case 20: return this.emit(`c.j ${this.forward()}`);
      default: return this.emit('c.nop');
    }
  }

  fp(): void {
    const r = this.r;
    // fflags are sticky: clear them now and then so that each operation's flags show.
    if (r.chance(0.2)) this.emit('fsflagsi 0');
    const t = r.pick(['s', 'd']);
    const f = () => this.fr();
    switch (r.int(12)) {
      case 0: case 1:
        return this.emit(`${r.pick(['fadd', 'fsub', 'fmul', 'fdiv'])}.${t} ${f()}, ${f()}, ${f()}, ${this.rm()}`);
      case 2:
        return this.emit(`fsqrt.${t} ${f()}, ${f()}, ${this.rm()}`);
      case 3:
        return this.emit(`${r.pick(['fmadd', 'fmsub', 'fnmadd', 'fnmsub'])}.${t} ${f()}, ${f()}, ${f()}, ${f()}, ${this.rm()}`);
      case 4:
        return this.emit(`${r.pick(['fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx'])}.${t} ${f()}, ${f()}, ${f()}`);
      case 5:
        return this.emit(`${r.pick(['feq', 'flt', 'fle'])}.${t} ${this.rd()}, ${f()}, ${f()}`);
      case 6:
        return this.emit(`fclass.${t} ${this.rd()}, ${f()}`);
      case 7:
        return this.emit(`fcvt.${r.pick(['w', 'wu', 'l', 'lu'])}.${t} ${this.rd()}, ${f()}, ${this.rm()}`);
      case 8: {
        const src = r.pick(['w', 'wu', 'l', 'lu']);
        // int → double is exact for 32-bit sources: GNU as takes no rounding mode there.
        const rm = t === 'd' && (src === 'w' || src === 'wu') ? '' : `, ${this.rm()}`;
        return this.emit(`fcvt.${t}.${src} ${f()}, ${this.rs()}${rm}`);
      }
      case 9:
        return r.chance(0.5) ? this.emit(`fcvt.s.d ${f()}, ${f()}, ${this.rm()}`) : this.emit(`fcvt.d.s ${f()}, ${f()}`);
      case 10:
        return this.emit(r.pick([`fmv.x.w ${this.rd()}, ${f()}`, `fmv.x.d ${this.rd()}, ${f()}`, `fmv.w.x ${f()}, ${this.rs()}`, `fmv.d.x ${f()}, ${this.rs()}`]));
      default: {
        // Rounding mode / flags through the CSRs; frm 5..7 are reserved: dynamic-rm instructions then trap.
        const frm = r.chance(0.9) ? r.int(5) : r.range(5, 7);
        return this.emit(r.pick([`fsrmi ${frm}`, `fsflagsi ${r.int(32)}`, `frflags ${this.rd()}`, `frcsr ${this.rd()}`, `fscsr ${this.rd()}, ${this.rs()}`, `fsrm ${this.rd()}, ${this.rs()}`]));
      }
    }
  }

  control(): void {
    const r = this.r;
    switch (r.int(6)) {
      case 0: case 1:
        return this.emit(`${r.pick(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'])} ${this.rs()}, ${this.rs()}, ${this.forward()}`);
      case 2:
        return this.emit(`jal ${r.pick(['zero', ...RD])}, ${this.forward()}`);
      case 3: {
        // C.JALR / C.JR (by encoding: GNU as has no C mnemonics under norvc) over one instruction.
        const base = this.rd();
        const dst = this.rd();
        const enc = (r.chance(0.5) ? 0x9002 : 0x8002) | (X.indexOf(base) << 7);
        return this.emit(['.option push', '.option norvc', `auipc ${base}, 0`, `addi ${base}, ${base}, 14`, `.2byte 0x${enc.toString(16)}`,
          `addi ${dst}, ${dst}, 1`, '.option pop'].join('\n  '));
      }
      case 4: {
        // C.ADDI16SP moves sp, an SP-relative access uses it, and sp goes back.
        const n = r.pick([-256, -128, -64, -16, 16, 64, 128, 240]);
        return this.emit([`c.addi16sp sp, ${n}`, `c.ldsp ${this.rd()}, ${8 * r.int(16)}(sp)`, `c.addi16sp sp, ${-n}`].join('\n  '));
      }
      default: {
        // auipc + jalr over one instruction; an odd offset checks that jalr clears bit 0.
        const base = this.rd();
        const link = r.pick(['zero', base, ...RD]);
        // One emit: no forward label may land inside the group.
        const dst = this.rd();
        return this.emit(['.option push', '.option norvc', `auipc ${base}, 0`, `jalr ${link}, ${r.pick([12, 13])}(${base})`,
          `addi ${dst}, ${dst}, 1`, '.option pop'].join('\n  '));
      }
    }
  }

  special(): void {
    const r = this.r;
    this.emit(r.pick(['ecall', 'ebreak', 'c.ebreak', '.word 0', '.word 0xffffffff', 'unimp', 'csrr t0, mhartid', 'fence', 'fence.i', 'fence rw, rw', 'nop']));
  }
}

/** Build the assembly of one random program: register set-up, then `count` random instructions. */
export function randomProgram(seed: number, count: number, profile: Weights = PROFILES.mixed): string {
  const r = new Rng(seed);
  const g = new Gen(r);
  g.emit('la gp, __diff_mem_start');
  g.emit('addi sp, gp, 256');
  g.emit('addi s0, gp, 512');
  g.emit(`fsrmi ${r.int(5)}`);
  for (const reg of RD) g.loadInt(reg);
  for (const freg of F) g.loadFp(freg);
  for (let i = 0; i < count; i++) g.one(profile);
  const body = g.flush();
  const data: string[] = [];
  for (let i = 0; i < SCRATCH / 8; i++) data.push(`  .dword ${imm64(r.chance(0.5) ? r.pick(INT_EDGES) : r.pick(F64_EDGES))}`);
  return assemble({
    text: `${SKIP_HANDLER}\n  .globl main\nmain:\n${body}\n  j __diff_end\n`,
    data: data.join('\n'),
  });
}
