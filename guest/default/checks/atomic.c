/*
 * "A" extension (unprivileged spec v20191213 ch. 8): LR/SC retry loops and
 * every AMO in .w and .d form. AMOs return the old value (sign-extended for
 * .w) and leave op(old, rs2) in memory.
 */
#include "guest.h"

#define MAX_RETRIES 1000 /* an SC may fail spuriously; it must not fail forever */

static u64 cell64 __attribute__((aligned(64)));
static u32 cell32 __attribute__((aligned(64)));
static u64 far_cell __attribute__((aligned(4096)));

/* Atomic 64-bit add with LR.D/SC.D; returns the number of SC failures, or -1. */
static long lr_sc_add64(u64 *p, u64 inc)
{
	for (long fails = 0; fails < MAX_RETRIES; fails++) {
		u64 old, rc;
		asm volatile("lr.d %0, (%2)\n"
			     "add %0, %0, %3\n"
			     "sc.d %1, %0, (%2)"
			     : "=&r"(old), "=&r"(rc)
			     : "r"(p), "r"(inc)
			     : "memory");
		if (rc == 0)
			return fails;
	}
	return -1;
}

static long lr_sc_add32(u32 *p, u32 inc)
{
	for (long fails = 0; fails < MAX_RETRIES; fails++) {
		u64 old, rc;
		asm volatile("lr.w.aq %0, (%2)\n"
			     "addw %0, %0, %3\n"
			     "sc.w.rl %1, %0, (%2)"
			     : "=&r"(old), "=&r"(rc)
			     : "r"(p), "r"(inc)
			     : "memory");
		if (rc == 0)
			return fails;
	}
	return -1;
}

#define AMO(op, p, v)                                                                   \
	({                                                                              \
		u64 _old;                                                               \
		asm volatile(op " %0, %2, (%1)" : "=r"(_old) : "r"(p), "r"((u64)(v)) : "memory"); \
		_old;                                                                   \
	})

struct amo_case {
	const char *what;
	int word; /* 1: .w on cell32, 0: .d on cell64 */
	u64 init, operand, want_old, want_mem;
};

