/**
 * SiFive PLIC as QEMU's hw/intc/sifive_plic.c models it (RISC-V PLIC spec v1.0.0), with the
 * `virt` board's layout (include/hw/riscv/virt.h in QEMU 7.2):
 *
 *   0x000004  priority[source]            4 bytes per source, source n at 4*n (source 0: none)
 *   0x001000  pending[word]               read-only bitmap, 32 sources per word
 *   0x002000  enable[context][word]       0x80 bytes per context
 *   0x200000  threshold[context]          0x1000 bytes per context,
 *   0x200004  claim/complete[context]     read = claim, write = complete
 *
 * Contexts follow the hart config "MS" (QEMU's VIRT_PLIC_HART_CONFIG): for each hart, the M-mode
 * context then the S-mode context, so context 2h drives hart h's MEIP and 2h+1 its SEIP.
 *
 * Inputs are level-triggered `IrqLine`s (QEMU's gpio-in, sifive_plic_irq_request). The gateway
 * (PLIC spec §3) forwards a high line as "pending" unless the source is in flight (claimed, not yet
 * completed); a claim clears pending and marks the source claimed; a completion ends the flight and,
 * if the device still holds its line high, the source becomes pending again. A context's output is
 * high while some source that is pending, enabled for it and not claimed has priority > threshold
 * (sifive_plic_claimed / sifive_plic_update; ties go to the lowest source id).
 *
 * Priorities and thresholds are WARL over 3 bits (7 levels: num_priorities + 1 is a power of 2, so
 * QEMU keeps value % 8). Who calls: MMIO from harts; `irq(n).set` from devices; all on the machine
 * thread.
 */
import type { MemoryRegion } from '../../system/memory';
import type { IrqLine } from '../core/irq';
import { Irq } from '../core/irq';
import { registerTableOps, type RegisterDef, type RegisterTable } from '../core/register-table';

/** Source 1's priority register (QEMU 7.2: priority-base 0x4, source n at 4*n). */
export const VIRT_PLIC_PRIORITY_BASE = 0x04;
export const VIRT_PLIC_PENDING_BASE = 0x1000;
export const VIRT_PLIC_ENABLE_BASE = 0x2000;
export const VIRT_PLIC_ENABLE_STRIDE = 0x80;
export const VIRT_PLIC_CONTEXT_BASE = 0x200000;
export const VIRT_PLIC_CONTEXT_STRIDE = 0x1000;
/** VIRT_PLIC_SIZE(n): the aperture for n contexts. */
export const VIRT_PLIC_SIZE = (contexts: number) => VIRT_PLIC_CONTEXT_BASE + contexts * VIRT_PLIC_CONTEXT_STRIDE;

export type PlicMode = 'M' | 'S';

export interface PlicContext {
  hart: number;
  mode: PlicMode;
}

export interface SifivePlicOptions {
  /** QEMU's hart-config string, e.g. "MS,MS" (one comma-separated item per hart). */
  hartConfig: string;
  /** Number of interrupt sources including source 0 (QEMU's num-sources; virt: 96). */
  numSources: number;
  /** Highest priority level (virt: 7). */
  numPriorities: number;
  /** Size of the MMIO window (virt: VIRT_PLIC_SIZE(VIRT_CPUS_MAX * 2)). */
  apertureSize: number;
  onGuestError?: (msg: string) => void;
}

/** parse_hart_config: "MS,MS" → contexts [h0 M, h0 S, h1 M, h1 S]. */
export function parseHartConfig(config: string): PlicContext[] {
  const out: PlicContext[] = [];
  config.split(',').forEach((item, hart) => {
    const seen = new Set<string>();
    for (const c of item) {
      if (c !== 'M' && c !== 'S') throw new Error(`plic: invalid mode '${c}' in config: ${config}`);
      if (seen.has(c)) throw new Error(`plic: duplicate mode '${c}' in config: ${config}`);
      seen.add(c);
      out.push({ hart, mode: c });
    }
  });
  return out;
}

/** The hart config QEMU's virt builds for `n` harts (riscv_plic_hart_config_string): "MS,MS,...". */
export function plicHartConfig(n: number): string {
  return Array.from({ length: n }, () => 'MS').join(',');
}

export class SifivePlic {
  readonly region: MemoryRegion;
  readonly table: RegisterTable;
  readonly contexts: readonly PlicContext[];
  readonly numSources: number;
  private readonly numPriorities: number;
  private readonly words: number;
  private readonly priority: Uint32Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  /** Current level of each input line (the gateway's view of the device). */
  private readonly level: Uint32Array;
  private readonly enable: Uint32Array;
  private readonly threshold: Uint32Array;
  /** Last level driven on each context's output (-1 = unknown, forces the next update). */
  private readonly outLevel: Int8Array;
  private readonly inputs: Irq[];
  private readonly onGuestError: ((msg: string) => void) | undefined;

  constructor(
    opts: SifivePlicOptions,
    /** One output per context, in context order (machine wires them to MEIP/SEIP). */
    private readonly outputs: readonly IrqLine[],
  ) {
    this.contexts = parseHartConfig(opts.hartConfig);
    if (outputs.length !== this.contexts.length) throw new Error(`plic: ${this.contexts.length} contexts but ${outputs.length} outputs`);
    this.numSources = opts.numSources;
    this.onGuestError = opts.onGuestError;
    this.numPriorities = opts.numPriorities;
    this.words = (opts.numSources + 31) >>> 5;
    this.priority = new Uint32Array(opts.numSources);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.level = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.words * this.contexts.length);
    this.threshold = new Uint32Array(this.contexts.length);
    this.outLevel = new Int8Array(this.contexts.length).fill(-1);
    this.inputs = [];
    for (let i = 0; i < opts.numSources; i++) this.inputs.push(new Irq((n, l) => this.irqRequest(n, l), i));

