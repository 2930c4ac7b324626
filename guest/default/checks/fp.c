/*
 * F and D extensions (unprivileged spec v20191213 ch. 11-12): results are
 * compared bit for bit, together with the accrued exception flags (fflags:
 * NV=0x10 DZ=0x08 OF=0x04 UF=0x02 NX=0x01). Single-precision values live
 * NaN-boxed in the 64-bit registers (§12.2): BOX(x) is how they read back.
 */
#include "guest.h"

#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01
#define FRM_RTZ 1

#define BOX(x) (0xffffffff00000000UL | (u32)(x))
#define D_ONE 0x3ff0000000000000UL
#define D_TWO 0x4000000000000000UL
#define D_THREE 0x4008000000000000UL
#define D_QNAN 0x7ff8000000000000UL
#define D_SNAN 0x7ff0000000000001UL
#define S_ONE 0x3f800000
#define S_TWO 0x40000000
#define S_THREE 0x40400000

/*
 * Runs `body` with ft0, ft1, ft2 loaded with the raw bits of a, b, c
 * (%1, %2, %3 also still hold them); body leaves its result in %0.
 */
#define FPX(body, a, b, c)                                                               \
	({                                                                               \
		u64 _r;                                                                  \
		asm volatile("fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\tfmv.d.x ft2, %3\n\t" body \
			     : "=&r"(_r)                                                 \
			     : "r"((u64)(a)), "r"((u64)(b)), "r"((u64)(c))               \
			     : "ft0", "ft1", "ft2", "ft3");                              \
		_r;                                                                      \
	})
#define OP2(insn) insn " ft3, ft0, ft1\n\tfmv.x.d %0, ft3"

#define CASE(what, expr, want, want_flags)                          \
	do {                                                        \
		csr_write(fflags, 0);                               \
		u64 _r = (expr);                                    \
		u64 _f = csr_read(fflags);                          \
		check_eq(&c, what, _r, want);                       \
		check_eq(&c, what " fflags", _f, want_flags);       \
	} while (0)

static const u32 one_f = S_ONE;

