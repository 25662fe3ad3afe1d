/* Split virtqueue (virtio 1.x, no legacy layout), seen from the device side.
 *
 * Everything in the rings is written by the guest and may change under our
 * feet while we read it (another vCPU), so every field is fetched once into a
 * local and validated there; every guest address becomes a host pointer only
 * through sd_gpa(). A queue that ever showed a malformed ring is marked broken
 * and stays refused until the device is reset: the transport then reports
 * DEVICE_NEEDS_RESET to the driver. */
#ifndef STARDUST_VMM_VIRTIO_QUEUE_H
#define STARDUST_VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"

/* Feature bits the queue layer understands (virtio 1.x numbering). */
#define SD_VIRTIO_F_INDIRECT_DESC 28
#define SD_VIRTIO_F_EVENT_IDX	  29
#define SD_VIRTIO_F_VERSION_1	  32

#define SD_VIRTQ_DESC_F_NEXT	 1
#define SD_VIRTQ_DESC_F_WRITE	 2
#define SD_VIRTQ_DESC_F_INDIRECT 4

#define SD_VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* Largest queue any Stardust device offers. Also bounds a chain (direct or
 * through an indirect table): the spec forbids chains longer than the queue,
 * and a fixed bound lets sd_vq_chain live on the stack. */
#define SD_VQ_SIZE_MAX 256

struct sd_vq_buf {
	uint8_t *host; /* inside guest memory, len bytes valid */
	uint32_t len;
	bool writable; /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* One descriptor chain, flattened: all device-readable buffers first, then
 * all device-writable ones (enforced by sd_vq_pop). */
struct sd_vq_chain {
	uint16_t head;	     /* id to hand back in sd_vq_push */
	uint16_t n;	     /* buffers used in buf[] */
	uint16_t n_readable; /* buf[0..n_readable) readable, the rest writable */
	uint32_t readable;   /* total readable bytes */
	uint32_t writable;   /* total writable bytes */
	struct sd_vq_buf buf[SD_VQ_SIZE_MAX];
};

struct sd_vq {
	/* Set by the device. */
	uint16_t max_size;
	/* Set by the driver through the transport (raw, validated at activation). */
	uint32_t size;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Device-side state, valid after sd_vq_activate. */
	bool active;
	bool broken;
	bool event_idx;
	bool indirect;
	uint8_t *desc;	/* size * 16 bytes */
	uint8_t *avail; /* flags, idx, ring[size], used_event */
	uint8_t *used;	/* flags, idx, ring[size] {id, len}, avail_event */
	uint16_t last_avail;
	uint16_t next_used;
	uint16_t signalled_used;
	bool signalled_valid;
};

/* Forget everything the driver set (device reset). max_size is kept. */
void sd_vq_reset(struct sd_vq *q);

/* Validate what the driver set up (size a power of two within 1..max_size,
 * rings aligned and entirely inside guest memory) and resolve the rings.
 * features: the negotiated feature bits (EVENT_IDX changes the ring sizes,
 * INDIRECT_DESC allows indirect tables). */
int sd_vq_activate(struct sd_vq *q, const struct sd_guest_mem *m, uint64_t features, struct volt_error *err);

/* Take the next available chain. Returns 1 with *c filled, 0 when the ring is
 * empty, <0 when the guest wrote something malformed (queue then broken). */
int sd_vq_pop(struct sd_vq *q, const struct sd_guest_mem *m, struct sd_vq_chain *c, struct volt_error *err);

/* Give back the chain taken last (e.g. no host data to put in it yet). */
void sd_vq_unpop(struct sd_vq *q);

/* Publish chain `head` as used with `written` bytes written by the device. */
int sd_vq_push(struct sd_vq *q, uint16_t head, uint32_t written, struct volt_error *err);

/* Whether the driver wants an interrupt for what was pushed since the last
 * call (EVENT_IDX used_event, else the NO_INTERRUPT flag). */
bool sd_vq_should_signal(struct sd_vq *q);

/* Build iovecs for bytes [skip, skip+len) of the readable (writable=false) or
 * writable part of a chain. Returns the iovec count, or -1 when the range is
 * not entirely in the chain or needs more than max iovecs. */
int sd_vq_chain_iov(const struct sd_vq_chain *c, bool writable, uint64_t skip, uint64_t len,
		    struct iovec *iov, int max);

/* After a partial readv/writev of done bytes: drop the iovecs it finished
 * and trim the one it stopped in. */
static inline void sd_iov_advance(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/* Copy out / in through the chain's buffers; return bytes copied. */
size_t sd_vq_chain_read(const struct sd_vq_chain *c, uint64_t skip, void *dst, size_t len);
size_t sd_vq_chain_write(const struct sd_vq_chain *c, uint64_t skip, const void *src, size_t len);

#endif
