/* Mount entries of config.json: option strings to mount(2) flags,
 * propagation and data, and performing one entry below the rootfs. */
#ifndef VOLT_RUNTIME_MOUNTS_H
#define VOLT_RUNTIME_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "oci/error.h"

/* One page: the kernel copies at most that much of the data argument. */
#define VOLT_MOUNT_DATA_MAX 4096

struct volt_mount_opts {
	unsigned long flags;		/* MS_* to set (MS_BIND, MS_REC for bind/rbind included) */
	unsigned long clear;		/* MS_* explicitly cleared: "rw", "suid", "dev", "exec", ... */
	unsigned long propagation;	/* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), 0: none */
	bool bind;			/* "bind" or "rbind" seen */
	char data[VOLT_MOUNT_DATA_MAX]; /* the unknown options joined with ',' ("size=64k,mode=755") */
};

/* Parse the options of one mount. Later options win over earlier ones
 * ("ro,rw" is rw). Fails with E2BIG when the data string does not fit. */
int volt_mount_options_parse(const struct oci_strv *opts, struct volt_mount_opts *out,
			     struct volt_error *err);

/* "rslave" -> MS_SLAVE|MS_REC, ... ; 0 when name is not a propagation. */
unsigned long volt_mount_propagation_flag(const char *name);

/* Whether the MS_* flags of a bind need the second MS_REMOUNT|MS_BIND pass. */
bool volt_mount_bind_needs_remount(const struct volt_mount_opts *o);

/* Flags of the mount at fd that an unprivileged user namespace cannot drop
 * (nodev/nosuid/noexec/rdonly and the atime mode), as MS_* bits. */
int volt_mount_locked_flags(int fd, unsigned long *out, struct volt_error *err);

/* The MS_REMOUNT|MS_BIND pass that applies mo's flags to the bind mount
 * whose root is fd, named target for mount(2). Keeps the flags of the mount
 * the options do not explicitly undo, and all locked ones when the kernel
 * refuses (EPERM in a user namespace). */
int volt_mount_remount_bind(int fd, const char *target, const struct volt_mount_opts *mo,
			    struct volt_error *err);

struct volt_rootfs_opts;

/* Perform config->mounts[i] below rootfd (an O_PATH fd of the rootfs), before
 * pivot_root. Errors name "mounts[i].destination <path>". */
int volt_mount_entry(int rootfd, const struct oci_config *c, size_t i, const struct volt_rootfs_opts *o,
		     struct volt_error *err);

/* Canonical form of a mount destination for comparisons: "//dev/" -> "/dev". */
bool volt_mount_dest_is(const char *dest, const char *path);

#endif
