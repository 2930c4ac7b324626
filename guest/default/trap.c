/*
 * S-mode trap handling (privileged spec v1.12 §4.1.2 stvec, §4.1.8 scause,
 * §4.1.9 stval). start.S saves the registers and calls trap_handler().
 *
 * Interrupts go to the hook a check installed. A synchronous exception is
 * either expected (armed by fault_expect(): recorded, then resumed after the
 * faulting instruction) or fatal (reported, then power off with failure).
 */
#include "guest.h"

void (*irq_timer_hook)(void);
void (*irq_soft_hook)(void);
void (*irq_ext_hook)(void);
const char *current_check = "boot";

static volatile int fault_armed;
static volatile struct fault_record fault_seen;

void fault_expect(void)
{
	fault_seen.scause = 0;
	fault_seen.stval = 0;
	fault_seen.sepc = 0;
	fault_armed = 1;
}

u64 fault_take(struct fault_record *out)
{
	fault_armed = 0;
	if (out) {
		out->scause = fault_seen.scause;
		out->stval = fault_seen.stval;
		out->sepc = fault_seen.sepc;
	}
	return fault_seen.scause;
}

/*
 * Length of the instruction at pc: 2 if its low two bits are not 11
 * (compressed, unprivileged spec §1.5). The code is identity-mapped whether or
 * not paging is on, so pc can be read directly.
 */
static u64 insn_len(u64 pc)
{
	return (*(volatile u16 *)pc & 3) == 3 ? 4 : 2;
}

void trap_handler(struct trap_frame *f)
{
	if (f->scause & SCAUSE_INTR) {
		u64 irq = f->scause & ~SCAUSE_INTR;
		void (*hook)(void) = irq == IRQ_S_TIMER ? irq_timer_hook
				     : irq == IRQ_S_SOFT ? irq_soft_hook
				     : irq == IRQ_S_EXT	 ? irq_ext_hook
							 : NULL;
		if (hook) {
			hook();
			return;
		}
	} else if (fault_armed) {
		fault_armed = 0;
		fault_seen.scause = f->scause;
		fault_seen.stval = f->stval;
		fault_seen.sepc = f->sepc;
		f->sepc += insn_len(f->sepc);
		return;
	}
	csr_write(satp, 0); /* make sure the report below can print */
	printf("\nunexpected trap in %s: scause 0x%lx sepc 0x%lx stval 0x%lx\n", current_check,
	       f->scause, f->sepc, f->stval);
	printf("vtrace default guest: FAILED (unexpected trap)\n");
	sbi_shutdown(1);
}

u32 wait_for_irq(volatile u32 *count, u64 ticks)
{
	u64 limit = rdtime() + ticks;
	csr_set(sstatus, SSTATUS_SIE);
	while (!*count && rdtime() < limit)
		;
	csr_clear(sstatus, SSTATUS_SIE);
	return *count;
}

void trap_init(void)
{
	/* stvec was set in start.S; start with every interrupt source masked. */
	csr_write(sie, 0);
	csr_clear(sstatus, SSTATUS_SIE);
}
