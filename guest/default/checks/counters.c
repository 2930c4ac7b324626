/*
 * Zicntr (unprivileged spec v20191213 ch. 10): rdtime, rdcycle and rdinstret
 * are readable from S-mode (the SBI firmware enables them in mcounteren) and
 * move forward. How far they move depends on timing and on the machine, so
 * only the direction is checked; the amounts go on a "~" line.
 */
#include "guest.h"

#define READ(insn, out, scause)                                           \
	do {                                                              \
		u64 _v = 0;                                               \
		fault_expect();                                           \
		asm volatile(insn " %0" : "+r"(_v) : : "memory");         \
		scause |= fault_take(NULL);                               \
		out = _v;                                                 \
	} while (0)

int check_counters(void)
{
	struct check c;
	u64 t0, t1, c0, c1, i0, i1, traps = 0;

	check_begin(&c, "counters");
	READ("rdtime", t0, traps);
	READ("rdcycle", c0, traps);
	READ("rdinstret", i0, traps);
	/* Busy work, then wait for time to tick (bounded). */
	for (volatile u32 i = 0; i < 10000; i++)
		;
	for (u32 i = 0; i < 10000000 && rdtime() == t0; i++)
		;
	READ("rdtime", t1, traps);
	READ("rdcycle", c1, traps);
	READ("rdinstret", i1, traps);

	check_eq(&c, "readable without a trap", traps, 0);
	check_true(&c, "time advances", t1 > t0);
	check_true(&c, "cycle advances", c1 > c0);
	check_true(&c, "instret advances", i1 > i0);
	int ok = check_end(&c);
	printf("~ counters: time +%lu, cycle +%lu, instret +%lu\n", t1 - t0, c1 - c0, i1 - i0);
	return ok;
}
