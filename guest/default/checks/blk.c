/*
 * virtio-blk workload on the first block device found (DeviceID 2). The disk
 * is a scratch image: its first 8 sectors and its last sector are overwritten
 * with a recognizable pattern (see fill()), which a host-side test can check.
 *
 *   write sectors 0-7 (one 4 KiB buffer), write the last sector, flush,
 *   read sectors 0-7 back into two 2 KiB buffers, read the last sector back,
 *   read one sector past the end (must fail with VIRTIO_BLK_S_IOERR).
 */
#include "guest.h"
#include "virtio/virtio_blk.h"
#include "virtio/virtio_mmio.h"

#define RUN 8 /* sectors in the first write */

static u8 wbuf[RUN * SECTOR_SIZE] __attribute__((aligned(4096)));
static u8 rbuf[RUN * SECTOR_SIZE] __attribute__((aligned(4096)));

/* Sector contents: "vtrace-blk <sector as 8 hex digits>\n", then (sector + i) & 0xff. */
static void fill(u8 *p, u64 sector)
{
	static const char tag[] = "vtrace-blk ";
	for (u32 i = 0; i < SECTOR_SIZE; i++)
		p[i] = (u8)(sector + i);
	memcpy(p, tag, sizeof(tag) - 1);
	for (int i = 0; i < 8; i++)
		p[sizeof(tag) - 1 + i] = "0123456789abcdef"[(sector >> (28 - 4 * i)) & 0xf];
	p[sizeof(tag) - 1 + 8] = '\n';
}

static u64 fnv(const u8 *p, u32 n)
{
	u64 h = 0xcbf29ce484222325UL;
	while (n--)
		h = (h ^ *p++) * 0x100000001b3UL;
	return h;
}

static struct blk_result io(struct virtio_blk *d, struct check *c, const char *what, u32 type,
			    u64 sector, const struct blk_buf *bufs, int nbufs, int want_status)
{
	u64 tb = board.timebase ? board.timebase : 10000000;
	struct blk_result r = virtio_blk_request(d, type, sector, bufs, nbufs, 5 * tb);
	printf("virtio-blk: %s: status %d, used len %u, %s\n", what, r.status, r.used_len,
	       r.interrupted ? "interrupt" : "NO interrupt");
	check_eq(c, what, (u64)(s64)r.status, (u64)(s64)want_status);
	check_true(c, "used-buffer interrupt", r.interrupted);
	return r;
}

int check_virtio_blk(void)
{
	struct check c;
	struct virtio_blk dev;
	u32 slot;

	for (slot = 0; slot < board.nvirtio; slot++)
		if (mmio_read32(board.virtio[slot].base + VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC &&
		    mmio_read32(board.virtio[slot].base + VIRTIO_MMIO_DEVICE_ID) == 2)
			break;
	if (slot == board.nvirtio) {
		printf("check %-10s SKIP  no virtio-blk device\n", "virtio-blk");
		return -1;
	}

	check_begin(&c, "virtio-blk");
	if (virtio_blk_init(&dev, board.virtio[slot].base, board.virtio[slot].irq, boot_hartid)) {
		check_true(&c, "device initialization", 0);
		return check_end(&c);
	}
	printf("virtio-blk: slot %u, %s interface, queue size %u, capacity %lu sectors\n", slot,
	       dev.version == 2 ? "modern" : "legacy", dev.qsize, dev.capacity);
	printf("virtio-blk: features offered 0x%lx, accepted 0x%lx\n", dev.offered, dev.accepted);
	if (dev.capacity < 2 * RUN) {
		check_true(&c, "capacity >= 16 sectors", 0);
		virtio_blk_reset(&dev);
		return check_end(&c);
	}
	u64 last = dev.capacity - 1;

	for (u32 s = 0; s < RUN; s++)
		fill(wbuf + s * SECTOR_SIZE, s);
	struct blk_buf w0 = { wbuf, sizeof(wbuf) };
	io(&dev, &c, "write sectors 0-7", VIRTIO_BLK_T_OUT, 0, &w0, 1, VIRTIO_BLK_S_OK);

	static u8 wlast[SECTOR_SIZE] __attribute__((aligned(512)));
	fill(wlast, last);
	struct blk_buf w1 = { wlast, SECTOR_SIZE };
	io(&dev, &c, "write last sector", VIRTIO_BLK_T_OUT, last, &w1, 1, VIRTIO_BLK_S_OK);

	if (dev.accepted & (1UL << VIRTIO_BLK_F_FLUSH))
		io(&dev, &c, "flush", VIRTIO_BLK_T_FLUSH, 0, NULL, 0, VIRTIO_BLK_S_OK);
	else
		printf("virtio-blk: flush: not offered\n");

	memset(rbuf, 0, sizeof(rbuf));
	struct blk_buf r0[2] = { { rbuf, sizeof(rbuf) / 2 }, { rbuf + sizeof(rbuf) / 2, sizeof(rbuf) / 2 } };
	io(&dev, &c, "read sectors 0-7", VIRTIO_BLK_T_IN, 0, r0, 2, VIRTIO_BLK_S_OK);
	check_true(&c, "sectors 0-7 read back as written", !memcmp(rbuf, wbuf, sizeof(wbuf)));
	check_eq(&c, "sectors 0-7 data checksum", fnv(rbuf, sizeof(rbuf)), fnv(wbuf, sizeof(wbuf)));

	static u8 rlast[SECTOR_SIZE] __attribute__((aligned(512)));
	memset(rlast, 0, sizeof(rlast));
	struct blk_buf r1 = { rlast, SECTOR_SIZE };
	io(&dev, &c, "read last sector", VIRTIO_BLK_T_IN, last, &r1, 1, VIRTIO_BLK_S_OK);
	check_true(&c, "last sector read back as written", !memcmp(rlast, wlast, SECTOR_SIZE));

	io(&dev, &c, "read past the end", VIRTIO_BLK_T_IN, dev.capacity, &r1, 1, VIRTIO_BLK_S_IOERR);

	check_eq(&c, "device status", mmio_read32(dev.base + VIRTIO_MMIO_STATUS),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |
			 (dev.version == 2 ? VIRTIO_STATUS_FEATURES_OK : 0));
	virtio_blk_reset(&dev);
	return check_end(&c);
}
