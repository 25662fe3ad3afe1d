/* The bundle image the guest mounts as /dev/vda: an ext4 file system made by
 * e2fsprogs' `mke2fs -d STAGING`, whose root holds config.json and rootfs/.
 *
 * The guest sees the bundle at /bundle, so the config's root.path (often an
 * absolute host path under podman or containerd) is rewritten to "rootfs";
 * with a network (annotation org.volt.vm.net.tap) a new network namespace in
 * linux.namespaces (type "network" without a path) is left out, so the
 * process shares the guest's network and its eth0: the VM is the isolation
 * boundary. Everything else in config.json is kept as it was. */
#ifndef STARDUST_SHIM_IMAGE_H
#define STARDUST_SHIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_GUEST_ROOTFS "rootfs"
#define SD_GUEST_MOUNTS "mounts" /* copies of bind-mount sources: mounts/<index> */

/* Bind mounts whose source is a file or directory on the host (podman's
 * /etc/hosts, /etc/hostname, /run/.containerenv, its /dev/shm, volumes): the
 * guest cannot see the host, so the source is copied into the image at
 * mounts/<index> and the guest's config binds that instead. A copy: what the
 * container writes there stays in the VM, later host changes are not seen. */
struct sd_guest_mount {
	size_t index; /* in config.json's mounts */
	char *host;   /* the source on the host */
	bool dir;
};
struct sd_guest_mounts {
	struct sd_guest_mount *v;
	size_t n;
};
void sd_guest_mounts_free(struct sd_guest_mounts *m);

/* config.json text with root.path set to "rootfs" (a root object is added if
 * there was none) and, with org.volt.vm.net.tap set, without a new network
 * namespace. *out is malloc'd. With m, host bind-mount sources are rewritten
 * to mounts/<index> (relative: the bundle's) and listed in m (free with sd_guest_mounts_free). */
int sd_config_for_guest(const char *json, char **out, struct volt_error *err);
int sd_config_for_guest_mounts(const char *json, char **out, struct sd_guest_mounts *m,
			       struct volt_error *err);

/* Size of an image holding used_bytes of data in files inodes: room for the
 * data, ext4's metadata and journal, and what the process writes. */
void sd_image_geometry(uint64_t used_bytes, uint64_t files, uint64_t *size_kib, uint64_t *inodes);

/* Bytes and inodes used under dir (directories included, not following
 * symlinks or crossing into other file systems' contents). */
int sd_tree_usage(const char *dir, uint64_t *bytes, uint64_t *files, struct volt_error *err);

/* Make img from the bundle: stage config (already rewritten) and rootfs (bind
 * mounted in a private mount namespace of a child, so nothing is copied and
 * nothing leaks onto the host), then mke2fs. mke2fs's stderr goes to err. */
int sd_image_build(const char *config_json, const char *rootfs, const struct sd_guest_mounts *m,
		   const char *img, const char *scratch, struct volt_error *err);

#endif
