/* virtio-net (device id 1) over a host fd that carries one Ethernet frame
 * per read and per write: a tap opened with IFF_TAP|IFF_NO_PI (see tap.h),
 * or a SOCK_DGRAM/SOCK_SEQPACKET socket. One receive and one transmit queue,
 * no offloads: the driver gets VERSION_1 and MAC (plus the ring features
 * the queue layer has), so the 12-byte virtio_net_hdr carries nothing on
 * transmit and is all zeros but num_buffers = 1 on receive.
 *
 * Transmit runs on the thread that handles the notify (a vCPU): each chain
 * is one frame, its header stripped, one writev to the fd. Receive runs
 * where the monitor polls the fd (the main thread): sd_net_rx reads frames
 * straight into the guest's posted buffers. When the guest has none posted
 * the fd is not read and rx_blocked is set, for the monitor to stop polling
 * it until the driver kicks the receive queue (rx_kick). */
#ifndef STARDUST_VMM_VIRTIO_NET_H
#define STARDUST_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/virtio/device.h"

#define SD_VIRTIO_NET_F_MAC 5

#define SD_NET_RXQ	  0 /* host -> guest */
#define SD_NET_TXQ	  1 /* guest -> host */
#define SD_NET_QUEUE_SIZE 256
#define SD_NET_HDR_LEN	  12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define SD_NET_MAC_LEN	  6
#define SD_NET_CONFIG_LEN 8 /* mac, status (reads 0: STATUS not offered, the link is up) */
#define SD_NET_ETH_HLEN	  14
/* The largest frame either way: without F_MTU a driver may set any MTU up
 * to 65535, plus an Ethernet and a VLAN header. A transmit chain longer
 * than this is refused, not cut. */
#define SD_NET_FRAME_MAX (65535 + SD_NET_ETH_HLEN + 4)
/* Frames per sd_net_rx call on a non-blocking fd, so that one busy device
 * cannot starve the monitor's other fds. */
#define SD_NET_RX_BATCH 64

struct sd_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_refused; /* chains the device would not send: too short or too long */
	uint64_t tx_errors;  /* the backend refused the write (full, link down): frame dropped */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_too_big;	/* frames larger than the guest's buffer: dropped */
	uint64_t rx_short_bufs; /* receive chains with no room for a header: returned empty */
};

struct sd_net {
	struct sd_virtio_dev dev; /* first: the transport sees this */
	struct sd_vq queues[2];
	int fd;
	bool nonblock; /* fd is O_NONBLOCK: sd_net_rx may read several frames */
	uint8_t mac[SD_NET_MAC_LEN];
	/* The guest has no receive buffer posted: stop polling fd until
	 * rx_kick is called (the driver kicked the receive queue). */
	bool rx_blocked;
	bool rx_eof;		/* the backend closed or failed: it is not read again */
	int rx_errno, tx_errno; /* last backend errors */
	struct sd_net_stats stats;
	void (*rx_kick)(void *opaque);
	void *rx_kick_opaque;
	struct sd_vq_chain chain;
};

/* fd stays the caller's. It must keep frame boundaries: a tap, a datagram
 * or a seqpacket socket (a stream socket is refused). mac NULL: derived
 * from mac_seed by sd_net_default_mac. */
int sd_net_init(struct sd_net *n, const struct sd_guest_mem *mem, int fd, const uint8_t *mac,
		const char *mac_seed, struct volt_error *err);

/* fd is readable: move frames into posted receive buffers (up to
 * SD_NET_RX_BATCH, or one on a blocking fd). Returns the frames given to the
 * guest (0: no buffer posted, nothing to read, or only dropped frames), <0
 * on a host read error or when the guest broke the queue (then NEEDS_RESET). */
int sd_net_rx(struct sd_net *n, struct volt_error *err);

/* A locally administered unicast MAC, stable for a seed (the tap name):
 * 02:5d followed by 32 bits of an FNV-1a hash of the seed. */
void sd_net_default_mac(const char *seed, uint8_t mac[SD_NET_MAC_LEN]);

/* The MAC parser is sd_vm_net_parse_mac (stardust/shim/vm-net.h): one for
 * the shim's annotation and the monitor's option. */
#include "stardust/shim/vm-net.h"

#endif
