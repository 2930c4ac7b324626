/*
 * Compressed code: the whole guest is compiled for rv64gc, so it already runs
 * mostly on 16-bit instructions; rvc.S adds one explicit use of each RV64C
 * form (including c.ebreak and a 4-byte instruction at a 2-mod-4 address).
 */
#include "guest.h"

#define RVC_RESULTS 20
void rvc_run(u64 *out);
extern const char rvc_ebreak[];

static const struct {
	const char *what;
	u64 want;
} expect[RVC_RESULTS] = {
	{ "c.li/c.addi", 2 },
	{ "c.lui negative", 0xfffffffffffff000UL },
	{ "c.addiw sext", 0xffffffff80000000UL },
	{ "c.slli/c.srai/c.srli", 0x00ff000000000000UL },
	{ "c.andi", 0x1c },
	{ "c.mv/add/xor/or/and/sub", (u64)-68 },
	{ "c.addw", 0xffffffff80000000UL },
	{ "c.subw", 0x7fffffff },
	{ "c.swsp/c.lwsp sext", 0xffffffff80000001UL },
	{ "c.sw/c.lw sext", 0xffffffff80000001UL },
	{ "c.sd/c.ld/c.sdsp/c.ldsp", 0x80000001 },
	{ "c.fsd/c.fld/c.fsdsp/c.fldsp", 0x400921fb54442d18UL },
	{ "c.addi4spn", 24 },
	{ "c.addi16sp", 48 },
	{ "c.j/c.beqz/c.bnez", 4 },
	{ "c.bnez loop", 15 },
	{ "c.jalr/c.jr", 16 },
	{ "c.jalr link", 0 },
	{ "resume after c.ebreak", 7 },
	{ "32-bit insn at 2 mod 4", 0x123 },
};

int check_rvc(void)
{
	struct check c;
	u64 out[RVC_RESULTS];
	struct fault_record f;

	check_begin(&c, "rvc");
	memset(out, 0, sizeof(out));
	fault_expect();
	rvc_run(out);
	fault_take(&f);
	for (int i = 0; i < RVC_RESULTS; i++)
		check_eq(&c, expect[i].what, out[i], expect[i].want);
	check_eq(&c, "c.ebreak scause", f.scause, EXC_BREAKPOINT);
	check_true(&c, "c.ebreak sepc", f.sepc == (u64)rvc_ebreak);
	return check_end(&c);
}
