/**
 * The A extension (unprivileged spec ch. 8): every AMO in .w and .d forms with the aq/rl variants,
 * edge operands (sign boundaries for min/max, carries for add), rd = x0 and rd = rs2; LR/SC
 * success, failure without a reservation, after a failed or successful SC, to another address and
 * after a second LR; and misaligned LR/SC/AMO addresses (address-misaligned or access-fault traps).
 * Cases where the spec leaves SC success open (a trap or a plain store between LR and SC) are not
 * used. Page faults of AMOs are in mmu.ts.
 */
import { assemble, SKIP_HANDLER } from './runtime';
import { imm64 } from './values';

const AMOS = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];
const ORDER = ['', '.aq', '.rl', '.aqrl'];
/** [memory, operand] pairs. */
const PAIRS: Array<[bigint, bigint]> = [
  [0x7fffffffn, 1n],
  [0x80000000n, 0xffffffffffffffffn],
  [0xffffffffffffffffn, 1n],
  [0n, 0x8000000000000000n],
  [0x7fffffffffffffffn, 0x8000000000000000n],
  [0xffffffff00000005n, 0x00000000fffffffbn],
  [0x123456789abcdef0n, 0x0fedcba987654321n],
];

export function atomicsProgram(): string {
  const lines: string[] = ['  .globl main', 'main:', '  la s0, __diff_mem_start'];
  let n = 0;
  for (const op of AMOS) {
    for (const w of ['w', 'd']) {
      for (const [mem, val] of PAIRS) {
        const off = (n++ % 32) * 8;
        const rd = n % 5 === 0 ? 'zero' : n % 5 === 1 ? 't2' : 't0';
        lines.push(
          `  li t1, ${imm64(mem)}`,
          `  sd t1, ${off}(s0)`,
          `  li t2, ${imm64(val)}`,
          `  addi t3, s0, ${off}`,
          `  ${op}.${w}${ORDER[n % 4]} ${rd}, t2, (t3)`,
          `  ld t4, ${off}(s0)`,
        );
      }
    }
  }
  lines.push(`
  # LR/SC
  addi t3, s0, 256
  addi t4, s0, 264
  li t1, 0x80000000
  sd t1, 0(t3)
  li t2, 0x1234
  sc.w t0, t2, (t3)
  ld t5, 0(t3)
  lr.w t0, (t3)
  sc.w t1, t2, (t3)
  sc.w t1, t2, (t3)
  ld t5, 0(t3)
  lr.d t0, (t3)
  li t2, -2
  sc.d t1, t2, (t3)
  ld t5, 0(t3)
  lr.d t0, (t3)
  sc.d t1, t2, (t4)
  sc.d t1, t2, (t3)
  ld t5, 0(t4)
  lr.w.aq t0, (t3)
  li t2, 77
  sc.w.rl t1, t2, (t3)
  lr.d.aqrl t0, (t3)
  sc.d.aqrl t1, zero, (t3)
  lr.w t0, (t3)
  lr.w t0, (t4)
  sc.w t1, t2, (t4)
  lr.d t0, (t4)
  sc.d t0, t0, (t4)
  ld t5, 0(t4)

  # misaligned: traps (QEMU raises address-misaligned; access faults are also allowed by the spec)
  addi t3, s0, 2
  addi t4, s0, 4
  li t2, 5
  amoadd.w t0, t2, (t3)
  amoadd.d t0, t2, (t4)
  amoswap.d t0, t2, (t3)
  lr.w t0, (t3)
  lr.d t0, (t4)
  sc.w t1, t2, (t3)
  sc.d t1, t2, (t4)
  j __diff_end
`);
  return assemble({
    text: `${SKIP_HANDLER}\n${lines.join('\n')}`,
    data: '  .zero 272',
  });
}
