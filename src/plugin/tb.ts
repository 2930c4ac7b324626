/**
 * Translation blocks for plugins (QEMU's vcpu_tb_trans / tb_exec / insn_exec / mem callbacks) on
 * top of the hart's instrumentation hooks (src/target/riscv/cpu-api.ts ExecHooks: an `insn` call
 * before each instruction that executes, with its virtual pc and physical address; a `mem` call per
 * translated data access).
 *
 * vtrace's interpreter has no translation blocks of its own, so they are formed here as TCG forms
 * them: from the first instruction executed at a physical address, straight-line code up to and
 * including the first branch, jump, SYSTEM-opcode instruction (ecall, ebreak, xret, wfi, csr*,
 * sfence.vma), fence.i or illegal parcel; at most 512 instructions, never across a page. A block
 * is cached by physical address (with its virtual address, checked) and translated again when the
 * code under it changed (each instruction's encoding is compared with memory as it executes) or
 * the plugins' registrations changed (flush, as QEMU flushes its TBs when a plugin goes).
 *
 * An execution of a block starts whenever an instruction is not the next one of the current block
 * (after its last instruction, a taken branch, a trap or an interrupt): the block starting at that
 * pc runs its tb_exec callbacks; every instruction then runs its insn_exec callbacks; accesses
 * between two instructions belong to the earlier one; an AMO is reported as a load, then a store.
 *
 * Contract: emulator thread. Callbacks arrive here already wrapped by the plugin host (they never
 * throw); `register` must be called while a plugin's trans callback runs.
 */
import type { ExecHooks, RiscvHart } from '../target/riscv/cpu-api';
import type { VirtMachine } from '../machine/virt/virt';
import { disassemble } from '../target/riscv/disas';
import type { MemAccess, PluginInsn, PluginTb, PluginVcpu } from './api';
import type { VcpuView } from './machine-view';

const MAX_INSNS = 512;
const TWO64 = 1n << 64n;

type ExecCb = (vcpu: PluginVcpu) => void;
type MemCb = (vcpu: PluginVcpu, access: MemAccess) => void;

/** Does this encoding end a block? (TCG: a jump/branch, or an instruction that changes CPU state.) */
export function endsBlock(op: number, size: 2 | 4): boolean {
  if (size === 4) {
    const major = op & 0x7f;
    return major === 0x63 || major === 0x6f || major === 0x67 || major === 0x73 || (major === 0x0f && ((op >>> 12) & 7) === 1);
  }
  const c = op & 0xffff;
  if (c === 0) return true; // the defined-illegal parcel
  const q = c & 3;
  const f3 = c >>> 13;
  if (q === 1) return f3 === 5 || f3 === 6 || f3 === 7; // c.j, c.beqz, c.bnez (f3 1 is c.addiw on RV64)
  if (q === 2 && f3 === 4) return ((c >>> 2) & 31) === 0; // c.jr, c.jalr, c.ebreak
  return false;
}

class Insn implements PluginInsn {
  readonly execCbs: ExecCb[] = [];
  readonly memCbs: MemCb[] = [];
  private text: string | undefined;
  constructor(
    private readonly engine: TbEngine,
    /** Virtual pc as the interpreter keeps it (signed double). */
    readonly pc: number,
    readonly paddr: number,
    readonly size: 2 | 4,
    readonly opcode: number,
  ) {}
  get vaddr(): bigint {
    const v = BigInt(this.pc);
    return v < 0n ? v + TWO64 : v;
  }
  disas(): string {
    return (this.text ??= disassemble(this.opcode, this.vaddr));
  }
  onExec(cb: ExecCb): void {
    this.execCbs.push(this.engine.wrap('an insn_exec callback', cb));
  }
  onMem(cb: MemCb): void {
    this.memCbs.push(this.engine.wrap('a mem callback', cb));
    this.engine.wantMem();
  }
}

