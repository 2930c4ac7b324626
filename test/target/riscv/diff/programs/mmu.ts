/**
 * Virtual memory (privileged spec §4.3–4.4 Sv39, §4.5 Sv48; §3.1.6.3 MPRV/MXR/SUM): page tables
 * built statically at fixed physical pages (DATA_BASE + 4 KiB × index), then one suite of S-mode,
 * U-mode and M-mode-with-MPRV accesses run once under Sv39 and once under Sv48. Covered: 4 KiB
 * pages with every permission mix, A/D updates (or faults), invalid/reserved/W-only/non-leaf PTEs,
 * 2 MiB, 1 GiB and (Sv48) 512 GiB superpages incl. a misaligned one, non-canonical addresses, fetch
 * faults (incl. an instruction straddling into a non-executable page), misaligned accesses across
 * pages, AMO/LR/SC faults, SUM, MXR, MPRV with MPP=S/U, sfence.vma after a remap, faults handled in M and
 * delegated to S. All instructions are 4 bytes (.option norvc).
 */
import { DATA_BASE } from '../build';
import { MODE_HANDLERS, MODE_MACROS } from './modes';
import { assemble } from './runtime';

const V = 0x1, R = 0x2, W = 0x4, X = 0x8, U = 0x10, A = 0x40, D = 0x80;

/** Physical page indexes inside the data region. */
const P = {
  root39: 0, l1ram: 1, l0ram: 2, l1test: 3, l0test: 4, root48: 5, ucode: 6,
  rw: 7, ro: 8, xo: 9, u: 10, noA: 11, noD: 12, wonly: 13, uro: 14, rsvd: 15, remapB: 16,
} as const;
const NPAGES = 17;
const pa = (page: number) => BigInt(DATA_BASE + page * 4096);
const pte = (phys: bigint, flags: number | bigint) => ((phys >> 12n) << 10n) | BigInt(flags);

/** Test VA 0x4000_0000 + 4 KiB × slot, through l0test. */
const L0TEST: Array<[number, bigint]> = [
  [0, pte(pa(P.rw), V | R | W | A | D)],
  [1, pte(pa(P.ro), V | R | A)],
  [2, pte(pa(P.xo), V | X | A)],
  [3, pte(pa(P.u), V | R | W | U | A | D)],
  [4, pte(pa(P.noA), V | R | W)],
  [5, pte(pa(P.noD), V | R | W | A)],
  [6, pte(pa(P.rw), R | W | A | D)], // V = 0
  [7, pte(pa(P.wonly), V | W | A | D)], // W without R is reserved
  [8, pte(pa(P.rsvd), V | R | W | A | D) | (1n << 60n)], // reserved bits 60:54
  [9, pte(pa(P.rw), V)], // a pointer at level 0
  [10, pte(pa(P.uro), V | R | U | A)],
  [11, pte(pa(P.rw), V | R | W | A | D)], // remapped to remapB by the program
  [12, pte(pa(P.rw), V | R | W | A | D) | (1n << 61n)], // PBMT without Svpbmt
  [13, pte(pa(P.rw), V | R | W | A | D) | (1n << 63n)], // N without Svnapot
];
const REMAP_SLOT = 11;

function pageTables(): Map<number, Array<[number, bigint]>> {
  const t = new Map<number, Array<[number, bigint]>>();
  t.set(P.root39, [
    [1, pte(pa(P.l1test), V)],
    [2, pte(pa(P.l1ram), V)],
    [3, pte(0x8000_0000n, V | R | A)], // 1 GiB read-only alias of RAM at VA 0xc000_0000
  ]);
  t.set(P.l1ram, [[0, pte(pa(P.l0ram), V)]]);
  const ram: Array<[number, bigint]> = [];
  for (let i = 0; i < 512; i++) {
    const phys = 0x8000_0000n + BigInt(i) * 4096n;
    ram.push([i, pte(phys, phys === pa(P.ucode) ? V | R | X | U | A | D : V | R | W | X | A | D)]);
  }
  t.set(P.l0ram, ram);
  t.set(P.l1test, [
    [0, pte(pa(P.l0test), V)],
    [1, pte(0x8000_0000n, V | R | A)], // 2 MiB read-only alias at VA 0x4020_0000
    [2, pte(0x8000_1000n, V | R | A)], // misaligned 2 MiB superpage
    [3, pte(0x8020_0000n, V | R | W)], // 2 MiB page without A/D
  ]);
  t.set(P.l0test, L0TEST);
  t.set(P.root48, [
    [0, pte(pa(P.root39), V)],
    [1, pte(0n, V | R | W | A | D)], // 512 GiB page: VA 0x80_0000_0000 → PA 0
  ]);
  return t;
}

