/*
 * Sv39 paging (privileged spec v1.12 §4.3-4.4): build a three-level table,
 * turn on satp, access memory through it, take deliberate page faults via
 * stvec (load page fault = 13, store/AMO page fault = 15, stval = the
 * faulting virtual address), check sfence.vma, and turn paging off again.
 *
 * Layout (A and D preset on every leaf, so no check depends on whether the
 * MMU updates them or faults):
 *   gigapage 0 (0x0-0x3fffffff)          identity, RW   (UART, virtio, ...)
 *   gigapage 2 (0x80000000-0xbfffffff)   identity, RWX  (this guest)
 *   TEST_VA + 0x0000  -> page_a  RW
 *   TEST_VA + 0x1000  -> page_a  R      (read-only alias)
 *   TEST_VA + 0x2000  invalid
 *   TEST_VA + 0x3000  -> page_a  RW, U  (user page: S-mode needs sstatus.SUM)
 *   BAD_SUPER_VA      gigapage leaf with a misaligned PPN (must fault)
 */
#include "guest.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE(pa, flags) ((((u64)(pa)) >> 12) << 10 | (flags))
#define SATP_SV39 (8UL << 60)

#define TEST_VA 0x1000000000UL /* VPN[2] = 0x40, VPN[1] = 0, VPN[0] = 0 */
#define BAD_SUPER_VA 0x1040000000UL /* VPN[2] = 0x41 */
#define NONCANONICAL_VA 0x0000800000000000UL /* bits 63:39 != bit 38 */
#define VPN2(va) (((va) >> 30) & 0x1ff)

static u64 root[512] __attribute__((aligned(4096)));
static u64 l1[512] __attribute__((aligned(4096)));
static u64 l0[512] __attribute__((aligned(4096)));
static u64 page_a[512] __attribute__((aligned(4096)));
static u64 page_b[512] __attribute__((aligned(4096)));

static void sfence_vma_all(void) { asm volatile("sfence.vma" ::: "memory"); }
static void sfence_vma_addr(u64 va) { asm volatile("sfence.vma %0" : : "r"(va) : "memory"); }

/* One ld/sd at va; returns the scause of the exception it took, 0 if none. */
static u64 probe_load(u64 va, u64 *val, struct fault_record *f)
{
	u64 v = 0;
	fault_expect();
	asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
	*val = v;
	return fault_take(f);
}

static u64 probe_store(u64 va, u64 val, struct fault_record *f)
{
	fault_expect();
	asm volatile("sd %0, 0(%1)" : : "r"(val), "r"(va) : "memory");
	return fault_take(f);
}

int check_sv39(void)
{
	struct check c;
	struct fault_record f;
	u64 v;

	check_begin(&c, "sv39");
	memset(root, 0, sizeof(root));
	memset(l1, 0, sizeof(l1));
	memset(l0, 0, sizeof(l0));
	root[0] = PTE(0x00000000UL, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	root[2] = PTE(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	root[VPN2(TEST_VA)] = PTE(l1, PTE_V);
	root[VPN2(BAD_SUPER_VA)] = PTE(0x80001000UL, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	l1[0] = PTE(l0, PTE_V);
	l0[0] = PTE(page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	l0[1] = PTE(page_a, PTE_V | PTE_R | PTE_A);
	l0[3] = PTE(page_a, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
	page_a[0] = 0;
	page_b[0] = 0xbbbbbbbbbbbbbbbbUL;

	mb();
	csr_write(satp, SATP_SV39 | ((u64)root >> 12));
	sfence_vma_all();
	check_eq(&c, "satp.MODE = Sv39", csr_read(satp) >> 60, 8);

	/* Access through the mapping; it aliases page_a (identity-mapped). */
	check_eq(&c, "store via VA", probe_store(TEST_VA, 0x1122334455667788UL, &f), 0);
	check_eq(&c, "visible at PA", *(volatile u64 *)page_a, 0x1122334455667788UL);
	check_eq(&c, "read-only alias load", probe_load(TEST_VA + 0x1000, &v, &f), 0);
	check_eq(&c, "read-only alias value", v, 0x1122334455667788UL);

	/* Deliberate faults. */
	check_eq(&c, "store to read-only", probe_store(TEST_VA + 0x1008, 1, &f), EXC_STORE_PAGE_FAULT);
	check_eq(&c, "store fault stval", f.stval, TEST_VA + 0x1008);
	check_eq(&c, "faulting store wrote nothing", page_a[1], 0);
	check_eq(&c, "load from invalid", probe_load(TEST_VA + 0x2010, &v, &f), EXC_LOAD_PAGE_FAULT);
	check_eq(&c, "load fault stval", f.stval, TEST_VA + 0x2010);
	check_eq(&c, "U page, SUM=0", probe_load(TEST_VA + 0x3000, &v, &f), EXC_LOAD_PAGE_FAULT);
	csr_set(sstatus, SSTATUS_SUM);
	check_eq(&c, "U page, SUM=1", probe_load(TEST_VA + 0x3000, &v, &f), 0);
	check_eq(&c, "U page value", v, 0x1122334455667788UL);
	csr_clear(sstatus, SSTATUS_SUM);
	check_eq(&c, "misaligned superpage", probe_load(BAD_SUPER_VA, &v, &f), EXC_LOAD_PAGE_FAULT);
	check_eq(&c, "non-canonical VA", probe_load(NONCANONICAL_VA, &v, &f), EXC_LOAD_PAGE_FAULT);
	check_eq(&c, "non-canonical stval", f.stval, NONCANONICAL_VA);

	/* Remap TEST_VA to page_b: after sfence.vma the old translation is gone. */
	l0[0] = PTE(page_b, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	mb();
	sfence_vma_addr(TEST_VA);
	check_eq(&c, "load after remap", probe_load(TEST_VA, &v, &f), 0);
	check_eq(&c, "remapped value", v, 0xbbbbbbbbbbbbbbbbUL);

	csr_write(satp, 0);
	sfence_vma_all();
	check_eq(&c, "satp off", csr_read(satp), 0);
	check_eq(&c, "bare load", probe_load((u64)page_a, &v, &f), 0);
	check_eq(&c, "bare value", v, 0x1122334455667788UL);
	return check_end(&c);
}