class Tb implements PluginTb {
  readonly execCbs: ExecCb[] = [];
  constructor(
    private readonly engine: TbEngine,
    readonly pc: number,
    readonly paddr: number,
    readonly insns: Insn[],
  ) {}
  get vaddr(): bigint {
    return this.insns[0].vaddr;
  }
  onExec(cb: ExecCb): void {
    this.execCbs.push(this.engine.wrap('a tb_exec callback', cb));
  }
}

interface HartState {
  vcpu: VcpuView;
  tb: Tb | null;
  idx: number;
  insn: Insn | null;
}

/** A plugin's trans callback, and how its callbacks are wrapped (fault isolation, owner). */
export interface TransReg {
  cb: (tb: PluginTb) => void;
  /** Wraps a callback the plugin registers on a block or an instruction; `where` names it in messages. */
  wrap: <F extends (...a: never[]) => void>(where: string, f: F) => F;
}

export class TbEngine {
  private readonly trans: TransReg[] = [];
  private cache = new Map<number, Tb>();
  private states: HartState[] = [];
  private machine: VirtMachine | null = null;
  private registering: TransReg | null = null;
  private memOn = false;
  /** The harts have our hooks. */
  private installed = false;
  private readonly hooks: ExecHooks = { insn: null, mem: null };
  /** Blocks translated (for `info plugins`). */
  translated = 0;

  attach(machine: VirtMachine, vcpus: readonly VcpuView[]): void {
    this.machine = machine;
    this.states = vcpus.map((vcpu) => ({ vcpu, tb: null, idx: 0, insn: null }));
    this.update();
  }

  /** Add a trans callback; returns its remover. */
  add(reg: TransReg): () => void {
    this.trans.push(reg);
    this.flush();
    return () => {
      const i = this.trans.indexOf(reg);
      if (i < 0) return;
      this.trans.splice(i, 1);
      this.flush();
    };
  }

  get active(): boolean {
    return this.trans.length > 0;
  }

  /** Forget every block (their callbacks with them); the next executions translate again. */
  flush(): void {
    this.cache = new Map();
    for (const s of this.states) {
      s.tb = null;
      s.insn = null;
    }
    this.memOn = false;
    this.update();
  }

  wrap<F extends (...a: never[]) => void>(where: string, f: F): F {
    if (this.registering === null) throw new Error('block and instruction callbacks can only be registered from an onTbTrans callback');
    return this.registering.wrap(where, f);
  }

  wantMem(): void {
    if (this.memOn) return;
    this.memOn = true;
    this.update();
  }

  /** Install or remove the harts' hooks to match the registrations. */
  private update(): void {
    if (this.machine === null) return;
    const on = this.trans.length > 0;
    const mem = on && this.memOn ? this.onMem : null;
    if (on === this.installed && mem === this.hooks.mem) return;
    this.installed = on;
    this.hooks.insn = on ? this.onInsn : null;
    this.hooks.mem = mem;
    for (const h of this.machine.harts) h.setExecHooks(on ? this.hooks : null);
  }

  private readonly onInsn = (hart: RiscvHart, pc: number, paddr: number): void => {
    const st = this.states[hart.hartId];
    let insn: Insn | null = null;
    const tb = st.tb;
    if (tb !== null && st.idx < tb.insns.length) {
      const c = tb.insns[st.idx];
      if (c.pc === pc && c.paddr === paddr) {
        if (this.unchanged(c)) {
          insn = c;
          st.idx++;
        } else this.cache.delete(tb.paddr);
      }
    }
    if (insn === null) {
      const next = this.lookup(hart, pc, paddr);
      st.tb = next;
      st.idx = 1;
      insn = next.insns[0];
      const cbs = next.execCbs;
      for (let i = 0; i < cbs.length; i++) cbs[i](st.vcpu);
    }
    st.insn = insn;
    const cbs = insn.execCbs;
    for (let i = 0; i < cbs.length; i++) cbs[i](st.vcpu);
  };