function dataRegion(): string {
  const tables = pageTables();
  const out: string[] = [];
  for (let page = 0; page < NPAGES; page++) {
    out.push(`  .balign 4096`, `page_${page}:`);
    const entries = tables.get(page);
    if (entries) {
      const words = new Array<bigint>(512).fill(0n);
      for (const [i, v] of entries) words[i] = v;
      for (const w of words) out.push(`  .dword 0x${w.toString(16)}`);
    } else if (page === P.ucode) {
      out.push(U_CODE);
    } else if (page === P.xo) {
      // ret; and at the end three C.NOPs, then the first half of `addi t1, t1, 1`: its second half
      // would come from the next page (a U page, not executable in S).
      out.push('  ret', '  .dword 0x5a5a5a5a5a5a5a5a', `  .org page_${page} + 0xff8`, '  .2byte 0x0001, 0x0001, 0x0001, 0x0313');
    } else {
      out.push(`  .dword 0x${(0x1111_1111_1111_1111n * BigInt(page % 15 + 1)).toString(16)}`, `  .dword ${page}`);
    }
  }
  out.push('  .balign 4096');
  return out.join('\n');
}

const TEST_VA = 0x4000_0000n;
/** `op reg, 0(t2)` at test slot `slot` + `off`, or at an absolute VA. */
const at = (op: string, slot: number, off = 0, reg = 't0') => `  li t2, 0x${(TEST_VA + BigInt(slot * 4096 + off)).toString(16)}\n  ${op} ${reg}, 0(t2)`;
/** An AMO/LR/SC (`head` = mnemonic and registers up to the address) at test slot `slot` + `off`. */
const amoAt = (head: string, slot: number, off = 0) => `  li t2, 0x${(TEST_VA + BigInt(slot * 4096 + off)).toString(16)}\n  ${head} (t2)`;
const atVa = (op: string, va: bigint, reg = 't0') => `  li t2, ${BigInt.asIntN(64, va)}\n  ${op} ${reg}, 0(t2)`;
/** Jump-and-link to a VA; a fetch fault comes back to ra (see modes.ts). */
const callVa = (va: bigint | string) => `  ${typeof va === 'string' ? `la t2, ${va}` : `li t2, 0x${va.toString(16)}`}\n  jalr ra, 0(t2)`;

/** U-mode code (identity-mapped U|R|X page); returns to M by ECALL, then jumps to s10. */
const U_CODE = `
  .globl u_code
u_code:
${at('ld', 3)}
${at('sd', 3, 0x10)}
${at('ld', 0)}
${at('sd', 10)}
${at('ld', 10)}
${at('ld', 1)}
${callVa(TEST_VA + 0x2000n)}
  csrr t0, sstatus
  ecall
  jr s10
`;

