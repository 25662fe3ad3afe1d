/* Device nodes of the container: the default set (/dev/null, ...), the
 * /dev links, linux.devices and /dev/console. */
#ifndef VOLT_RUNTIME_DEVICES_H
#define VOLT_RUNTIME_DEVICES_H

#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"

struct volt_rootfs_opts;

/* linux.devices type letter to S_IF* ('c' and 'u' are S_IFCHR, 'b' S_IFBLK,
 * 'p' S_IFIFO); -1 with EINVAL otherwise. */
int volt_device_type_mode(char type, mode_t *out);

/* Check linux.devices[i]: absolute path naming a file (not "/" or ending in
 * "/", "." or ".."), a known type, major/minor in range for c/b/u.
 * Errors name "linux.devices[i]...". */
int volt_device_validate(const struct oci_device *d, size_t i, struct volt_error *err);

/* Before pivot_root, below rootfd: the default devices and /dev links
 * (unless the config mounts something other than a tmpfs on /dev),
 * linux.devices, and the console pty on /dev/console. */
int volt_devices_setup(int rootfd, const struct oci_config *c, const struct volt_rootfs_opts *o,
		       struct volt_error *err);

#endif
