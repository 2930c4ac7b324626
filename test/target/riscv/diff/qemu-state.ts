/**
 * QEMU's side of the lockstep: a cached HartState refreshed over the gdb stub. Each `p` costs QEMU
 * ~70 µs whether pipelined or not, so after a step only the parts the instruction may have changed
 * are re-read (see insn-class.ts); the rest stays cached, which is exact because QEMU (the oracle)
 * changes FPRs only in FP instructions and CSRs only in SYSTEM instructions, FP instructions
 * (fcsr, mstatus.FS) and trap entries. Memory is read physically (Qqemu.PhyMemMode:1).
 */
import { RspClient, RspError, hexLeToBigint, hexToBytes } from './rsp-client';
import { CSRS, GDB_REG_CSR0, GDB_REG_F0, GDB_REG_PRIV, type HartState } from './state';

const p = (n: number) => 'p' + n.toString(16);
/** QEMU's stub refuses `m` longer than MAX_PACKET_LENGTH/2 (2048) bytes. */
const MEM_CHUNK = 1024;

export interface RefreshOptions {
  /** FP register written by the instruction (-1: none). */
  fpRd?: number;
  fpAll?: boolean;
  /** Every CSR of state.ts. */
  csrs?: boolean;
  /** Only what a Zicsr access to this CSR can change (see csrGroup). */
  csr?: number;
  /** fcsr and mstatus/sstatus (FS). */
  fp?: boolean;
  mem?: { addr: bigint; len: number };
}

const FP_GROUP = ['fcsr', 'mstatus', 'sstatus'];
/** CSRs that are views of one another (privileged spec §4.1): a write to one shows in the others. */
const ALIASES: string[][] = [
  ['mstatus', 'sstatus'], ['mie', 'sie'], ['mip', 'sip'], ['mideleg', 'sie', 'sip'], ['fcsr'],
];
const FP_CSRS = new Set([0x001, 0x002, 0x003]);

/** What a CSR instruction on `num` may change besides GPRs: the CSR, its aliases, mstatus (FS). */
function csrGroup(num: number) {
  const spec = FP_CSRS.has(num) ? CSRS.find((c) => c.name === 'fcsr') : CSRS.find((c) => c.num === num);
  const names = new Set(['mstatus', 'sstatus']);
  if (spec) for (const group of ALIASES) if (group.includes(spec.name)) for (const n of group) names.add(n);
  if (spec) names.add(spec.name);
  return CSRS.filter((c) => names.has(c.name));
}

export class QemuState {
  readonly s: HartState = { pc: 0n, priv: 3, x: new Array<bigint>(32).fill(0n), f: new Array<bigint>(32).fill(0n), csr: new Map() };

  constructor(readonly gdb: RspClient) {}

  async init(): Promise<void> {
    const r = await this.gdb.request('Qqemu.PhyMemMode:1');
    if (r !== 'OK') throw new RspError(`Qqemu.PhyMemMode:1 → ${r}`);
  }

  /** Packets for a refresh; `parse` consumes the replies in the same order. */
  private plan(opts: RefreshOptions) {
    const cmds: string[] = ['g', p(GDB_REG_PRIV)];
    const parsers: Array<(r: string) => void> = [
      (r) => {
        for (let i = 0; i < 32; i++) this.s.x[i] = hexLeToBigint(r.slice(16 * i, 16 * i + 16));
        this.s.pc = hexLeToBigint(r.slice(16 * 32, 16 * 33));
      },
      (r) => (this.s.priv = Number(hexLeToBigint(r))),
    ];
    const fprs = opts.fpAll ? [...Array(32).keys()] : opts.fpRd !== undefined && opts.fpRd >= 0 ? [opts.fpRd] : [];
    for (const i of fprs) {
      cmds.push(p(GDB_REG_F0 + i));
      parsers.push((r) => (this.s.f[i] = hexLeToBigint(r)));
    }
    const csrs = opts.csrs ? CSRS : opts.csr !== undefined ? csrGroup(opts.csr) : opts.fp ? CSRS.filter((c) => FP_GROUP.includes(c.name)) : [];
    for (const c of csrs) {
      cmds.push(p(GDB_REG_CSR0 + c.num));
      // A CSR the stub refuses now but answered before (satp while mstatus.TVM=1 in S-mode: QEMU
      // applies the TVM check to the debugger too) cannot have changed meanwhile: keep the cached value.
      parsers.push((r) => {
        if (!r.startsWith('E') && r !== '') this.s.csr.set(c.num, hexLeToBigint(r));
        else if (this.s.csr.get(c.num) === undefined) this.s.csr.set(c.num, undefined);
      });
    }
    let mem: Uint8Array | undefined;
    if (opts.mem) {
      const m = opts.mem;
      mem = new Uint8Array(m.len);
      const buf = mem;
      for (let off = 0; off < m.len; off += MEM_CHUNK) {
        const n = Math.min(MEM_CHUNK, m.len - off);
        cmds.push(`m${(m.addr + BigInt(off)).toString(16)},${n.toString(16)}`);
        parsers.push((r) => {
          if (r.startsWith('E') || r.length !== 2 * n) throw new RspError(`m ${(m.addr + BigInt(off)).toString(16)}: ${r.slice(0, 8)}`);
          buf.set(hexToBytes(r), off);
        });
      }
    }
    return { cmds, parsers, mem: () => mem };
  }

  /** Refresh the cache; returns the physical memory range if one was requested. */
  async refresh(opts: RefreshOptions): Promise<Uint8Array | undefined> {
    const plan = this.plan(opts);
    const replies = await this.gdb.batch(plan.cmds);
    replies.forEach((r, i) => {
      if (r === '' || (r.startsWith('E') && i < 2)) throw new RspError(`${plan.cmds[i]} → '${r}'`);
      plan.parsers[i](r);
    });
    return plan.mem();
  }

  async full(mem?: { addr: bigint; len: number }): Promise<Uint8Array | undefined> {
    return this.refresh({ fpAll: true, csrs: true, mem });
  }

  async step(): Promise<void> {
    const r = await this.gdb.step().catch((e: unknown) => {
      throw new RspError(`QEMU did not finish a single step at pc 0x${this.s.pc.toString(16)} (a WFI with nothing pending never completes): ${String(e)}`);
    });
    if (!r.startsWith('T') && !r.startsWith('S')) throw new RspError(`step → ${r}`);
  }

  /** Run from reset to `addr` (a breakpoint), as through QEMU virt's reset ROM at 0x1000. */
  async runTo(addr: bigint): Promise<void> {
    await this.gdb.setBreakpoint(addr);
    const r = await this.gdb.cont();
    await this.gdb.removeBreakpoint(addr);
    if (!r.startsWith('T') && !r.startsWith('S')) throw new RspError(`continue → ${r}`);
  }
}