/** One pass of accesses; starts and ends in M, satp already set. Returns through s11. */
const SUITE = `
mmu_suite:
  sfence.vma
  TO_S 1f
1:
${at('ld', 0)}
${at('sd', 0, 8)}
${at('ld', 1)}
${at('sd', 1, 8)}
${at('ld', 2)}
${at('ld', 3)}
${at('sd', 3, 8)}
${at('ld', 4)}
${at('sd', 4, 8)}
${at('ld', 5)}
${at('sd', 5, 8)}
${at('ld', 6)}
${at('sd', 6)}
${at('ld', 7)}
${at('sd', 7)}
${at('ld', 8)}
${at('ld', 9)}
${at('ld', 12)}
${at('ld', 13)}
${at('lw', 0, 0xffc)}
${at('ld', 0, 0xffc)}
${at('sd', 0, 0xffc)}
${atVa('ld', 0x4020_0100n)}
${atVa('sd', 0x4020_0100n)}
${atVa('ld', 0x4040_0000n)}
${atVa('ld', 0x4060_0010n)}
${atVa('sd', 0x4060_0018n)}
${atVa('ld', 0xc000_0100n)}
${atVa('sw', 0xc000_0100n)}
${atVa('ld', 0x40_0000_0000n)}
${atVa('ld', 0x80_0000_0000n + pa(P.rw) + 0x28n)}
${atVa('sd', 0x80_0000_0000n + pa(P.rw) + 0x28n)}
${atVa('ld', 0x8000_0000_0000n)}
${atVa('ld', -4096n)}
${atVa('sd', -4096n)}
  li t1, 1
${amoAt('amoadd.d t0, t1,', 1)}
${amoAt('amoswap.w t0, t1,', 0, 0x30)}
${amoAt('lr.d t0,', 6)}
${amoAt('lr.d t0,', 5, 0x40)}
${amoAt('sc.d t3, t1,', 5, 0x40)}
  # fetches: the X-only page runs (its first word is ret); R-only and U pages fault
${callVa(TEST_VA + 0x2000n)}
${callVa(TEST_VA + 0x1000n)}
${callVa(TEST_VA + 0x6000n)}
${callVa(TEST_VA + 0x2ff8n)}
${callVa('u_code')}
  # SUM: S may load/store U pages, never execute them
  li t1, 1 << 18
  csrs sstatus, t1
${at('ld', 3)}
${at('sd', 3, 0x18)}
${callVa('u_code')}
  li t1, 1 << 18
  csrc sstatus, t1
  # MXR: loads from X-only pages
  li t1, 1 << 19
  csrs sstatus, t1
${at('ld', 2)}
  li t1, 1 << 19
  csrc sstatus, t1
${at('ld', 2)}
  # remap a page, sfence.vma, look again
${at('ld', REMAP_SLOT)}
  ecall
  la t1, page_${P.l0test}
  li t0, 0x${pte(pa(P.remapB), V | R | W | A | D).toString(16)}
  sd t0, ${REMAP_SLOT * 8}(t1)
  sfence.vma
  TO_S 2f
2:
${at('ld', REMAP_SLOT)}
  li t2, 0x40000000
  sfence.vma t2
  sfence.vma zero, t0
  ecall
  la t1, page_${P.l0test}
  li t0, 0x${pte(pa(P.rw), V | R | W | A | D).toString(16)}
  sd t0, ${REMAP_SLOT * 8}(t1)
  sfence.vma

  # U mode, faults to M
  la s10, 3f
  TO_U u_code
3:
  # U mode again, page faults delegated to S (SUM lets trap_s read the U code)
  li t0, (1 << 12) | (1 << 13) | (1 << 15)
  csrw medeleg, t0
  li t0, 1 << 18
  csrs mstatus, t0
  la s10, 4f
  TO_U u_code
4:
  csrw medeleg, zero
  li t0, 1 << 18
  csrc mstatus, t0

  # M mode with MPRV: loads and stores translated as MPP (a trap sets MPP = M again)
  li t0, 0x1800
  csrc mstatus, t0
  li t0, 0x800 | (1 << 17)
  csrs mstatus, t0
${at('ld', 0)}
${at('sd', 0, 0x20)}
${at('ld', 3)}
  li t0, 0x1800
  csrc mstatus, t0
  # Not needed by the spec: QEMU 7.2 keeps TLB entries filled under MPRV with MPP = S across the
  # trap (MPP := M) and MRET (MPP := U) that follow, so without a flush it would let the U-mode
  # access below through the stale S-mode translation.
  sfence.vma
${at('ld', 3)}
${at('ld', 0)}
  li t0, 0x800 | (1 << 19)
  csrs mstatus, t0
${at('ld', 2)}
  li t0, (1 << 17) | (1 << 19)
  csrc mstatus, t0
  li t0, 0x1800
  csrs mstatus, t0
  jr s11
`;

export function mmuProgram(): string {
  const text = `
  .option norvc
${MODE_MACROS}
${MODE_HANDLERS}
${SUITE}
  .globl main
main:
  la t0, trap_s
  csrw stvec, t0
  li t0, (8 << 60) | ${(pa(P.root39) >> 12n).toString()}
  csrw satp, t0
  jal s11, mmu_suite
  li t0, (9 << 60) | (5 << 44) | ${(pa(P.root48) >> 12n).toString()}
  csrw satp, t0
  jal s11, mmu_suite
  csrw satp, zero
  sfence.vma
  j __diff_end
`;
  return assemble({ text, data: `  .option norvc\n${dataRegion()}` });
}
