/*
 * PLIC (RISC-V PLIC spec v1.0.0; QEMU hw/intc/sifive_plic.c) at 0x0c000000 on
 * virt. Hart h owns two contexts there: 2h for M-mode, 2h+1 for S-mode (the
 * order of the FDT's interrupts-extended: <cpu-intc 11>, <cpu-intc 9>).
 */
#include "guest.h"

#define PLIC_BASE 0x0c000000UL
#define PLIC_PRIORITY(irq) (PLIC_BASE + 4 * (irq))
#define PLIC_ENABLE(ctx, irq) (PLIC_BASE + 0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_BASE + 0x200004 + 0x1000 * (ctx))

static u64 s_context(u64 hartid) { return 2 * hartid + 1; }

/* Routes source irq to this hart's S-mode context (priority 1, threshold 0). */
void plic_enable(u32 irq, u64 hartid)
{
	u64 ctx = s_context(hartid);
	mmio_write32(PLIC_PRIORITY(irq), 1);
	mmio_write32(PLIC_ENABLE(ctx, irq), mmio_read32(PLIC_ENABLE(ctx, irq)) | 1U << (irq % 32));
	mmio_write32(PLIC_THRESHOLD(ctx), 0);
}

void plic_disable(u32 irq, u64 hartid)
{
	u64 ctx = s_context(hartid);
	mmio_write32(PLIC_ENABLE(ctx, irq), mmio_read32(PLIC_ENABLE(ctx, irq)) & ~(1U << (irq % 32)));
	mmio_write32(PLIC_PRIORITY(irq), 0);
}

/* Claims the highest-priority pending source (0 = none). */
u32 plic_claim(u64 hartid) { return mmio_read32(PLIC_CLAIM(s_context(hartid))); }

void plic_complete(u32 irq, u64 hartid) { mmio_write32(PLIC_CLAIM(s_context(hartid)), irq); }
