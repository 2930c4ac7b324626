/*
 * virtio-blk over virtio-mmio: see virtio_blk.h for the contract.
 * Spec references are to virtio 1.2 (OASIS, 2022).
 */
#include "virtio/virtio_blk.h"
#include "virtio/virtio_mmio.h"

#define QUEUE_SIZE 8 /* descriptors; a request uses 2 + data buffers */
#define QUEUE_ALIGN 4096 /* legacy QueueAlign; also our used-ring offset */
#define MAX_BUFS (QUEUE_SIZE - 2)

/* §5.2.6: header (device-readable), data, then one status byte (device-writable). */
struct virtio_blk_req_hdr {
	u32 type;
	u32 reserved;
	u64 sector;
};

/* Descriptor table + avail ring in the first page, used ring in the second. */
static u8 queue_mem[2 * QUEUE_ALIGN] __attribute__((aligned(QUEUE_ALIGN)));
static struct virtio_blk_req_hdr req_hdr __attribute__((aligned(16)));
static volatile u8 req_status;
static struct virtio_blk *irq_dev;
static u64 irq_hart;

static u32 rd(struct virtio_blk *d, u32 off) { return mmio_read32(d->base + off); }
static void wr(struct virtio_blk *d, u32 off, u32 v) { mmio_write32(d->base + off, v); }

static void set_status(struct virtio_blk *d, u32 bits)
{
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | bits);
}

/* S-mode external interrupt: claim, acknowledge the device (§4.2.3.4), complete. */
static void on_external(void)
{
	u32 irq;
	while ((irq = plic_claim(irq_hart)) != 0) {
		if (irq_dev && irq == irq_dev->irq) {
			u32 isr = mmio_read32(irq_dev->base + VIRTIO_MMIO_INTERRUPT_STATUS);
			mmio_write32(irq_dev->base + VIRTIO_MMIO_INTERRUPT_ACK, isr);
			if (isr & VIRTIO_MMIO_INT_VRING)
				irq_dev->irqs++;
		}
		plic_complete(irq, irq_hart);
	}
}

static int fail(struct virtio_blk *d, const char *why)
{
	printf("virtio-blk: init failed: %s\n", why);
	set_status(d, VIRTIO_STATUS_FAILED);
	return -1;
}

/*
 * Device initialization, §3.1.1 (modern) / §3.1.2 + §4.2.4 (legacy):
 * reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (modern only), queue
 * setup (§4.2.3.2 / legacy §4.2.4), DRIVER_OK.
 */
int virtio_blk_init(struct virtio_blk *d, u64 base, u32 irq, u64 hartid)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	d->irq = irq;
	d->version = rd(d, VIRTIO_MMIO_VERSION);
	if (d->version != 1 && d->version != 2)
		return fail(d, "unknown virtio-mmio version");
	int modern = d->version == 2;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; rd(d, VIRTIO_MMIO_STATUS) != 0; i++)
		if (i > 1000000)
			return fail(d, "reset does not complete");
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);

	/* Features: 32 bits per selector value (§4.2.2); legacy has only bank 0. */
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	if (modern) {
		wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		d->offered |= (u64)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
		if (!(d->offered & (1UL << VIRTIO_F_VERSION_1)))
			return fail(d, "modern device without VIRTIO_F_VERSION_1");
		d->accepted |= 1UL << VIRTIO_F_VERSION_1;
	}
	d->accepted |= d->offered & (1UL << VIRTIO_BLK_F_FLUSH);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)d->accepted);
	if (modern) {
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)(d->accepted >> 32));
		set_status(d, VIRTIO_STATUS_FEATURES_OK);
		if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
			return fail(d, "device rejected FEATURES_OK");
	}

	/* Queue 0 (the only request queue without VIRTIO_BLK_F_MQ). */
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (rd(d, modern ? VIRTIO_MMIO_QUEUE_READY : VIRTIO_MMIO_QUEUE_PFN) != 0)
		return fail(d, "queue 0 already in use");
	u32 max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return fail(d, "queue 0 not available");
	d->qsize = max < QUEUE_SIZE ? max : QUEUE_SIZE;
	memset(queue_mem, 0, sizeof(queue_mem));
	d->desc = (volatile struct virtq_desc *)queue_mem;
	d->avail = (volatile struct virtq_avail *)(queue_mem + 16 * d->qsize);
	d->used = (volatile struct virtq_used *)(queue_mem + QUEUE_ALIGN);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, d->qsize);
	if (modern) {
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)(u64)d->desc);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)((u64)d->desc >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)(u64)d->avail);
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (u32)((u64)d->avail >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)(u64)d->used);
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (u32)((u64)d->used >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	} else {
		wr(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, QUEUE_ALIGN);
		wr(d, VIRTIO_MMIO_QUEUE_ALIGN, QUEUE_ALIGN);
		wr(d, VIRTIO_MMIO_QUEUE_PFN, (u32)((u64)queue_mem / QUEUE_ALIGN));
	}

	/* Interrupt path: device -> PLIC -> S-mode external interrupt. */
	irq_dev = d;
	irq_hart = hartid;
	irq_ext_hook = on_external;
	plic_enable(irq, hartid);
	csr_set(sie, SIE_SEIE);

	set_status(d, VIRTIO_STATUS_DRIVER_OK);

	/* capacity: le64 at config offset 0 (§5.2.4), read as two 32-bit halves. */
	u32 gen, lo, hi;
	do {
		gen = modern ? rd(d, VIRTIO_MMIO_CONFIG_GENERATION) : 0;
		lo = rd(d, VIRTIO_MMIO_CONFIG + 0);
		hi = rd(d, VIRTIO_MMIO_CONFIG + 4);
	} while (modern && gen != rd(d, VIRTIO_MMIO_CONFIG_GENERATION));
	d->capacity = (u64)hi << 32 | lo;
	return 0;
}

