/*
 * Compressed instructions, written out explicitly (unprivileged spec
 * v20191213 ch. 16 "C" Standard Extension, RV64C forms). rvc_run(u64 *out)
 * stores RVC_RESULTS values; checks/rvc.c knows what each must be.
 * The c.ebreak at rvc_ebreak traps: the caller arms fault_expect() so the
 * handler resumes at the next (2-byte) instruction.
 */
	.text
	.option push
	.option rvc
	.balign 4
	.globl rvc_run
rvc_run:
	c.addi16sp sp, -64
	c.sdsp	ra, 56(sp)
	c.sdsp	s0, 48(sp)
	c.sdsp	s1, 40(sp)
	c.mv	s0, a0			/* s0 = out */
	c.mv	s1, sp			/* s1 = scratch (sp + 0..31) */

	/* [0] c.li, c.addi */
	c.li	a1, -5
	c.addi	a1, 7
	c.sd	a1, 0(s0)
	/* [1] c.lui with a negative immediate sign-extends */
	c.lui	a2, 0xfffff
	c.sd	a2, 8(s0)
	/* [2] c.addiw sign-extends the 32-bit sum */
	li	a3, 0x7fffffff
	c.addiw	a3, 1
	c.sd	a3, 16(s0)
	/* [3] c.slli, c.srai, c.srli */
	c.li	a4, -1
	c.slli	a4, 60
	c.srai	a4, 4
	c.srli	a4, 8
	c.sd	a4, 24(s0)
	/* [4] c.andi */
	c.li	a5, -3
	c.andi	a5, 0x1e
	c.sd	a5, 32(s0)
	/* [5] c.mv, c.add, c.xor, c.or, c.and, c.sub */
	c.li	a1, 31
	c.addi	a1, 31
	c.addi	a1, 31
	c.addi	a1, 7			/* a1 = 100 */
	c.li	a2, 31
	c.addi	a2, 11			/* a2 = 42 */
	c.mv	a3, a1
	c.add	a3, a2
	c.xor	a3, a2
	c.or	a3, a1
	c.and	a3, a2
	c.sub	a3, a1
	c.sd	a3, 40(s0)
	/* [6] c.addw, [7] c.subw */
	li	a4, 0x7fffffff
	c.li	a5, 1
	c.addw	a4, a5
	c.sd	a4, 48(s0)
	c.subw	a4, a5
	c.sd	a4, 56(s0)
	/* [8] c.swsp/c.lwsp, [9] c.sw/c.lw, [10] c.sd/c.ld + c.sdsp/c.ldsp */
	li	a1, 0x80000001
	c.swsp	a1, 0(sp)
	c.lwsp	a2, 0(sp)
	c.sd	a2, 64(s0)
	c.sw	a1, 8(s1)
	c.lw	a3, 8(s1)
	c.sd	a3, 72(s0)
	c.sd	a1, 16(s1)
	c.ld	a4, 16(s1)
	c.sdsp	a4, 24(sp)
	c.ldsp	a5, 24(sp)
	c.sd	a5, 80(s0)
	/* [11] c.fsd/c.fld, c.fsdsp/c.fldsp */
	li	a1, 0x400921fb54442d18
	fmv.d.x	fa0, a1
	c.fsd	fa0, 8(s1)
	c.fld	fa1, 8(s1)
	c.fsdsp	fa1, 16(sp)
	c.fldsp	fa2, 16(sp)
	fmv.x.d	a2, fa2
	c.sd	a2, 88(s0)
	/* [12] c.addi4spn */
	c.addi4spn a0, sp, 24
	c.sub	a0, s1
	c.sd	a0, 96(s0)
	/* [13] c.addi16sp */
	c.mv	a1, sp
	c.addi16sp sp, -48
	c.mv	a2, sp
	c.sub	a1, a2
	c.addi16sp sp, 48
	c.sd	a1, 104(s0)
	/* [14] c.j, c.beqz, c.bnez forward */
	c.li	a1, 0
	c.j	1f
	c.li	a1, 1			/* skipped */
1:	c.beqz	a1, 2f			/* taken */
	c.addi	a1, 2			/* skipped */
2:	c.bnez	a1, 3f			/* not taken */
	c.addi	a1, 4
3:	c.sd	a1, 112(s0)
	/* [15] backward c.bnez loop */
	c.li	a3, 5
	c.li	a4, 0
4:	c.addi	a4, 3
	c.addi	a3, -1
	c.bnez	a3, 4b
	c.sd	a4, 120(s0)
	/* [16] c.jalr to a leaf that returns with c.jr; [17] link = pc + 2 */
	lla	a5, rvc_leaf
	c.jalr	a5
rvc_after_jalr:
	lla	a2, rvc_after_jalr
	c.sub	a3, a2
	c.sd	a4, 128(s0)
	c.sd	a3, 136(s0)
	/* [18] c.ebreak traps; the handler resumes 2 bytes later */
	c.li	a1, 0
	.globl	rvc_ebreak
rvc_ebreak:
	c.ebreak
	c.li	a1, 7
	c.sd	a1, 144(s0)
	/* [19] a 32-bit instruction at an address that is 2 mod 4 */
	.balign	4
	c.nop
	.option push
	.option norvc
	addi	a1, zero, 0x123
	.option pop
	c.sd	a1, 152(s0)

	c.ldsp	ra, 56(sp)
	c.ldsp	s0, 48(sp)
	c.ldsp	s1, 40(sp)
	c.addi16sp sp, 64
	c.jr	ra

rvc_leaf:
	c.addi	a4, 1
	c.mv	a3, ra
	c.jr	ra
	.option pop
