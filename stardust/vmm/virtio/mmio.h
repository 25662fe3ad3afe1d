/* virtio-mmio transport, version 2 (no legacy), as a pure register model:
 * the monitor's MMIO exit handler forwards each access inside the device's
 * window to sd_mmio_read/sd_mmio_write; the interrupt line is driven through
 * the irq callback (an irqfd write, or KVM_IRQ_LINE, in the monitor).
 *
 * Locking: the monitor serialises sd_mmio_* calls and the device's host-side
 * work for one device (one device thread, or a lock); only InterruptStatus is
 * updated atomically, so raising an interrupt from another thread is safe. */
#ifndef STARDUST_VMM_VIRTIO_MMIO_H
#define STARDUST_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/virtio/device.h"

#define SD_MMIO_MAGIC	   0x74726976 /* "virt" */
#define SD_MMIO_VERSION	   2
#define SD_MMIO_VENDOR	   0x746c6f56 /* "Volt" */
#define SD_MMIO_WINDOW	   0x200      /* registers + config space per device */
#define SD_MMIO_CONFIG_OFF 0x100

#define SD_MMIO_MAGIC_VALUE	    0x000
#define SD_MMIO_VERSION_REG	    0x004
#define SD_MMIO_DEVICE_ID	    0x008
#define SD_MMIO_VENDOR_ID	    0x00c
#define SD_MMIO_DEVICE_FEATURES	    0x010
#define SD_MMIO_DEVICE_FEATURES_SEL 0x014
#define SD_MMIO_DRIVER_FEATURES	    0x020
#define SD_MMIO_DRIVER_FEATURES_SEL 0x024
#define SD_MMIO_QUEUE_SEL	    0x030
#define SD_MMIO_QUEUE_NUM_MAX	    0x034
#define SD_MMIO_QUEUE_NUM	    0x038
#define SD_MMIO_QUEUE_READY	    0x044
#define SD_MMIO_QUEUE_NOTIFY	    0x050
#define SD_MMIO_INTERRUPT_STATUS    0x060
#define SD_MMIO_INTERRUPT_ACK	    0x064
#define SD_MMIO_STATUS		    0x070
#define SD_MMIO_QUEUE_DESC_LOW	    0x080
#define SD_MMIO_QUEUE_DESC_HIGH	    0x084
#define SD_MMIO_QUEUE_DRIVER_LOW    0x090
#define SD_MMIO_QUEUE_DRIVER_HIGH   0x094
#define SD_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define SD_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define SD_MMIO_SHM_SEL		    0x0ac
#define SD_MMIO_SHM_LEN_LOW	    0x0b0
#define SD_MMIO_SHM_LEN_HIGH	    0x0b4
#define SD_MMIO_SHM_BASE_LOW	    0x0b8
#define SD_MMIO_SHM_BASE_HIGH	    0x0bc
#define SD_MMIO_CONFIG_GENERATION   0x0fc

/* Device status bits. */
#define SD_VIRTIO_S_ACKNOWLEDGE 1
#define SD_VIRTIO_S_DRIVER	2
#define SD_VIRTIO_S_DRIVER_OK	4
#define SD_VIRTIO_S_FEATURES_OK 8
#define SD_VIRTIO_S_NEEDS_RESET 64
#define SD_VIRTIO_S_FAILED	128

struct sd_mmio {
	struct sd_virtio_dev *dev;
	void (*irq)(void *opaque, int level);
	void *irq_opaque;

	uint32_t status;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status; /* atomic */
	uint32_t config_generation;
	bool activated;
};

/* Bind transport and device; the device's queues get max_size from the
 * device and everything else reset. */
void sd_mmio_init(struct sd_mmio *t, struct sd_virtio_dev *dev, void (*irq)(void *opaque, int level),
		  void *irq_opaque);

/* offset is relative to the device's window. An access the guest should not
 * make (bad width/alignment, unknown or write-only register, out-of-order
 * status) reads as zeros / is ignored and returns <0 with err filled, for the
 * monitor to log (rate-limited); the guest sees only the register values.
 * A notify runs the device's queue handler synchronously. */
int sd_mmio_read(struct sd_mmio *t, uint64_t offset, void *data, uint32_t len, struct volt_error *err);
int sd_mmio_write(struct sd_mmio *t, uint64_t offset, const void *data, uint32_t len, struct volt_error *err);

/* The device changed its config space (e.g. a resized disk). */
void sd_mmio_config_changed(struct sd_mmio *t);

#endif