  private readonly onMem = (hart: RiscvHart, vaddr: number, paddr: number, size: number, kind: number): void => {
    const st = this.states[hart.hartId];
    const insn = st.insn;
    if (insn === null || insn.memCbs.length === 0) return;
    const v = BigInt(vaddr);
    const va = v < 0n ? v + TWO64 : v;
    const device = this.deviceAt(paddr);
    const cbs = insn.memCbs;
    // An AMO is a load then a store of the same bytes (QEMU's atomic_trace_rmw_post reports both).
    if (kind === 3) {
      const load: MemAccess = { vaddr: va, paddr, size, store: false, atomic: true, device };
      for (let i = 0; i < cbs.length; i++) cbs[i](st.vcpu, load);
    }
    const access: MemAccess = { vaddr: va, paddr, size, store: (kind & 2) !== 0, atomic: kind === 3, device };
    for (let i = 0; i < cbs.length; i++) cbs[i](st.vcpu, access);
  };

  private deviceAt(paddr: number): string {
    const m = this.machine!;
    if (m.as.ram.contains(paddr, 1)) return 'RAM';
    return m.as.findMapping(paddr)?.region.name ?? 'unassigned';
  }

  /** A 16-bit parcel at a physical address (RAM, or a device such as the boot ROM); -1 if none. */
  private parcel(pa: number): number {
    const as = this.machine!.as;
    const ram = as.ram;
    if (ram.contains(pa, 2)) return ram.u16[(pa - ram.base) >>> 1];
    const v = as.ioRead(pa, 2);
    return as.lastAccessFailed ? -1 : v & 0xffff;
  }

  private unchanged(c: Insn): boolean {
    const ram = this.machine!.as.ram;
    if (!ram.contains(c.paddr, c.size)) return true;
    const o = (c.paddr - ram.base) >>> 1;
    return c.size === 2 ? ram.u16[o] === c.opcode : (ram.u16[o] | (ram.u16[o + 1] << 16)) >>> 0 === c.opcode;
  }

  private lookup(hart: RiscvHart, pc: number, paddr: number): Tb {
    const hit = this.cache.get(paddr);
    if (hit !== undefined && hit.pc === pc && this.unchanged(hit.insns[0])) return hit;
    const tb = this.translate(hart, pc, paddr);
    this.cache.set(paddr, tb);
    return tb;
  }

  private translate(hart: RiscvHart, pc: number, paddr: number): Tb {
    const insns: Insn[] = [];
    const tb = new Tb(this, pc, paddr, insns);
    let off = 0;
    const pageLeft = 4096 - (paddr & 4095);
    while (insns.length < MAX_INSNS && off + 2 <= pageLeft) {
      const lo = this.parcel(paddr + off);
      if (lo < 0) break;
      const size: 2 | 4 = (lo & 3) === 3 ? 4 : 2;
      let op = lo;
      if (size === 4) {
        let hi: number;
        if (off + 4 <= pageLeft) hi = this.parcel(paddr + off + 2);
        else {
          // The second half is on the next page: only as the block's first instruction (its own block).
          if (insns.length > 0) break;
          const b = hart.readVirt(BigInt.asUintN(64, BigInt(pc + 2)), 2);
          hi = b === undefined ? -1 : b[0] | (b[1] << 8);
        }
        if (hi < 0) break;
        op = (lo | (hi << 16)) >>> 0;
      }
      insns.push(new Insn(this, pc + off, paddr + off, size, op));
      off += size;
      if (endsBlock(op, size)) break;
    }
    if (insns.length === 0) insns.push(new Insn(this, pc, paddr, 2, 0)); // nothing readable: a one-parcel block
    this.translated++;
    for (const reg of [...this.trans]) {
      this.registering = reg;
      try {
        reg.cb(tb);
      } finally {
        this.registering = null;
      }
    }
    return tb;
  }
}
