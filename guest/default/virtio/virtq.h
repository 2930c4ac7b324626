/*
 * Split virtqueue layout (virtio 1.2 §2.7). Little-endian, as the guest.
 * Alignment (§2.7, table): descriptor table 16, available ring 2, used ring 4;
 * a legacy device (§2.7.2 "Legacy Interfaces: A Note on Virtqueue Layout")
 * wants the three parts contiguous with the used ring at the next QueueAlign
 * boundary, which is the layout virtio_blk.c uses for both versions.
 */
#ifndef VIRTQ_H
#define VIRTQ_H

#include "guest.h"

#define VIRTQ_DESC_F_NEXT 1 /* chain continues at .next */
#define VIRTQ_DESC_F_WRITE 2 /* device writes (otherwise reads) this buffer */

struct virtq_desc {
	u64 addr; /* guest-physical */
	u32 len;
	u16 flags;
	u16 next;
};

struct virtq_avail {
	u16 flags; /* bit 0: VIRTQ_AVAIL_F_NO_INTERRUPT */
	u16 idx; /* where the driver puts the next entry (mod queue size) */
	u16 ring[]; /* descriptor chain heads; followed by u16 used_event */
};

struct virtq_used_elem {
	u32 id; /* head of the completed chain */
	u32 len; /* bytes written into the chain's device-writable part */
};

struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[]; /* followed by u16 avail_event */
};

#endif