int check_fp(void)
{
	struct check c;
	check_begin(&c, "fp");
	csr_write(fcsr, 0); /* RNE, no flags */

	/* Basic arithmetic and rounding modes. */
	CASE("fadd.s", FPX(OP2("fadd.s"), BOX(S_ONE), BOX(S_TWO), 0), BOX(S_THREE), 0);
	CASE("fdiv.s 1/3", FPX("fdiv.s ft3, ft0, ft1, rne\n\tfmv.x.d %0, ft3", BOX(S_ONE), BOX(S_THREE), 0),
	     BOX(0x3eaaaaab), NX);
	csr_write(frm, FRM_RTZ);
	CASE("fdiv.s 1/3 dyn=rtz", FPX(OP2("fdiv.s"), BOX(S_ONE), BOX(S_THREE), 0), BOX(0x3eaaaaaa),
	     NX);
	check_eq(&c, "fcsr = frm<<5 | fflags", csr_read(fcsr), FRM_RTZ << 5 | NX);
	csr_write(frm, 0);
	CASE("fdiv.d 1/0", FPX(OP2("fdiv.d"), D_ONE, 0, 0), 0x7ff0000000000000UL, DZ);
	CASE("fsqrt.d -1", FPX("fsqrt.d ft3, ft0\n\tfmv.x.d %0, ft3", 0xbff0000000000000UL, 0, 0),
	     D_QNAN, NV);
	/* (1+2^-30)(1-2^-30) - 1 = -2^-60 only if the multiply-add is fused. */
	CASE("fmadd.d fused",
	     FPX("fmadd.d ft3, ft0, ft1, ft2\n\tfmv.x.d %0, ft3", 0x3ff0000000400000UL,
		 0x3fefffffff800000UL, 0xbff0000000000000UL),
	     0xbc30000000000000UL, 0);
	CASE("fmsub.d", FPX("fmsub.d ft3, ft0, ft1, ft2\n\tfmv.x.d %0, ft3", D_TWO, D_THREE, D_ONE),
	     0x4014000000000000UL, 0);
	CASE("fnmsub.d", FPX("fnmsub.d ft3, ft0, ft1, ft2\n\tfmv.x.d %0, ft3", D_TWO, D_THREE, D_ONE),
	     0xc014000000000000UL, 0);
	CASE("fnmadd.d", FPX("fnmadd.d ft3, ft0, ft1, ft2\n\tfmv.x.d %0, ft3", D_TWO, D_THREE, D_ONE),
	     0xc01c000000000000UL, 0);
	CASE("fmul.d overflow", FPX(OP2("fmul.d"), 0x7fe1ccf385ebc8a0UL, 0x4024000000000000UL, 0),
	     0x7ff0000000000000UL, OF | NX);
	CASE("fmul.d exact subnormal", FPX(OP2("fmul.d"), 0x0010000000000000UL, 0x3fe0000000000000UL, 0),
	     0x0008000000000000UL, 0);
	CASE("fmul.d underflow to 0", FPX(OP2("fmul.d"), 1, 0x3fe0000000000000UL, 0), 0, UF | NX);
	/* Flags accrue until cleared. */
	CASE("fflags accrue",
	     FPX("fdiv.d ft3, ft0, ft1\n\tfdiv.d ft3, ft0, ft2\n\tfmv.x.d %0, ft3", D_ONE, 0, D_THREE),
	     0x3fd5555555555555UL, DZ | NX);

	/* Conversions: rounding, saturation and NV (§11.7, table 11.4). */
	CASE("fcvt.w.s NaN", FPX("fcvt.w.s %0, ft0, rtz", BOX(0x7fc00000), 0, 0), 0x7fffffff, NV);
	CASE("fcvt.w.s 3e9", FPX("fcvt.w.s %0, ft0, rtz", BOX(0x4f32d05e), 0, 0), 0x7fffffff, NV);
	CASE("fcvt.w.d -3.5 rtz", FPX("fcvt.w.d %0, ft0, rtz", 0xc00c000000000000UL, 0, 0), (u64)-3,
	     NX);
	CASE("fcvt.w.d -3.5 rne", FPX("fcvt.w.d %0, ft0, rne", 0xc00c000000000000UL, 0, 0), (u64)-4,
	     NX);
	CASE("fcvt.wu.d -1", FPX("fcvt.wu.d %0, ft0, rtz", 0xbff0000000000000UL, 0, 0), 0, NV);
	CASE("fcvt.wu.d 2^32-1 sext", FPX("fcvt.wu.d %0, ft0, rtz", 0x41efffffffe00000UL, 0, 0),
	     0xffffffffffffffffUL, 0);
	CASE("fcvt.l.d 1e19", FPX("fcvt.l.d %0, ft0, rtz", 0x43e158e460913d00UL, 0, 0),
	     0x7fffffffffffffffUL, NV);
	CASE("fcvt.d.l -1", FPX("fcvt.d.l ft3, %1\n\tfmv.x.d %0, ft3", -1, 0, 0), 0xbff0000000000000UL,
	     0);
	CASE("fcvt.s.d 1/3", FPX("fcvt.s.d ft3, ft0\n\tfmv.x.d %0, ft3", 0x3fd5555555555555UL, 0, 0),
	     BOX(0x3eaaaaab), NX);
	CASE("fcvt.s.d overflow", FPX("fcvt.s.d ft3, ft0\n\tfmv.x.d %0, ft3", 0x7fe1ccf385ebc8a0UL, 0, 0),
	     BOX(0x7f800000), OF | NX);

	/* NaNs, signed zeros, comparisons, classification (§11.3, §11.8-11.9). */
	CASE("fmin.d sNaN", FPX(OP2("fmin.d"), D_SNAN, D_ONE, 0), D_ONE, NV);
	CASE("fmin.s -0 +0", FPX(OP2("fmin.s"), BOX(0x80000000), BOX(0), 0), BOX(0x80000000), 0);
	CASE("fmax.d NaN NaN", FPX(OP2("fmax.d"), 0x7ff8000000000123UL, D_QNAN | 5, 0), D_QNAN, 0);
	CASE("feq.d qNaN", FPX("feq.d %0, ft0, ft1", D_QNAN, D_ONE, 0), 0, 0);
	CASE("flt.d qNaN", FPX("flt.d %0, ft0, ft1", D_QNAN, D_ONE, 0), 0, NV);
	CASE("fle.d", FPX("fle.d %0, ft0, ft1", D_ONE, D_ONE, 0), 1, 0);
	CASE("fclass.d -inf", FPX("fclass.d %0, ft0", 0xfff0000000000000UL, 0, 0), 1 << 0, 0);
	CASE("fclass.d -0", FPX("fclass.d %0, ft0", 0x8000000000000000UL, 0, 0), 1 << 3, 0);
	CASE("fclass.d +subnormal", FPX("fclass.d %0, ft0", 1, 0, 0), 1 << 5, 0);
	CASE("fclass.d sNaN", FPX("fclass.d %0, ft0", D_SNAN, 0, 0), 1 << 8, 0);
	CASE("fclass.d qNaN", FPX("fclass.d %0, ft0", D_QNAN, 0, 0), 1 << 9, 0);
	CASE("fsgnjx.d", FPX(OP2("fsgnjx.d"), 0xc000000000000000UL, 0xbff0000000000000UL, 0), D_TWO, 0);
	CASE("fsgnjn.d", FPX(OP2("fsgnjn.d"), 0x3ff8000000000000UL, D_TWO, 0),
	     0xbff8000000000000UL, 0);

	/* NaN-boxing (§12.2): an improperly boxed single is the canonical NaN. */
	CASE("unboxed fadd.s", FPX(OP2("fadd.s"), S_THREE, S_THREE, 0), BOX(0x7fc00000), 0);
	CASE("flw boxes", FPX("flw ft3, 0(%1)\n\tfmv.x.d %0, ft3", &one_f, 0, 0), BOX(S_ONE), 0);
	CASE("fmv.x.w sext", FPX("fmv.x.w %0, ft0", BOX(0x80000000), 0, 0), 0xffffffff80000000UL, 0);
	CASE("fmv.x.w unboxed", FPX("fmv.x.w %0, ft0", 0x12345678, 0, 0), 0x12345678, 0);

	/* sstatus.FS tracks state changes (privileged spec §3.1.6.6): Clean -> Dirty. */
	csr_clear(sstatus, SSTATUS_FS);
	csr_set(sstatus, 2UL << 13);
	FPX("fadd.d ft3, ft0, ft1\n\tli %0, 0", D_ONE, D_ONE, 0);
	u64 st = csr_read(sstatus);
	check_eq(&c, "sstatus.FS dirty after write", (st >> 13) & 3, 3);
	check_eq(&c, "sstatus.SD", st >> 63, 1);
	csr_write(fcsr, 0);
	return check_end(&c);
}
