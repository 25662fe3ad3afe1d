/* The two buses a vCPU exit lands on: I/O ports (KVM_EXIT_IO) and MMIO
 * (KVM_EXIT_MMIO). A bus is a short list of disjoint windows, each with its
 * handlers and its own lock: vCPU threads and the device thread touch a
 * device only under that lock, which is the serialisation virtio/mmio.h asks
 * for. An access is delivered only if it lies entirely inside one window;
 * anything else (no device, or straddling a window edge) reads as the bus's
 * fill byte and its writes are dropped, like an unclaimed ISA/PCI cycle. */
#ifndef STARDUST_VMM_BUS_H
#define STARDUST_VMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_BUS_MAX 16

/* off is relative to the window base. <0 (err filled) means the guest made
 * an access the device refuses; the guest still sees a completed access. */
typedef int (*sd_bus_read_fn)(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err);
typedef int (*sd_bus_write_fn)(void *opaque, uint64_t off, const void *data, uint32_t len,
			       struct volt_error *err);

struct sd_bus_dev {
	const char *name; /* static text, for messages */
	uint64_t base, len;
	sd_bus_read_fn read;   /* NULL: reads as the fill byte */
	sd_bus_write_fn write; /* NULL: writes dropped */
	void *opaque;
	pthread_mutex_t lock;
};

struct sd_bus {
	const char *name; /* "pio" or "mmio" */
	uint8_t fill;	  /* what unclaimed reads return, byte by byte */
	struct sd_bus_dev dev[SD_BUS_MAX];
	size_t n;
};

/* Outcome of a dispatch. */
#define SD_BUS_OK	 0
#define SD_BUS_UNCLAIMED 1

void sd_bus_init(struct sd_bus *b, const char *name, uint8_t fill);
/* Add a window [base, base+len): refused if len is 0, wraps, overlaps a
 * window already there, or the bus is full. */
int sd_bus_add(struct sd_bus *b, const char *name, uint64_t base, uint64_t len, sd_bus_read_fn rd,
	       sd_bus_write_fn wr, void *opaque, struct volt_error *err);
/* The window holding all of [addr, addr+len), or NULL. */
struct sd_bus_dev *sd_bus_find(struct sd_bus *b, uint64_t addr, uint64_t len);
/* Run one access. Returns SD_BUS_OK, SD_BUS_UNCLAIMED, or <0 with err
 * filled when the device refused it (the access still completed). */
int sd_bus_read(struct sd_bus *b, uint64_t addr, void *data, uint32_t len, struct volt_error *err);
int sd_bus_write(struct sd_bus *b, uint64_t addr, const void *data, uint32_t len, struct volt_error *err);
/* Hold a window's lock around host-side device work (console input). */
void sd_bus_dev_lock(struct sd_bus_dev *d);
void sd_bus_dev_unlock(struct sd_bus_dev *d);
void sd_bus_destroy(struct sd_bus *b);

#endif
