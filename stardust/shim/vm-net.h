/* The microVM's IPv4 network as the guest sees it: eth0's address and the
 * default route, carried from the host to stardust-init on the guest kernel's
 * command line as one parameter:
 *
 *   stardust.net=up                        eth0 and lo up, no address
 *   stardust.net=ADDR/PREFIX[,gw=GW]       and the address, and the route
 *
 * The command line rather than a file in the initramfs: the initramfs is
 * cached per (init, module tree) and shared by every container, the command
 * line is per VM. A parameter with a dot is a module parameter to the kernel:
 * it neither warns nor reaches init's argv or environment; stardust-init
 * reads /proc/cmdline. Pure code, shared by the shim (vm-opts.c) and the
 * guest (stardust/init/guest-net.c). */
#ifndef STARDUST_SHIM_VM_NET_H
#define STARDUST_SHIM_VM_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_VM_NET_PARAM "stardust.net"

struct sd_vm_net {
	bool on; /* the VM has a NIC: bring eth0 up */
	bool has_addr, has_gw;
	uint8_t prefix;
	struct in_addr addr, gw; /* network byte order */
};

/* "10.88.0.2/24": a dotted quad and a prefix 1..32. The address must be one
 * a host may have: not 0.0.0.0, loopback, multicast or reserved, and for
 * prefixes up to /30 neither the subnet's network nor broadcast address. */
#define SD_VM_NET_MAC_LEN 6

/* "xx:xx:xx:xx:xx:xx" (hex, either case) into mac; a multicast or all-zero
 * address is refused. The shim checks the annotation with it and the
 * monitor its --net-* option. */
int sd_vm_net_parse_mac(const char *s, uint8_t mac[SD_VM_NET_MAC_LEN], struct volt_error *err);

int sd_vm_net_parse_cidr(const char *s, struct in_addr *addr, uint8_t *prefix, struct volt_error *err);

/* A dotted-quad gateway, inside addr/prefix, and neither addr itself nor the
 * subnet's network or broadcast address. */
int sd_vm_net_parse_gateway(const char *s, struct in_addr addr, uint8_t prefix, struct in_addr *gw,
			    struct volt_error *err);

/* The parameter for n ("stardust.net=..."), or "" when n is off. */
int sd_vm_net_param(const struct sd_vm_net *n, char *buf, size_t cap, struct volt_error *err);

/* n from a kernel command line (/proc/cmdline's text): the last
 * stardust.net= wins; none leaves n off. A malformed value is an error. */
int sd_vm_net_from_cmdline(const char *cmdline, struct sd_vm_net *n, struct volt_error *err);

#endif
