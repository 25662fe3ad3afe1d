/* virtio-console (device id 3) without MULTIPORT: port 0 only, its receive
 * queue fed from a host fd and its transmit queue written to another. It is
 * one ordered byte stream each way; whatever runs on top (the shim <-> guest
 * init control protocol) frames its own messages, EOF included, since a
 * single-port console cannot signal one. The guest sees it as /dev/hvc0. */
#ifndef STARDUST_VMM_VIRTIO_CONSOLE_H
#define STARDUST_VMM_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/virtio/device.h"

#define SD_CONSOLE_RXQ	      0 /* host -> guest */
#define SD_CONSOLE_TXQ	      1 /* guest -> host */
#define SD_CONSOLE_QUEUE_SIZE 256
#define SD_CONSOLE_CONFIG_LEN 12 /* cols, rows, max_nr_ports, emerg_wr */

struct sd_console {
	struct sd_virtio_dev dev; /* first: the transport sees this */
	struct sd_vq queues[2];
	int in_fd;  /* read for the guest; best non-blocking */
	int out_fd; /* guest output; a full pipe blocks the device thread */
	/* The guest has no receive buffer posted: stop polling in_fd until
	 * rx_kick is called (the driver posted buffers). */
	bool rx_blocked;
	bool in_eof;
	int out_errno; /* last host write error; the guest's bytes were dropped */
	void (*rx_kick)(void *opaque);
	void *rx_kick_opaque;
	struct sd_vq_chain chain;
};

/* The fds stay the caller's. */
int sd_console_init(struct sd_console *c, const struct sd_guest_mem *mem, int in_fd, int out_fd,
		    struct volt_error *err);

/* in_fd is readable: one read into the next receive buffer. Returns the bytes
 * given to the guest (0: no buffer posted, EOF or nothing to read), <0 on a
 * host read error or when the guest broke the queue (then NEEDS_RESET). */
int sd_console_rx(struct sd_console *c, struct volt_error *err);

#endif
