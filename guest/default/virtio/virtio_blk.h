/*
 * A minimal virtio-blk driver over virtio-mmio (virtio 1.2 §4.2 transport,
 * §5.2 block device): one virtqueue, one request in flight, completion by
 * polling the used ring while counting the device's interrupts (PLIC, S-mode
 * external interrupt). Works with modern (Version 2) and legacy (Version 1)
 * virtio-mmio; QEMU's virtio-mmio is legacy unless force-legacy=false.
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include "guest.h"
#include "virtio/virtq.h"

#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR_SIZE 512

struct virtio_blk {
	u64 base; /* MMIO registers */
	u32 irq; /* PLIC source (FDT "interrupts") */
	u32 version; /* 1 legacy, 2 modern */
	u64 offered, accepted; /* feature bits */
	u64 capacity; /* in 512-byte sectors */
	u16 qsize;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	u16 avail_idx, used_idx; /* next avail slot to fill, next used slot to read */
	volatile u32 irqs; /* interrupts taken (used-buffer notifications) */
};

/* One data buffer of a request. */
struct blk_buf {
	void *addr;
	u32 len;
};

struct blk_result {
	int status; /* VIRTIO_BLK_S_*, or -1 if the request never completed */
	u32 used_len; /* the device's used.len for the chain */
	int interrupted; /* a used-buffer interrupt arrived for it */
};

/* Resets and initializes the device (virtio 1.2 §3.1.1). 0 on success. */
int virtio_blk_init(struct virtio_blk *d, u64 base, u32 irq, u64 hartid);
/*
 * Submits one request (header, nbufs data buffers, status byte as separate
 * descriptors) and waits up to `ticks` of time for it to complete.
 */
struct blk_result virtio_blk_request(struct virtio_blk *d, u32 type, u64 sector,
				     const struct blk_buf *bufs, int nbufs, u64 ticks);
/* Resets the device (Status = 0) and masks its interrupt. */
void virtio_blk_reset(struct virtio_blk *d);

#endif
