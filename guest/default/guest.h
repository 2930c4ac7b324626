/*
 * vtrace default guest: shared declarations.
 *
 * The guest is a freestanding S-mode program booted like a RISC-V Linux Image
 * (see start.S). Everything here is single-hart and polled; the only
 * interrupts taken are the ones a check asks for (timer, software).
 */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long s64;
typedef int s32;
typedef unsigned long uintptr_t;
typedef unsigned long size_t;

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- CSRs (RISC-V privileged spec v1.12, ch. 4 "Supervisor-Level ISA") ---- */
#define csr_read(csr) ({ u64 _v; asm volatile("csrr %0, " #csr : "=r"(_v)); _v; })
#define csr_write(csr, v) asm volatile("csrw " #csr ", %0" : : "rK"((u64)(v)) : "memory")
#define csr_set(csr, v) asm volatile("csrs " #csr ", %0" : : "rK"((u64)(v)) : "memory")
#define csr_clear(csr, v) asm volatile("csrc " #csr ", %0" : : "rK"((u64)(v)) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_FS (3UL << 13)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_SUM (1UL << 18)

#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)
#define SIP_SSIP SIE_SSIE

#define SCAUSE_INTR (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define EXC_BREAKPOINT 3
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15

static inline void mb(void) { asm volatile("fence iorw, iorw" ::: "memory"); }
static inline void wfi(void) { asm volatile("wfi" ::: "memory"); }
static inline u64 rdtime(void) { u64 v; asm volatile("rdtime %0" : "=r"(v)); return v; }

/* ---- MMIO (naturally aligned accesses, little-endian devices) ---- */
static inline u8 mmio_read8(uintptr_t a) { return *(volatile u8 *)a; }
static inline void mmio_write8(uintptr_t a, u8 v) { *(volatile u8 *)a = v; }
static inline u32 mmio_read32(uintptr_t a) { return *(volatile u32 *)a; }
static inline void mmio_write32(uintptr_t a, u32 v) { *(volatile u32 *)a = v; }

/* ---- lib.c ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- uart.c / printf.c: NS16550A console ---- */
void uart_init(void);
void uart_putc(char c);
void uart_flush(void);
/* Formats %s %c %d %u %x with optional '-' or '0', width and 'l'; "\n" prints as CR LF. */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- trap.c ---- */
struct trap_frame {
	u64 regs[32]; /* x0..x31; regs[0] unused */
	u64 sepc, sstatus, scause, stval;
};
/* Interrupt hooks: a check installs one while it runs; NULL = unexpected. */
extern void (*irq_timer_hook)(void);
extern void (*irq_soft_hook)(void);
extern void (*irq_ext_hook)(void);
extern const char *current_check; /* named in the report of an unexpected trap */
/*
 * Expected exceptions: arm with fault_expect(); the next synchronous exception
 * is recorded here and execution resumes after the faulting instruction.
 * fault_take() returns the recorded scause (or 0 if none) and disarms.
 */
struct fault_record { u64 scause, stval, sepc; };
void fault_expect(void);
u64 fault_take(struct fault_record *out);
void trap_init(void);

/* ---- sbi.c ---- */
struct sbi_info {
	long spec_version; /* major << 24 | minor; 0 for a legacy-only SBI (v0.1) */
	long impl_id, impl_version;
	int has_time, has_ipi, has_srst; /* v0.2+ extensions; else legacy calls */
};
extern struct sbi_info sbi;
void sbi_init(void);
void sbi_set_timer(u64 stime);
int sbi_send_ipi_self(u64 hartid);
void sbi_shutdown(int failure) __attribute__((noreturn));

/* ---- fdt.c: what the guest needs from the device tree ---- */
#define MAX_VIRTIO 16
struct virtio_slot { u64 base; u32 irq; };
struct board_info {
	u64 mem_base, mem_size;
	u32 ncpus;
	u32 timebase; /* Hz; 0 if absent */
	const char *bootargs; /* NULL if /chosen has none */
	const char *isa; /* riscv,isa of the first cpu */
	u32 nvirtio; /* virtio,mmio nodes, sorted by base */
	struct virtio_slot virtio[MAX_VIRTIO];
};
int fdt_parse(const void *fdt, struct board_info *bi);

/* ---- plic.c ---- */
void plic_enable(u32 irq, u64 hartid);
void plic_disable(u32 irq, u64 hartid);
u32 plic_claim(u64 hartid);
void plic_complete(u32 irq, u64 hartid);

/*
 * trap.c: spins with sstatus.SIE = 1 until an interrupt hook has made
 * *count != 0 or `ticks` of time have passed; returns *count (no wfi, so a
 * missing interrupt cannot hang the guest).
 */
u32 wait_for_irq(volatile u32 *count, u64 ticks);

/* ---- check.c: PASS/FAIL bookkeeping with a checksum per group ---- */
struct check {
	const char *name;
	u32 cases, failed;
	u64 sum; /* FNV-1a over every value checked, in order */
};
void check_begin(struct check *c, const char *name);
/* Records one case: got must equal want. Mixes got into the checksum. */
void check_eq(struct check *c, const char *what, u64 got, u64 want);
/* Records one case that is a yes/no property; mixes the outcome only. */
void check_true(struct check *c, const char *what, int ok);
/* Prints the group's PASS/FAIL line; returns 1 if every case passed. */
int check_end(struct check *c);

/* ---- checks/ ---- */
extern u64 boot_hartid;
extern struct board_info board;
int check_int(void);
int check_rvc(void);
int check_atomic(void);
int check_fp(void);
int check_sv39(void);
int check_timer(void);
int check_ipi(void);
int check_counters(void);
/* Returns 1 pass, 0 fail, -1 skipped (no virtio-blk device). */
int check_virtio_blk(void);

#endif
