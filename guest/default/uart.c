/*
 * NS16550A console at 0x10000000 (QEMU virt "serial@10000000", reg-shift 0,
 * clock-frequency 3686400). Polled transmit only: wait for LSR.THRE, write
 * THR. Register layout: TI PC16550D datasheet, "Register summary".
 */
#include "guest.h"

#define UART_BASE 0x10000000UL
#define UART_CLOCK 3686400
#define UART_BAUD 115200

#define THR 0 /* transmit holding (DLAB=0, write) */
#define DLL 0 /* divisor latch low (DLAB=1) */
#define IER 1 /* interrupt enable (DLAB=0) */
#define DLM 1 /* divisor latch high (DLAB=1) */
#define FCR 2 /* FIFO control (write) */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE 0x01
#define MCR_DTR_RTS 0x03
#define LSR_THRE 0x20 /* THR (or TX FIFO) empty: may write one byte */
#define LSR_TEMT 0x40 /* transmitter completely idle */

static void wait_lsr(u8 bit)
{
	while (!(mmio_read8(UART_BASE + LSR) & bit))
		;
}

/*
 * The firmware may have printed through this UART already: let it drain, then
 * program 115200 8N1, FIFOs on, no interrupts. Idempotent on QEMU's model.
 */
void uart_init(void)
{
	u16 div = UART_CLOCK / (16 * UART_BAUD);

	wait_lsr(LSR_TEMT);
	mmio_write8(UART_BASE + IER, 0);
	mmio_write8(UART_BASE + LCR, LCR_DLAB);
	mmio_write8(UART_BASE + DLL, div & 0xff);
	mmio_write8(UART_BASE + DLM, div >> 8);
	mmio_write8(UART_BASE + LCR, LCR_8N1);
	mmio_write8(UART_BASE + FCR, FCR_ENABLE);
	mmio_write8(UART_BASE + MCR, MCR_DTR_RTS);
}

void uart_putc(char c)
{
	wait_lsr(LSR_THRE);
	mmio_write8(UART_BASE + THR, (u8)c);
}

/* Returns once every byte written so far has left the transmitter. */
void uart_flush(void)
{
	wait_lsr(LSR_TEMT);
}
