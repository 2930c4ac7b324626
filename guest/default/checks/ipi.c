/*
 * Supervisor software interrupts (privileged spec §4.1.3: sip.SSIP,
 * scause = interrupt 1): one sent to ourselves through SBI IPI.send_ipi
 * (SBI spec ch. 7), one raised by writing sip.SSIP directly (it is writable
 * from S-mode). The handler clears SSIP.
 */
#include "guest.h"


static volatile u32 soft_irqs;

static void on_soft(void)
{
	csr_clear(sip, SIP_SSIP);
	soft_irqs++;
}

int check_ipi(void)
{
	struct check c;
	u64 tb = board.timebase ? board.timebase : 10000000;

	check_begin(&c, "ipi");
	irq_soft_hook = on_soft;
	soft_irqs = 0;
	csr_set(sie, SIE_SSIE);
	check_eq(&c, "send_ipi to self", sbi_send_ipi_self(boot_hartid), 0);
	check_eq(&c, "interrupt from send_ipi", wait_for_irq(&soft_irqs, tb), 1);
	check_eq(&c, "sip.SSIP cleared", csr_read(sip) & SIP_SSIP, 0);

	soft_irqs = 0;
	csr_set(sip, SIP_SSIP);
	check_eq(&c, "interrupt from sip.SSIP write", wait_for_irq(&soft_irqs, tb), 1);

	csr_clear(sie, SIE_SSIE);
	irq_soft_hook = NULL;
	return check_end(&c);
}
