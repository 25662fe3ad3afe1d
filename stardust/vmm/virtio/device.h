/* The contract between a virtio device model (block.c, console.c, ...) and a
 * transport (mmio.c). A device embeds struct sd_virtio_dev as its first
 * member, fills the identity fields and ops, and owns its queue array; the
 * transport owns feature negotiation, the queue registers and interrupts, and
 * calls ops at the points of the device life cycle. */
#ifndef STARDUST_VMM_VIRTIO_DEVICE_H
#define STARDUST_VMM_VIRTIO_DEVICE_H

#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"
#include "stardust/vmm/virtio/queue.h"

#define SD_VIRTIO_ID_NET     1
#define SD_VIRTIO_ID_BLOCK   2
#define SD_VIRTIO_ID_CONSOLE 3
#define SD_VIRTIO_ID_VSOCK   19

/* InterruptStatus bits. */
#define SD_VIRTIO_INT_USED   1
#define SD_VIRTIO_INT_CONFIG 2

struct sd_virtio_dev;

struct sd_virtio_ops {
	/* Device config space, off/len already checked against config_len. */
	void (*config_read)(struct sd_virtio_dev *d, uint32_t off, void *data, uint32_t len);
	void (*config_write)(struct sd_virtio_dev *d, uint32_t off, const void *data, uint32_t len);
	/* DRIVER_OK: d->acked is final and every ready queue is active.
	 * <0 refuses (the transport reports DEVICE_NEEDS_RESET). */
	int (*activate)(struct sd_virtio_dev *d, struct volt_error *err);
	/* The driver kicked queue q (q < nqueues, queue active). <0 when the
	 * guest broke the queue (the transport reports DEVICE_NEEDS_RESET). */
	int (*notify)(struct sd_virtio_dev *d, uint16_t q, struct volt_error *err);
	/* Driver wrote 0 to Status: forget everything per-session. Queues are
	 * reset by the transport. */
	void (*reset)(struct sd_virtio_dev *d);
};

struct sd_virtio_dev {
	/* Filled by the device. */
	uint32_t device_id;
	uint64_t features;   /* offered; must include VERSION_1 */
	uint32_t config_len; /* bytes of config space */
	uint16_t nqueues;
	struct sd_vq *queues; /* nqueues entries, max_size set */
	const struct sd_guest_mem *mem;
	const struct sd_virtio_ops *ops;

	/* Filled by the transport. */
	uint64_t acked; /* negotiated features, valid from FEATURES_OK */
	void *transport;
	void (*raise)(void *transport, uint32_t int_bits);
	void (*fail)(void *transport); /* guest broke the device: NEEDS_RESET */
};

/* After pushing to queue q: interrupt the driver if it asked for one. */
static inline void sd_virtio_used(struct sd_virtio_dev *d, uint16_t q)
{
	if (d->raise && sd_vq_should_signal(&d->queues[q]))
		d->raise(d->transport, SD_VIRTIO_INT_USED);
}

/* From device work the transport did not start (host input): the guest
 * broke a queue. */
static inline void sd_virtio_fail(struct sd_virtio_dev *d)
{
	if (d->fail)
		d->fail(d->transport);
}

static inline int sd_virtio_acked(const struct sd_virtio_dev *d, unsigned bit)
{
	return (d->acked >> bit) & 1;
}

#endif
