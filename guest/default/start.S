/*
 * vtrace default guest: image header, entry, trap vector.
 *
 * Boot contract (same as a RISC-V Linux Image, Documentation/riscv/boot.rst):
 * the raw binary is loaded at RAM base + text_offset (0x80200000 on virt) and
 * entered in S-mode with a0 = hartid, a1 = physical address of the FDT,
 * satp = 0, interrupts disabled, on top of an SBI implementation.
 */

	.section .text.head, "ax"
	.option push
	.option norvc
	.option norelax
	.globl _start
_start:
	/*
	 * RISC-V Linux Image header, 64 bytes, all fields little-endian
	 * (Documentation/riscv/boot-image-header.rst, arch/riscv/include/asm/image.h).
	 */
	j	_entry			/* code0: executable code */
	.word	0			/* code1 */
	.dword	0x200000		/* text_offset: load 2 MiB above RAM base */
	.dword	_end - _start		/* image_size: everything incl. .bss */
	.dword	0			/* flags: bit 0 = 0, little-endian */
	.word	(0 << 16) | 2		/* version 0.2 (major << 16 | minor) */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated since 0.2) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3: PE/COFF offset, none */
	.option pop

	.text
_entry:
	/* Only one hart runs the guest: the first to get here. Others park. */
	lla	t0, boot_lottery
	li	t1, 1
	amoadd.w t1, t1, (t0)
	bnez	t1, park

	csrw	sie, zero
	csrw	sip, zero
	/* FS = Initial: the compiler may use FP registers anywhere (lp64d). */
	li	t0, (1 << 13)
	csrs	sstatus, t0

	/* Clear .bss (the stack lives there too); bounds are 8-byte aligned. */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	lla	sp, stack_top
	lla	t0, trap_vector
	csrw	stvec, t0		/* MODE = Direct (0): vector is 4-aligned */
	call	guest_main		/* guest_main(hartid = a0, fdt = a1): no return */
park:
	wfi
	j	park

/*
 * Trap vector (stvec, Direct mode). Traps only come from S-mode on the guest's
 * own stack: save x1..x31 and the trap CSRs in a struct trap_frame
 * (guest.h), call trap_handler(frame), restore (sepc may have been changed),
 * sret.
 */
#define FRAME_SIZE (36 * 8)
	.balign 4
	.globl trap_vector
trap_vector:
	addi	sp, sp, -FRAME_SIZE
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	addi	t0, sp, FRAME_SIZE
	sd	t0, 2*8(sp)		/* the interrupted sp */
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, sstatus
	sd	t0, 33*8(sp)
	csrr	t0, scause
	sd	t0, 34*8(sp)
	csrr	t0, stval
	sd	t0, 35*8(sp)

	mv	a0, sp
	call	trap_handler

	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	addi	sp, sp, FRAME_SIZE
	sret

	.section .bss
	.balign 16
stack_bottom:
	.skip	16384
stack_top:

	.section .data
	.balign 4
boot_lottery:
	.word	0
