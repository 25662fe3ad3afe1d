/* The microVM's shape from the bundle's annotations (config.json
 * "annotations"), so the same bundle runs under volt-run and volt-stardust:
 *
 *   org.volt.vm.vcpus      1..32                       (default 1)
 *   org.volt.vm.memory     MiB, 16..1048576             (default 256; the
 *                          backend sizes a VM with a memory limit itself)
 *   org.volt.vm.kernel     guest kernel: uncompressed vmlinux or bzImage
 *                          (default: the newest /boot/vmlinuz-* that has a
 *                          /lib/modules/<version>/modules.dep)
 *   org.volt.vm.modules    the guest kernel's module tree (default:
 *                          /lib/modules/<version>, the version from the kernel's
 *                          file name vmlinuz-<version> or vmlinux-<version>)
 *   org.volt.vm.ephemeral  true: the disk image and initramfs are unlinked as
 *                          soon as the guest has them, nothing is cached
 *   org.volt.vm.cmdline    extra guest kernel parameters
 *   org.volt.vm.boot-timeout  seconds create waits for the guest (default 120)
 *   org.volt.vm.net.tap    tap NAME on the host (1..15 bytes; no '/', ':',
 *                          ',', '=', blanks): setting it gives the VM a
 *                          virtio-net NIC on that tap (stardust-vmm --net-tap,
 *                          which creates the tap if it does not exist)
 *   org.volt.vm.net.mac    the guest's MAC, XX:XX:XX:XX:XX:XX, unicast and not
 *                          zero (default: the monitor's, derived from NAME)
 *   org.volt.vm.net.address  eth0's IPv4 address in the guest, ADDRESS/PREFIX
 *                          (10.88.0.2/24); without it eth0 is only brought up
 *   org.volt.vm.net.gateway  the guest's default route, an IPv4 address inside
 *                          the address's subnet
 * The net.* keys other than tap need tap (and gateway needs address).
 *
 * Pure parsing; finding files on the host is the caller's. */
#ifndef STARDUST_SHIM_VM_OPTS_H
#define STARDUST_SHIM_VM_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "oci/error.h"
#include "stardust/shim/vm-net.h"

#define SD_ANN_VCPUS	    "org.volt.vm.vcpus"
#define SD_ANN_MEMORY	    "org.volt.vm.memory"
#define SD_ANN_KERNEL	    "org.volt.vm.kernel"
#define SD_ANN_MODULES	    "org.volt.vm.modules"
#define SD_ANN_EPHEMERAL    "org.volt.vm.ephemeral"
#define SD_ANN_CMDLINE	    "org.volt.vm.cmdline"
#define SD_ANN_BOOT_TIMEOUT "org.volt.vm.boot-timeout"
#define SD_ANN_NET_TAP	    "org.volt.vm.net.tap"
#define SD_ANN_NET_MAC	    "org.volt.vm.net.mac"
#define SD_ANN_NET_ADDRESS  "org.volt.vm.net.address"
#define SD_ANN_NET_GATEWAY  "org.volt.vm.net.gateway"

struct sd_vm_opts {
	uint32_t vcpus;
	uint64_t mem_mib;
	const char *kernel;  /* NULL: pick the default */
	const char *modules; /* NULL: derive from the kernel */
	const char *cmdline; /* NULL: none */
	bool ephemeral;
	uint32_t boot_timeout_s;
	const char *net_tap; /* NULL: no network */
	const char *net_mac; /* NULL: the monitor's default */
	struct sd_vm_net net;
};

/* Pointers in *o borrow from the map. Bad values are errors naming the key. */
int sd_vm_opts_parse(const struct oci_map *ann, struct sd_vm_opts *o, struct volt_error *err);

/* stardust-vmm's --net-tap value: "NAME" or "NAME,mac=MAC"; "" without a
 * tap. */
int sd_vm_opts_net_tap_arg(const struct sd_vm_opts *o, char *buf, size_t cap, struct volt_error *err);

/* The guest kernel parameters the shim adds to the monitor's own:
 * org.volt.vm.cmdline, then stardust.net=... (vm-net.h) when networking is
 * on, last so that it wins over one in the annotation. */
int sd_vm_opts_guest_cmdline(const struct sd_vm_opts *o, char *buf, size_t cap, struct volt_error *err);

/* "6.1.0-57-amd64" from ".../vmlinuz-6.1.0-57-amd64" or ".../vmlinux-...";
 * <0 when the name carries no version. */
int sd_kernel_version_from_path(const char *path, char *buf, size_t cap, struct volt_error *err);

#endif
