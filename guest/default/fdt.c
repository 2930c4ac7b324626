/*
 * Minimal flattened device tree reader (Devicetree Specification v0.4,
 * ch. 5 "Flattened Devicetree (DTB) Format"). Walks the structure block once
 * and extracts only what the guest reports or uses; see struct board_info.
 * All DTB fields are big-endian; tokens are 4-byte aligned.
 */
#include "guest.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define MAX_DEPTH 8

struct fdt_header {
	u32 magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap;
	u32 version, last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

/* Properties of one node, kept until its END_NODE (they precede its children). */
struct node {
	const char *name;
	u32 addr_cells, size_cells; /* for this node's children (spec 2.3.5) */
	const u8 *reg;
	u32 reg_len;
	const char *device_type, *compatible, *bootargs, *isa;
	u32 compatible_len;
	u32 irq, timebase;
};

static u32 be32(const void *p)
{
	const u8 *b = p;
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

/* Reads a cells-wide big-endian number (1 or 2 cells) and advances *p. */
static u64 read_cells(const u8 **p, u32 cells)
{
	u64 v = 0;
	for (u32 i = 0; i < cells; i++, *p += 4)
		v = v << 32 | be32(*p);
	return v;
}

static int stringlist_has(const char *list, u32 len, const char *want)
{
	for (u32 i = 0; i < len; i += strlen(list + i) + 1)
		if (!strcmp(list + i, want))
			return 1;
	return 0;
}

/* Called at END_NODE: the node's properties are complete. */
static void finish_node(const struct node *n, const struct node *parent, int depth,
			struct board_info *bi)
{
	if (depth == 1 && !strcmp(n->name, "chosen"))
		bi->bootargs = n->bootargs;
	if (depth == 1 && !strncmp(n->name, "cpus", 4) && n->timebase)
		bi->timebase = n->timebase;
	if (n->device_type && !strcmp(n->device_type, "cpu")) {
		if (!bi->ncpus++)
			bi->isa = n->isa;
		if (!bi->timebase && n->timebase)
			bi->timebase = n->timebase;
	}
	if (!parent || !n->reg)
		return;
	u32 entry = 4 * (parent->addr_cells + parent->size_cells);
	if (n->device_type && !strcmp(n->device_type, "memory")) {
		for (const u8 *p = n->reg; p + entry <= n->reg + n->reg_len;) {
			u64 base = read_cells(&p, parent->addr_cells);
			u64 size = read_cells(&p, parent->size_cells);
			if (!bi->mem_size)
				bi->mem_base = base;
			bi->mem_size += size;
		}
	}
	if (n->compatible && stringlist_has(n->compatible, n->compatible_len, "virtio,mmio") &&
	    bi->nvirtio < MAX_VIRTIO && n->reg_len >= entry) {
		const u8 *p = n->reg;
		struct virtio_slot *s = &bi->virtio[bi->nvirtio++];
		s->base = read_cells(&p, parent->addr_cells);
		s->irq = n->irq;
	}
}

static void prop(struct node *n, const char *name, const u8 *val, u32 len)
{
	if (!strcmp(name, "#address-cells") && len == 4)
		n->addr_cells = be32(val);
	else if (!strcmp(name, "#size-cells") && len == 4)
		n->size_cells = be32(val);
	else if (!strcmp(name, "reg"))
		n->reg = val, n->reg_len = len;
	else if (!strcmp(name, "device_type"))
		n->device_type = (const char *)val;
	else if (!strcmp(name, "compatible"))
		n->compatible = (const char *)val, n->compatible_len = len;
	else if (!strcmp(name, "bootargs"))
		n->bootargs = (const char *)val;
	else if (!strcmp(name, "riscv,isa"))
		n->isa = (const char *)val;
	else if (!strcmp(name, "interrupts") && len >= 4)
		n->irq = be32(val);
	else if (!strcmp(name, "timebase-frequency") && len == 4)
		n->timebase = be32(val);
}

/* Returns 0 on success, -1 if fdt is not a DTB this reader understands. */
int fdt_parse(const void *fdt, struct board_info *bi)
{
	const struct fdt_header *h = fdt;
	struct node stack[MAX_DEPTH];
	int depth = 0;

	memset(bi, 0, sizeof(*bi));
	if (!fdt || be32(&h->magic) != FDT_MAGIC || be32(&h->last_comp_version) > 17)
		return -1;
	const u8 *p = (const u8 *)fdt + be32(&h->off_dt_struct);
	const u8 *end = p + be32(&h->size_dt_struct);
	const char *strings = (const char *)fdt + be32(&h->off_dt_strings);

	while (p < end) {
		u32 tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			p += (strlen(name) + 1 + 3) & ~3UL;
			if (depth == MAX_DEPTH)
				return -1;
			struct node *n = &stack[depth++];
			memset(n, 0, sizeof(*n));
			n->name = name;
			n->addr_cells = 2;
			n->size_cells = 1;
		} else if (tok == FDT_PROP) {
			u32 len = be32(p), nameoff = be32(p + 4);
			if (depth)
				prop(&stack[depth - 1], strings + nameoff, p + 8, len);
			p += 8 + ((len + 3) & ~3UL);
		} else if (tok == FDT_END_NODE) {
			if (!depth)
				return -1;
			depth--;
			finish_node(&stack[depth], depth ? &stack[depth - 1] : NULL, depth, bi);
		} else if (tok == FDT_END) {
			break;
		} else if (tok != FDT_NOP) {
			return -1;
		}
	}

	/* Slot order = address order (QEMU lists the nodes top slot first). */
	for (u32 i = 1; i < bi->nvirtio; i++)
		for (u32 j = i; j && bi->virtio[j - 1].base > bi->virtio[j].base; j--) {
			struct virtio_slot t = bi->virtio[j];
			bi->virtio[j] = bi->virtio[j - 1];
			bi->virtio[j - 1] = t;
		}
	return 0;
}
