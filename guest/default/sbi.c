/*
 * SBI calls (RISC-V Supervisor Binary Interface spec v1.0 / v2.0).
 *
 * Calling convention (spec ch. 3): a7 = extension ID, a6 = function ID,
 * a0..a5 = arguments; returns a0 = error (0 = SBI_SUCCESS), a1 = value.
 * The legacy extensions (EIDs 0x00-0x0F, spec ch. 5) return only a0.
 * Every v0.2+ extension used here is probed first (Base, FID 3), falling
 * back to the legacy call when absent.
 */
#include "guest.h"

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45 /* "TIME" */
#define SBI_EXT_IPI 0x735049 /* "sPI" */
#define SBI_EXT_SRST 0x53525354 /* "SRST" */
#define SBI_LEGACY_SET_TIMER 0x00
#define SBI_LEGACY_SEND_IPI 0x04
#define SBI_LEGACY_SHUTDOWN 0x08

#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID 1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXTENSION 3

#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

/* sifive,test0 at 0x100000 (QEMU hw/misc/sifive_test.c): 0x5555 = pass/off. */
#define SIFIVE_TEST_BASE 0x100000UL
#define SIFIVE_TEST_PASS 0x5555

struct sbiret { long error, value; };

struct sbi_info sbi;

static struct sbiret sbi_call(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2)
{
	register u64 r_a0 asm("a0") = a0;
	register u64 r_a1 asm("a1") = a1;
	register u64 r_a2 asm("a2") = a2;
	register u64 r_a6 asm("a6") = fid;
	register u64 r_a7 asm("a7") = eid;
	asm volatile("ecall"
		     : "+r"(r_a0), "+r"(r_a1)
		     : "r"(r_a2), "r"(r_a6), "r"(r_a7)
		     : "memory");
	return (struct sbiret){ (long)r_a0, (long)r_a1 };
}

static long sbi_legacy(u64 eid, u64 a0)
{
	return sbi_call(eid, 0, a0, 0, 0).error;
}

static int probe(u64 eid)
{
	return sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid, 0, 0).value != 0;
}

/*
 * Base extension (spec ch. 4). A v0.1 SBI has no Base extension: the call
 * fails with an error (SBI_ERR_NOT_SUPPORTED) and everything stays legacy.
 */
void sbi_init(void)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
	if (r.error) {
		sbi.spec_version = 0;
		return;
	}
	sbi.spec_version = r.value;
	sbi.impl_id = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0).value;
	sbi.impl_version = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0).value;
	sbi.has_time = probe(SBI_EXT_TIME);
	sbi.has_ipi = probe(SBI_EXT_IPI);
	sbi.has_srst = probe(SBI_EXT_SRST);
}

/*
 * TIME.set_timer (spec ch. 6): the next timer event fires at time >= stime;
 * the call clears any pending supervisor timer interrupt (sip.STIP).
 * stime = ~0 schedules nothing, i.e. just clears.
 */
void sbi_set_timer(u64 stime)
{
	if (sbi.has_time)
		sbi_call(SBI_EXT_TIME, 0, stime, 0, 0);
	else
		sbi_legacy(SBI_LEGACY_SET_TIMER, stime);
}

/*
 * IPI.send_ipi(hart_mask, hart_mask_base) (spec ch. 7): raises a supervisor
 * software interrupt (sip.SSIP) on each selected hart; here only on ourselves.
 * The legacy call takes a pointer to a hart mask instead. Returns 0 on success.
 */
int sbi_send_ipi_self(u64 hartid)
{
	if (sbi.has_ipi)
		return (int)sbi_call(SBI_EXT_IPI, 0, 1, hartid, 0).error;
	static u64 mask[4];
	if (hartid >= 64 * ARRAY_SIZE(mask))
		return -1;
	memset(mask, 0, sizeof(mask));
	mask[hartid / 64] = 1UL << (hartid % 64);
	return (int)sbi_legacy(SBI_LEGACY_SEND_IPI, (u64)mask);
}

/*
 * Power off: SRST.system_reset(SHUTDOWN, reason) (spec ch. 10), then the legacy
 * shutdown (EID 0x08), then the sifive_test finisher directly. Each returns
 * only on failure. `failure` selects the reason code only: QEMU exits 0 for
 * any SBI shutdown; the summary line above it carries the verdict.
 */
void sbi_shutdown(int failure)
{
	uart_flush();
	if (sbi.has_srst) {
		struct sbiret r = sbi_call(SBI_EXT_SRST, 0, SBI_SRST_TYPE_SHUTDOWN,
					   failure ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE, 0);
		printf("sbi: SRST shutdown returned error %ld\n", r.error);
	}
	sbi_legacy(SBI_LEGACY_SHUTDOWN, 0);
	printf("sbi: legacy shutdown returned; using sifive_test\n");
	uart_flush();
	mmio_write32(SIFIVE_TEST_BASE, SIFIVE_TEST_PASS);
	for (;;)
		wfi();
}
