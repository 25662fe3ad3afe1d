/* The host side of virtio-net: a Linux tap device, opened by the monitor
 * before it jails itself (the jail's new network namespace and dropped
 * capabilities would forbid it after). The fd keeps the interface in the
 * namespace it was opened in, where a bridge (volt-net) can take it. */
#ifndef STARDUST_VMM_TAP_H
#define STARDUST_VMM_TAP_H

#include "oci/error.h"

/* Attach to tap `name`, creating it (non-persistent: gone with the fd) if
 * it does not exist; needs CAP_NET_ADMIN unless a persistent tap is owned
 * by the caller. IFF_TAP | IFF_NO_PI, no IFF_VNET_HDR: virtio-net offers no
 * offloads, so the guest's virtio_net_hdr has nothing the tap could use and
 * frames cross bare, exactly as on a datagram socket (--net-fd). The fd is
 * O_NONBLOCK and O_CLOEXEC. Returns the fd, or <0 with err filled. */
int sd_tap_open(const char *name, struct volt_error *err);

#endif
