/* stardust-init's network bring-up, for a VM with a NIC (annotation
 * org.volt.vm.net.tap): the kernel parameter stardust.net (shim/vm-net.h)
 * says so and carries eth0's address and the default route. Then it loads
 * the network modules listed apart in the initramfs, waits (bounded) for
 * eth0, sets the address, brings lo and eth0 up and adds the route, all over
 * rtnetlink (stardust-init is static: no libmnl, no ip(8)). Without the
 * parameter it does nothing, and lo stays down as before. */
#ifndef STARDUST_INIT_GUEST_NET_H
#define STARDUST_INIT_GUEST_NET_H

#include "oci/error.h"
#include "stardust/shim/vm-net.h"

#define SD_GUEST_NET_IF "eth0"

/* From cmdline_path (/proc/cmdline): n->on false when the VM has no NIC. */
int sd_guest_net_read(const char *cmdline_path, struct sd_vm_net *n, struct volt_error *err);

/* Bring the network up as n says (nothing when n is off): modules from
 * module_list, eth0 within timeout_ms, address, links, route. Errors name
 * the annotation and the interface. */
int sd_guest_net_up(const struct sd_vm_net *n, const char *module_list, int timeout_ms,
		    struct volt_error *err);

#endif
