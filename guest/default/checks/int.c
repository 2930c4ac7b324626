/*
 * RV64I/M edge cases (unprivileged spec v20191213: ch. 2, 5 "RV64I",
 * ch. 7 "M", table 7.1 "Semantics for division by zero and division overflow").
 * Each operation runs as one inline-asm instruction so the compiler cannot
 * fold it; the operands are runtime values.
 */
#include "guest.h"

#define RR(op, a, b)                                                                  \
	({                                                                            \
		u64 _r;                                                               \
		asm volatile(op " %0, %1, %2" : "=r"(_r) : "r"((u64)(a)), "r"((u64)(b))); \
		_r;                                                                   \
	})
#define RI(op, a, imm)                                                                \
	({                                                                            \
		u64 _r;                                                               \
		asm volatile(op " %0, %1, %2" : "=r"(_r) : "r"((u64)(a)), "i"(imm));  \
		_r;                                                                   \
	})
#define LOAD(op, p)                                                                   \
	({                                                                            \
		u64 _r;                                                               \
		asm volatile(op " %0, 0(%1)" : "=r"(_r) : "r"(p) : "memory");        \
		_r;                                                                   \
	})

#define MIN64 0x8000000000000000UL
#define ALL1 0xffffffffffffffffUL
#define A 0x123456789abcdef0UL
#define B 0x0fedcba987654321UL

static const u8 bytes[8] __attribute__((aligned(8))) = { 0x80, 0xff, 0x01, 0x80,
							 0xfe, 0xff, 0xff, 0xff };

int check_int(void)
{
	struct check c;
	check_begin(&c, "int");

	/* Division: by zero and overflow never trap (table 7.1). */
	check_eq(&c, "div MIN/-1", RR("div", MIN64, -1), MIN64);
	check_eq(&c, "rem MIN/-1", RR("rem", MIN64, -1), 0);
	check_eq(&c, "div 7/0", RR("div", 7, 0), ALL1);
	check_eq(&c, "divu 7/0", RR("divu", 7, 0), ALL1);
	check_eq(&c, "rem -7/0", RR("rem", -7, 0), (u64)-7);
	check_eq(&c, "remu 7/0", RR("remu", 7, 0), 7);
	check_eq(&c, "div -7/2", RR("div", -7, 2), (u64)-3);
	check_eq(&c, "rem -7/2", RR("rem", -7, 2), (u64)-1);
	check_eq(&c, "divu -7/2", RR("divu", -7, 2), 0x7ffffffffffffffcUL);
	check_eq(&c, "divw MIN32/-1", RR("divw", 0x1234567880000000UL, -1), 0xffffffff80000000UL);
	check_eq(&c, "remw MIN32/-1", RR("remw", 0x80000000UL, -1), 0);
	check_eq(&c, "divw x/0", RR("divw", 5, 0), ALL1);
	check_eq(&c, "divuw x/0", RR("divuw", 0xffffffff00000007UL, 0), ALL1);
	check_eq(&c, "remuw x/0", RR("remuw", A, 0), 0xffffffff9abcdef0UL);
	check_eq(&c, "remw -7/2", RR("remw", 0xfffffff9UL, 2), ALL1);
	check_eq(&c, "divuw", RR("divuw", 0xfffffff9UL, 2), 0x7ffffffcUL);

	/* Multiplication: low and high halves, all signednesses. */
	check_eq(&c, "mul", RR("mul", A, B), 0x2236d88fe5618cf0UL);
	check_eq(&c, "mulh", RR("mulh", A, B), 0x0121fa00ad77d742UL);
	check_eq(&c, "mulh MIN*MIN", RR("mulh", MIN64, MIN64), 0x4000000000000000UL);
	check_eq(&c, "mulh x*-y", RR("mulh", A, -B), 0xfede05ff528828bdUL);
	check_eq(&c, "mulhu -1*-1", RR("mulhu", -1, -1), 0xfffffffffffffffeUL);
	check_eq(&c, "mulhu", RR("mulhu", A, -B), 0x11125c77ed4507adUL);
	check_eq(&c, "mulhsu -1*~0", RR("mulhsu", -1, ALL1), ALL1);
	check_eq(&c, "mulhsu MIN*~0", RR("mulhsu", MIN64, ALL1), MIN64);
	check_eq(&c, "mulw sext", RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffeUL);

	/* 32-bit ops sign-extend their result; shift amounts are masked. */
	check_eq(&c, "addw", RR("addw", 0x7fffffff, 1), 0xffffffff80000000UL);
	check_eq(&c, "subw", RR("subw", 0xabcd00000000UL, 1), ALL1);
	check_eq(&c, "addiw", RI("addiw", 0xffffffff7fffffffUL, 1), 0xffffffff80000000UL);
	check_eq(&c, "sllw", RR("sllw", 1, 31), 0xffffffff80000000UL);
	check_eq(&c, "srlw 0", RR("srlw", 0x80000000UL, 0), 0xffffffff80000000UL);
	check_eq(&c, "srlw 1", RR("srlw", 0xffffffff80000000UL, 33), 0x40000000);
	check_eq(&c, "sraw", RR("sraw", 0x80000000UL, 4), 0xfffffffff8000000UL);
	check_eq(&c, "sraiw", RI("sraiw", 0x80000000UL, 31), ALL1);
	check_eq(&c, "sra mask", RR("sra", -256, 68), (u64)-16);
	check_eq(&c, "srl 63", RR("srl", -1, 63), 1);
	check_eq(&c, "sll mask", RR("sll", 1, 67), 8);
	check_eq(&c, "srai 63", RI("srai", MIN64, 63), ALL1);
	check_eq(&c, "slt", RR("slt", -1, 0), 1);
	check_eq(&c, "sltu", RR("sltu", -1, 0), 0);
	check_eq(&c, "sltiu -1", RI("sltiu", 5, -1), 1);

	/* Loads sign- or zero-extend. */
	check_eq(&c, "lb", LOAD("lb", bytes), 0xffffffffffffff80UL);
	check_eq(&c, "lbu", LOAD("lbu", bytes), 0x80);
	check_eq(&c, "lh", LOAD("lh", bytes), 0xffffffffffffff80UL);
	check_eq(&c, "lhu", LOAD("lhu", bytes + 2), 0x8001);
	check_eq(&c, "lw", LOAD("lw", bytes), 0xffffffff8001ff80UL);
	check_eq(&c, "lwu", LOAD("lwu", bytes + 4), 0xfffffffe);
	check_eq(&c, "ld", LOAD("ld", bytes), 0xfffffffe8001ff80UL);

	return check_end(&c);
}
