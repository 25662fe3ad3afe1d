/* The container's filesystem: mounts, devices, pivot_root, masked and
 * read-only paths, sysctl. Every path inside the rootfs is resolved with
 * openat2(RESOLVE_IN_ROOT) so a symlink cannot lead outside it. Runs in the
 * container's init, inside its new mount namespace. */
#ifndef VOLT_RUNTIME_ROOTFS_H
#define VOLT_RUNTIME_ROOTFS_H

#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"

struct volt_rootfs_opts {
	const char *rootfs;	 /* absolute host path of the rootfs directory */
	const char *bundle;	 /* absolute bundle path (bind sources relative to it) */
	bool no_pivot;		 /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
	bool has_new_userns;	 /* a user namespace was created: no mknod, bind devices */
	bool has_new_netns;	 /* sysfs may be mounted fresh only with its own netns */
	const char *console_pts; /* path of the pty slave to bind on /dev/console, or NULL */
};

/* Before pivot_root: set propagation of "/" (rootfsPropagation, default
 * rslave), bind the rootfs onto itself, do config->mounts in order, make the
 * default devices and linux.devices, the /dev links. */
int volt_rootfs_prepare(const struct oci_config *c, const struct volt_rootfs_opts *o, struct volt_error *err);

/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot); detach the
 * old root. After it "/" is the container's root. */
int volt_rootfs_pivot(const struct oci_config *c, const struct volt_rootfs_opts *o, struct volt_error *err);

/* After pivot_root: linux.sysctl, maskedPaths, readonlyPaths, root.readonly
 * (remount "/" read-only), and the rootfsPropagation of "/" itself. */
int volt_rootfs_finalize(const struct oci_config *c, const struct volt_rootfs_opts *o,
			 struct volt_error *err);

/* Open path (absolute, as seen in the container) inside the root dir fd,
 * never leaving it. flags as for openat2 (O_PATH etc.). */
int volt_open_in_root(int rootfd, const char *path, int flags, struct volt_error *err);

/* Like volt_open_in_root, but create the missing components as directories
 * (and the last as a file when as_file), all below rootfd. */
int volt_mkdir_in_root(int rootfd, const char *path, bool as_file, int mode, struct volt_error *err);

#endif