    const defs: RegisterDef[] = [
      {
        // priority[n] at 4*n. Source 0 does not exist: its word reads 0 and ignores writes.
        offset: 0,
        size: 4,
        name: 'priority',
        count: opts.numSources,
        read: (i) => this.priority[i],
        write: (v, i) => {
          if (i === 0) return;
          this.priority[i] = this.warl(v) ?? this.priority[i];
          this.update();
        },
      },
      { offset: VIRT_PLIC_PENDING_BASE, size: 4, name: 'pending', count: this.words, read: (i) => this.pending[i] },
    ];
    this.contexts.forEach((ctx, c) => {
      const label = `context${c}`;
      defs.push(
        {
          offset: VIRT_PLIC_ENABLE_BASE + c * VIRT_PLIC_ENABLE_STRIDE,
          size: 4,
          name: `${label}.enable`,
          count: this.words,
          read: (w) => this.enable[c * this.words + w],
          write: (v, w) => {
            this.enable[c * this.words + w] = v;
            this.update();
          },
        },
        {
          offset: VIRT_PLIC_CONTEXT_BASE + c * VIRT_PLIC_CONTEXT_STRIDE,
          size: 4,
          name: `${label}.threshold`,
          read: () => this.threshold[c],
          write: (v) => {
            this.threshold[c] = this.warl(v) ?? this.threshold[c];
            this.update();
          },
        },
        {
          offset: VIRT_PLIC_CONTEXT_BASE + c * VIRT_PLIC_CONTEXT_STRIDE + 4,
          size: 4,
          name: `${label}.claim`,
          read: () => this.claim(c),
          write: (v) => this.complete(c, v),
        },
      );
    });
    this.table = registerTableOps('riscv.sifive.plic', defs, opts.onGuestError);
    this.region = { name: 'riscv.sifive.plic', size: opts.apertureSize, ops: this.table.ops };
  }

  /** The input line of source `n` (qdev_get_gpio_in). Devices call `.set(level)`. */
  irq(n: number): IrqLine {
    if (n <= 0 || n >= this.numSources) throw new Error(`plic: no interrupt source ${n}`);
    return this.inputs[n];
  }

  /** Priority/threshold WARL rule of QEMU's PLIC; undefined = keep the old value. */
  private warl(v: number): number | undefined {
    const np = this.numPriorities;
    if (((np + 1) & np) === 0) return v % (np + 1);
    return v <= np ? v : undefined;
  }

  private bit(words: Uint32Array, irq: number): boolean {
    return ((words[irq >>> 5] >>> (irq & 31)) & 1) !== 0;
  }

  private setBit(words: Uint32Array, irq: number, on: boolean): void {
    if (on) words[irq >>> 5] |= 1 << (irq & 31);
    else words[irq >>> 5] &= ~(1 << (irq & 31));
  }

  /** sifive_plic_irq_request: the gateway sees a level change on source `irq`. */
  private irqRequest(irq: number, level: boolean): void {
    this.setBit(this.level, irq, level);
    // A claimed (in-flight) source does not accept a new request until completed.
    if (!this.bit(this.claimed, irq)) this.setBit(this.pending, irq, level);
    this.update();
  }

  /** sifive_plic_claimed: the best pending+enabled+unclaimed source above threshold, or 0. */
  private best(c: number): number {
    let maxIrq = 0;
    let maxPrio = this.threshold[c];
    const en = c * this.words;
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w] & ~this.claimed[w] & this.enable[en + w];
      while (bits !== 0) {
        const j = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const irq = (w << 5) + j;
        if (irq >= this.numSources) break;
        const p = this.priority[irq];
        if (p > maxPrio) {
          maxIrq = irq;
          maxPrio = p;
        }
      }
    }
    return maxIrq;
  }

  /** sifive_plic_update: drive each context's output line. */
  private update(): void {
    for (let c = 0; c < this.contexts.length; c++) {
      const level = this.best(c) !== 0 ? 1 : 0;
      if (this.outLevel[c] !== level) {
        this.outLevel[c] = level;
        this.outputs[c].set(level === 1);
      }
    }
  }

  /** Claim (PLIC spec §7): returns the source id (0 = none), clears its pending bit, marks it claimed. */
  private claim(c: number): number {
    const irq = this.best(c);
    if (irq !== 0) {
      this.setBit(this.pending, irq, false);
      this.setBit(this.claimed, irq, true);
    }
    this.update();
    return irq;
  }

  /** Completion (PLIC spec §8): ends the flight; a line still high is pending again. */
  private complete(c: number, irq: number): void {
    if (irq >= this.numSources) {
      this.onGuestError?.(`riscv.sifive.plic: context${c} completes invalid source ${irq}`);
      return;
    }
    this.setBit(this.claimed, irq, false);
    if (this.bit(this.level, irq)) this.setBit(this.pending, irq, true);
    this.update();
  }

  /** Device reset (sifive_plic_reset): registers zero, input levels kept (devices reset separately). */
  reset(): void {
    this.priority.fill(0);
    this.threshold.fill(0);
    this.pending.fill(0);
    this.claimed.fill(0);
    this.enable.fill(0);
    this.outLevel.fill(-1);
    // The gateway re-samples the lines: a device that still holds its line high is pending.
    this.pending.set(this.level);
    this.update();
  }
}
