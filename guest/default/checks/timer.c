/*
 * Timer interrupt through SBI TIME.set_timer (SBI spec ch. 6) and the
 * supervisor timer interrupt (privileged spec §4.1.3 sip/sie: STIP/STIE,
 * scause = interrupt 5). The wait loop is the race-free pattern: with
 * sstatus.SIE = 0, wfi returns once (sip & sie) != 0 (§3.3.3); briefly
 * setting SIE then takes the interrupt.
 */
#include "guest.h"

static volatile u32 timer_irqs;
static volatile u64 timer_seen_at;

static void on_timer(void)
{
	timer_seen_at = rdtime();
	timer_irqs++;
	sbi_set_timer(~0UL); /* clears sip.STIP, schedules nothing */
}

int check_timer(void)
{
	struct check c;
	u64 tb = board.timebase ? board.timebase : 10000000;
	u64 delay = tb / 100; /* 10 ms */

	check_begin(&c, "timer");
	timer_irqs = 0;
	irq_timer_hook = on_timer;
	u64 start = rdtime();
	u64 deadline = start + delay;
	sbi_set_timer(deadline);
	csr_set(sie, SIE_STIE);
	/* wfi returns once the timer is pending; a 2 s bound covers a no-op wfi. */
	u64 limit = start + 2 * tb;
	while (!timer_irqs && rdtime() < limit) {
		wfi();
		csr_set(sstatus, SSTATUS_SIE);
		csr_clear(sstatus, SSTATUS_SIE);
	}
	check_eq(&c, "interrupts taken", timer_irqs, 1);
	check_true(&c, "not before the deadline", timer_seen_at >= deadline);

	/* set_timer(~0) in the handler cleared it: no second interrupt. */
	u64 quiet_end = rdtime() + 2 * delay;
	csr_set(sstatus, SSTATUS_SIE);
	while (rdtime() < quiet_end)
		;
	csr_clear(sstatus, SSTATUS_SIE);
	check_eq(&c, "no interrupt after set_timer(~0)", timer_irqs, 1);
	check_eq(&c, "sip.STIP clear", csr_read(sip) & SIE_STIE, 0);

	csr_clear(sie, SIE_STIE);
	irq_timer_hook = NULL;
	int ok = check_end(&c);
	printf("~ timer: deadline %lu ticks ahead, taken %lu ticks after it\n", delay,
	       timer_seen_at - deadline);
	return ok;
}
