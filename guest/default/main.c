/*
 * vtrace default guest: banner, board discovery, checks, summary, power off.
 *
 * Output contract: every line is the same on real QEMU and on any correct
 * emulator of the virt board for the same command line, except lines that
 * start with "~ ", which carry timing-, firmware- or layout-dependent values.
 */
#include "guest.h"
#include "virtio/virtio_mmio.h"

u64 boot_hartid;
struct board_info board;

static const char *sbi_impl_name(long id)
{
	static const char *const names[] = { "BBL", "OpenSBI", "Xvisor", "KVM", "RustSBI",
					     "Diosix", "Coffer", "Xen", "PolarFire HSS",
					     "coreboot", "oreboot", "bhyve" };
	return id >= 0 && id < (long)ARRAY_SIZE(names) ? names[id] : "unknown";
}

static const char *virtio_device_name(u32 id)
{
	switch (id) {
	case 1: return "network";
	case 2: return "block";
	case 3: return "console";
	case 4: return "entropy";
	case 5: return "balloon";
	case 8: return "scsi";
	case 9: return "9p";
	case 16: return "gpu";
	case 18: return "input";
	case 19: return "vsock";
	default: return "other";
	}
}

static void print_board(const void *fdt)
{
	if (fdt_parse(fdt, &board)) {
		printf("fdt: no valid device tree at a1\n");
		return;
	}
	u64 mib = board.mem_size >> 20;
	printf("fdt: memory %lu MiB at 0x%lx, %u cpu%s, timebase %u Hz\n", mib, board.mem_base,
	       board.ncpus, board.ncpus == 1 ? "" : "s", board.timebase);
	if (board.bootargs)
		printf("fdt: bootargs \"%s\"\n", board.bootargs);
	else
		printf("fdt: bootargs (none)\n");
	printf("~ fdt at 0x%lx, isa %s\n", (u64)fdt, board.isa ? board.isa : "(none)");
	if (sbi.spec_version)
		printf("~ sbi: spec %lu.%lu, %s (id %ld) version 0x%lx, ext%s%s%s\n",
		       (sbi.spec_version >> 24) & 0x7f, sbi.spec_version & 0xffffff,
		       sbi_impl_name(sbi.impl_id), sbi.impl_id, sbi.impl_version,
		       sbi.has_time ? " TIME" : "", sbi.has_ipi ? " IPI" : "",
		       sbi.has_srst ? " SRST" : "");
	else
		printf("~ sbi: legacy (v0.1)\n");

	/* virtio-mmio slots: MagicValue / Version / DeviceID (virtio 1.2 §4.2.2). */
	if (!board.nvirtio) {
		printf("virtio-mmio: no slots\n");
		return;
	}
	printf("virtio-mmio: %u slots at 0x%lx-0x%lx\n", board.nvirtio, board.virtio[0].base,
	       board.virtio[board.nvirtio - 1].base + 0xfff);
	u32 ndev = 0;
	for (u32 i = 0; i < board.nvirtio; i++) {
		u64 base = board.virtio[i].base;
		u32 magic = mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE);
		u32 version = mmio_read32(base + VIRTIO_MMIO_VERSION);
		u32 id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);
		if (magic != VIRTIO_MMIO_MAGIC) {
			printf("virtio-mmio: slot %u at 0x%lx: bad magic 0x%x\n", i, base, magic);
			continue;
		}
		if (!id)
			continue;
		ndev++;
		printf("virtio-mmio: slot %u at 0x%lx irq %u: version %u, device %u (%s)\n", i, base,
		       board.virtio[i].irq, version, id, virtio_device_name(id));
	}
	printf("virtio-mmio: %u device%s\n", ndev, ndev == 1 ? "" : "s");
}

struct group {
	const char *name;
	int (*run)(void); /* 1 = pass, 0 = fail, -1 = skipped */
};

static const struct group groups[] = {
	{ "int", check_int },	      { "rvc", check_rvc },
	{ "atomic", check_atomic },   { "fp", check_fp },
	{ "sv39", check_sv39 },	      { "timer", check_timer },
	{ "ipi", check_ipi },	      { "counters", check_counters },
	{ "virtio-blk", check_virtio_blk },
};

void guest_main(u64 hartid, const void *fdt)
{
	boot_hartid = hartid;
	uart_init();
	trap_init();
	sbi_init();

	printf("\nvtrace default guest on hart %lu\n", hartid);
	print_board(fdt);

	u32 ran = 0, passed = 0;
	const char *failed[ARRAY_SIZE(groups)];
	for (u32 i = 0; i < ARRAY_SIZE(groups); i++) {
		current_check = groups[i].name;
		int r = groups[i].run();
		if (r < 0)
			continue;
		ran++;
		if (r)
			passed++;
		else
			failed[ran - passed - 1] = groups[i].name;
	}

	current_check = "shutdown";
	if (passed == ran) {
		printf("vtrace default guest: all %u checks passed\n", ran);
	} else {
		printf("vtrace default guest: %u of %u checks FAILED:", ran - passed, ran);
		for (u32 i = 0; i < ran - passed; i++)
			printf(" %s", failed[i]);
		printf("\n");
	}
	sbi_shutdown(passed != ran);
}
