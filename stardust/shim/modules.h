/* Which kernel modules the guest's initramfs carries, in load order.
 *
 * The guest has no modprobe: stardust-init loads the files listed in
 * /etc/stardust/modules, in order, with finit_module. The order comes from
 * the guest kernel's modules.dep (each line: a module's path, then every
 * module it needs), dependencies first. A wanted module absent from
 * modules.dep but named in modules.builtin is built in and skipped. */
#ifndef STARDUST_SHIM_MODULES_H
#define STARDUST_SHIM_MODULES_H

#include <stddef.h>

#include "oci/error.h"

/* What a bundle needs in the guest: the virtio-mmio transport, the block
 * device, the console (control channel), ext4 for the bundle image, and
 * crc32c, which ext4 asks the crypto API for at mount time (no modprobe in
 * the guest to load it on demand). */
extern const char *const sd_guest_modules[];
extern const size_t sd_guest_modules_n;

/* virtio-net and what it needs (failover, net_failover), for a VM with a
 * network (org.volt.vm.net.tap). Every initramfs carries them, listed
 * apart; stardust-init loads them only when the VM has a NIC. So the cached
 * initramfs stays one per (init, module tree), and a VM without a network
 * pays nothing but ~200 KiB of archive. */
extern const char *const sd_guest_net_modules[];
extern const size_t sd_guest_net_modules_n;

#define SD_MODULES_MAX 64

struct sd_module_list {
	size_t n;
	char *path[SD_MODULES_MAX]; /* relative to the module tree, as in modules.dep */
};

void sd_module_list_free(struct sd_module_list *l);

/* Resolve names (with '-' and '_' alike) against modules.dep's text; a name
 * neither in dep nor in builtin (may be NULL) is an error naming it. */
int sd_modules_resolve(const char *dep, const char *builtin, const char *const *names, size_t n,
		       struct sd_module_list *out, struct volt_error *err);

/* Drop from l what minus already lists (the net set's virtio and
 * virtio_ring, loaded with the core set). */
void sd_module_list_subtract(struct sd_module_list *l, const struct sd_module_list *minus);

/* "virtio_blk" from "kernel/drivers/block/virtio_blk.ko.xz". */
void sd_module_name(const char *path, char *buf, size_t cap);

#endif