/*
 * §2.7.13 "Supplying Buffers to The Device": fill descriptors, put the head in
 * the next avail slot, barrier, publish avail.idx, barrier, notify (§4.2.3.3).
 * §2.7.14 "Receiving Used Buffers": wait until used.idx moves, then read the
 * element. One request in flight, so its chain always starts at descriptor 0.
 */
struct blk_result virtio_blk_request(struct virtio_blk *d, u32 type, u64 sector,
				     const struct blk_buf *bufs, int nbufs, u64 ticks)
{
	struct blk_result r = { -1, 0, 0 };
	if (nbufs > MAX_BUFS || nbufs > d->qsize - 2)
		return r;

	req_hdr.type = type;
	req_hdr.reserved = 0;
	req_hdr.sector = sector;
	req_status = 0xff;

	u16 n = 0;
	d->desc[n] = (struct virtq_desc){ (u64)&req_hdr, sizeof(req_hdr), VIRTQ_DESC_F_NEXT, 1 };
	n++;
	for (int i = 0; i < nbufs; i++, n++) {
		u16 flags = VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0);
		d->desc[n] = (struct virtq_desc){ (u64)bufs[i].addr, bufs[i].len, flags, n + 1 };
	}
	d->desc[n] = (struct virtq_desc){ (u64)&req_status, 1, VIRTQ_DESC_F_WRITE, 0 };

	u32 irqs_before = d->irqs;
	d->avail->ring[d->avail_idx % d->qsize] = 0;
	mb();
	d->avail->idx = ++d->avail_idx;
	mb();
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

	/* Poll the used ring with interrupts on; then give the interrupt time to land. */
	u64 limit = rdtime() + ticks;
	csr_set(sstatus, SSTATUS_SIE);
	while (d->used->idx == d->used_idx && rdtime() < limit)
		;
	while (d->irqs == irqs_before && rdtime() < limit)
		;
	csr_clear(sstatus, SSTATUS_SIE);
	mb();
	r.interrupted = d->irqs != irqs_before;
	if (d->used->idx == d->used_idx)
		return r;
	volatile struct virtq_used_elem *e = &d->used->ring[d->used_idx % d->qsize];
	d->used_idx++;
	r.used_len = e->len;
	r.status = e->id == 0 ? req_status : -1;
	return r;
}

void virtio_blk_reset(struct virtio_blk *d)
{
	csr_clear(sie, SIE_SEIE);
	plic_disable(d->irq, irq_hart);
	irq_ext_hook = NULL;
	irq_dev = NULL;
	wr(d, VIRTIO_MMIO_STATUS, 0);
}
