/*
 * fpu-oracle: executes single RISC-V F/D instructions on request, as a test oracle.
 *
 * Built static for riscv64 (riscv64-linux-gnu-gcc -static -O1) and run under qemu-riscv64, it
 * lets the differential test ask QEMU's softfloat what one instruction does.
 *
 * stdin: records of 48 bytes, little-endian:
 *   u32 insn   instruction word; its registers must be rd=10, rs1=11, rs2=12, rs3=13
 *   u32 frm    value written to the frm CSR before executing (0..7; 5..7 are invalid modes)
 *   u64 f11, f12, f13   raw 64-bit contents of f11..f13 (singles must be NaN-boxed by the caller)
 *   u64 x11             contents of x11 (integer source of fmv.w.x / fcvt.*.w etc.)
 *   u64 f10             initial contents of f10
 * stdout: records of 24 bytes:
 *   u64 f10    f10 after the instruction
 *   u64 x10    x10 after the instruction (x10 is zeroed before it)
 *   u32 fflags fflags after the instruction (cleared before it)
 *   u32 status 0 = executed, 1 = SIGILL (illegal instruction; f10/x10/fflags are then meaningless)
 *
 * The instruction is patched into an executable page (self-modifying code, made visible with
 * fence.i); the caller should group records by instruction word so that patches are rare.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct io {
    uint32_t insn, frm;
    uint64_t f11, f12, f13, x11, f10_in;
    uint32_t flags_out, pad;
    uint64_t f10_out, x10_out;
};

/* Template of the stub; copied to an RWX page. a0 = struct io *. */
extern char stub_start[], stub_insn[], stub_end[];
__asm__(
    ".text\n"
    ".balign 4\n"
    ".option push\n"
    ".option norvc\n"
    "stub_start:\n"
    "  mv t6, a0\n"
    "  fld f11, 8(t6)\n"
    "  fld f12, 16(t6)\n"
    "  fld f13, 24(t6)\n"
    "  ld a1, 32(t6)\n"
    "  fld f10, 40(t6)\n"
    "  li a0, 0\n"
    "  lwu t0, 4(t6)\n"
    "  csrw frm, t0\n"
    "  csrw fflags, zero\n"
    "stub_insn:\n"
    "  nop\n"
    "  csrr t0, fflags\n"
    "  sw t0, 48(t6)\n"
    "  fsd f10, 56(t6)\n"
    "  sd a0, 64(t6)\n"
    "  ret\n"
    "stub_end:\n"
    ".option pop\n");

static sigjmp_buf jb;

static void on_sigill(int sig) {
    (void)sig;
    siglongjmp(jb, 1);
}

#define CHUNK 4096

int main(void) {
    size_t len = (size_t)(stub_end - stub_start);
    size_t insn_off = (size_t)(stub_insn - stub_start);
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memcpy(page, stub_start, len);
    __builtin___clear_cache(page, page + len);
    void (*stub)(struct io *) = (void (*)(struct io *))(void *)page;
    uint32_t cur = 0x00000013; /* nop */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);

    static unsigned char in[CHUNK * 48];
    static unsigned char out[CHUNK * 24];
    for (;;) {
        size_t got = 0;
        while (got < sizeof in) {
            ssize_t n = read(0, in + got, sizeof in - got);
            if (n < 0) return 3;
            if (n == 0) break;
            got += (size_t)n;
        }
        size_t nrec = got / 48;
        if (nrec == 0) break;
        for (size_t i = 0; i < nrec; i++) {
            volatile struct io io;
            memcpy((void *)&io, in + i * 48, 48);
            if (io.insn != cur) {
                cur = io.insn;
                memcpy(page + insn_off, &cur, 4);
                __builtin___clear_cache(page, page + len);
            }
            uint32_t status = 0;
            if (sigsetjmp(jb, 1) == 0) {
                stub((struct io *)&io);
            } else {
                status = 1;
                io.f10_out = 0;
                io.x10_out = 0;
                io.flags_out = 0;
            }
            unsigned char *o = out + i * 24;
            uint64_t f10 = io.f10_out, x10 = io.x10_out;
            uint32_t fl = io.flags_out;
            memcpy(o, &f10, 8);
            memcpy(o + 8, &x10, 8);
            memcpy(o + 16, &fl, 4);
            memcpy(o + 20, &status, 4);
        }
        size_t want = nrec * 24, put = 0;
        while (put < want) {
            ssize_t n = write(1, out + put, want - put);
            if (n <= 0) return 4;
            put += (size_t)n;
        }
        if (got < sizeof in) break;
    }
    return 0;
}
