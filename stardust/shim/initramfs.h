/* The guest's initramfs: stardust-init as /init, the guest kernel's modules
 * it needs (modules.h) under /lib/modules/, their load order in
 * /etc/stardust/modules (and the network's, loaded only for a VM with a NIC,
 * in /etc/stardust/modules.net when the kernel has them), and the empty
 * mount points. Built once per
 * (init binary, module tree) and cached, since neither changes between
 * containers. */
#ifndef STARDUST_SHIM_INITRAMFS_H
#define STARDUST_SHIM_INITRAMFS_H

#include <stddef.h>

#include "oci/error.h"

#define SD_INITRAMFS_CACHE	 "/var/cache/volt-stardust"
#define SD_GUEST_MODULE_LIST	 "/etc/stardust/modules"
#define SD_GUEST_NET_MODULE_LIST "/etc/stardust/modules.net"

/* Write the archive to out (created or replaced). */
int sd_initramfs_write(const char *out, const char *init_bin, const char *moddir, struct volt_error *err);

/* The cached archive for (init_bin, moddir) in cache_dir, built if missing;
 * its path in path. */
int sd_initramfs_cached(const char *cache_dir, const char *init_bin, const char *moddir, char *path,
			size_t cap, struct volt_error *err);

#endif