int check_atomic(void)
{
	struct check c;
	check_begin(&c, "atomic");

	/* LR/SC loops: 100 increments each. */
	cell64 = 0x7ffffffffffffff0UL;
	int ok = 1;
	for (int i = 0; i < 100; i++)
		ok &= lr_sc_add64(&cell64, 3) >= 0;
	check_true(&c, "lr.d/sc.d loop completes", ok);
	check_eq(&c, "lr.d/sc.d sum", cell64, 0x7ffffffffffffff0UL + 300);
	cell32 = 0x7fffff00;
	ok = 1;
	for (int i = 0; i < 100; i++)
		ok &= lr_sc_add32(&cell32, 5) >= 0;
	check_true(&c, "lr.w/sc.w loop completes", ok);
	check_eq(&c, "lr.w/sc.w sum", cell32, 0x7fffff00U + 500);

	/* lr.w sign-extends. */
	u64 v;
	cell32 = 0x80000000;
	asm volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&cell32) : "memory");
	check_eq(&c, "lr.w sext", v, 0xffffffff80000000UL);

	/*
	 * An SC must fail when its address is outside the reservation set (here a
	 * different page), and an SC invalidates the reservation, so a second SC
	 * right after a successful one fails too. Failure = nonzero rd, no store.
	 */
	u64 rc1, rc2;
	far_cell = 11;
	asm volatile("lr.d %0, (%2)\n"
		     "sc.d %1, %3, (%4)"
		     : "=&r"(v), "=&r"(rc1)
		     : "r"(&cell64), "r"(22UL), "r"(&far_cell)
		     : "memory");
	check_true(&c, "sc.d outside the reservation fails", rc1 != 0);
	check_eq(&c, "failed sc.d does not store", far_cell, 11);
	cell64 = 1;
	asm volatile("lr.d %0, (%3)\n"
		     "sc.d %1, %4, (%3)\n"
		     "sc.d %2, %5, (%3)"
		     : "=&r"(v), "=&r"(rc1), "=&r"(rc2)
		     : "r"(&cell64), "r"(2UL), "r"(3UL)
		     : "memory");
	check_eq(&c, "sc.d after lr.d succeeds", rc1, 0);
	check_true(&c, "second sc.d fails", rc2 != 0);
	check_eq(&c, "memory after sc.d pair", cell64, 2);

	static const struct amo_case cases[] = {
		{ "amoswap.d", 0, 0x1111, 0x2222, 0x1111, 0x2222 },
		{ "amoadd.d", 0, 0xffffffffffffffffUL, 2, 0xffffffffffffffffUL, 1 },
		{ "amoxor.d", 0, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL,
		  0xf0f0f0f0f0f0f0f0UL },
		{ "amoand.d", 0, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL,
		  0x0f000f000f000f00UL },
		{ "amoor.d", 0, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL,
		  0xfff0fff0fff0fff0UL },
		{ "amomin.d", 0, 5, (u64)-5, 5, (u64)-5 },
		{ "amomax.d", 0, 5, (u64)-5, 5, 5 },
		{ "amominu.d", 0, 5, (u64)-5, 5, 5 },
		{ "amomaxu.d", 0, 5, (u64)-5, 5, (u64)-5 },
		{ "amoswap.w", 1, 0x80000000, 0x12345678, 0xffffffff80000000UL, 0x12345678 },
		{ "amoadd.w", 1, 0x7fffffff, 0x100000001UL, 0x7fffffff, 0x80000000 },
		{ "amoxor.w", 1, 0xffff0000, 0x0ff00ff0, 0xffffffffffff0000UL, 0xf00f0ff0 },
		{ "amoand.w", 1, 0xffff0000, 0x0ff00ff0, 0xffffffffffff0000UL, 0x0ff00000 },
		{ "amoor.w", 1, 0xffff0000, 0x0ff00ff0, 0xffffffffffff0000UL, 0xffff0ff0 },
		{ "amomin.w", 1, 0x80000000, 1, 0xffffffff80000000UL, 0x80000000 },
		{ "amomax.w", 1, 0x80000000, 1, 0xffffffff80000000UL, 1 },
		{ "amominu.w", 1, 0x80000000, 1, 0xffffffff80000000UL, 1 },
		{ "amomaxu.w", 1, 0x80000000, 0xffffffff00000001UL, 0xffffffff80000000UL,
		  0x80000000 },
	};
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct amo_case *k = &cases[i];
		u64 old, mem;
		if (k->word) {
			cell32 = (u32)k->init;
#define W(op) old = AMO(op ".w.aqrl", &cell32, k->operand)
			switch (i % 9) {
			case 0: W("amoswap"); break;
			case 1: W("amoadd"); break;
			case 2: W("amoxor"); break;
			case 3: W("amoand"); break;
			case 4: W("amoor"); break;
			case 5: W("amomin"); break;
			case 6: W("amomax"); break;
			case 7: W("amominu"); break;
			default: W("amomaxu"); break;
			}
			mem = cell32;
		} else {
			cell64 = k->init;
#define D(op) old = AMO(op ".d", &cell64, k->operand)
			switch (i % 9) {
			case 0: D("amoswap"); break;
			case 1: D("amoadd"); break;
			case 2: D("amoxor"); break;
			case 3: D("amoand"); break;
			case 4: D("amoor"); break;
			case 5: D("amomin"); break;
			case 6: D("amomax"); break;
			case 7: D("amominu"); break;
			default: D("amomaxu"); break;
			}
			mem = cell64;
		}
		check_eq(&c, k->what, old, k->want_old);
		check_eq(&c, k->what, mem, k->want_mem);
	}
	return check_end(&c);
}
