#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/devices.h"
#include "runtime/masked-paths.h"
#include "runtime/mounts.h"
#include "runtime/safepath.h"
#include "runtime/sysctl.h"

static int root_propagation(const struct oci_config *c, unsigned long *out, struct volt_error *err)
{
	*out = 0;
	const char *p = c->linux.rootfs_propagation;
	if (!p || !*p)
		return 0;
	*out = volt_mount_propagation_flag(p);
	if (!*out)
		return volt_err(err, EINVAL, "linux.rootfsPropagation %s: not a propagation mode", p);
	return 0;
}

int volt_rootfs_prepare(const struct oci_config *c, const struct volt_rootfs_opts *o, struct volt_error *err)
{
	if (!o->rootfs || o->rootfs[0] != '/')
		return volt_err(err, EINVAL, "root.path %s: must be an absolute path",
				o->rootfs ? o->rootfs : "");
	unsigned long prop;
	if (root_propagation(c, &prop, err) < 0)
		return -1;
	/* Cut propagation back to the host before mounting anything. Shared
	 * and unbindable are applied to the container's "/" in finalize: rshared
	 * here would make our mounts appear on the host, runbindable would
	 * forbid the rootfs bind below. */
	unsigned long first = (prop & MS_PRIVATE) ? MS_REC | MS_PRIVATE : MS_REC | MS_SLAVE;
	if (mount(NULL, "/", NULL, first, NULL) < 0)
		return volt_err(err, errno, "make / %s", first & MS_PRIVATE ? "rprivate" : "rslave");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return volt_err(err, errno, "root.path %s: bind onto itself", o->rootfs);
	_cleanup_close_ int rootfd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return volt_err(err, errno, "root.path %s", o->rootfs);

	for (size_t i = 0; i < c->n_mounts; i++)
		if (volt_mount_entry(rootfd, c, i, o, err) < 0)
			return -1;
	return volt_devices_setup(rootfd, c, o, err);
}

static int pivot(const char *rootfs, struct volt_error *err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return volt_err(err, errno, "open /");
	_cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return volt_err(err, errno, "root.path %s", rootfs);
	if (fchdir(newroot) < 0)
		return volt_err(err, errno, "chdir %s", rootfs);
	/* pivot_root(".", ".") stacks the old root on top of the new one, so no
	 * directory for it is needed inside the rootfs. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return volt_err(err, errno, "pivot_root %s", rootfs);
	if (fchdir(oldroot) < 0)
		return volt_err(err, errno, "chdir to old root");
	/* The unmount must not propagate to the host's peers. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return volt_err(err, errno, "make old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return volt_err(err, errno, "detach old root");
	if (chdir("/") < 0)
		return volt_err(err, errno, "chdir /");
	return 0;
}

int volt_rootfs_pivot(const struct oci_config *c, const struct volt_rootfs_opts *o, struct volt_error *err)
{
	if (!o->no_pivot)
		return pivot(o->rootfs, err);
	if (chdir(o->rootfs) < 0)
		return volt_err(err, errno, "chdir %s", o->rootfs);
	if (mount(o->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return volt_err(err, errno, "move %s onto /", o->rootfs);
	if (chroot(".") < 0)
		return volt_err(err, errno, "chroot %s", o->rootfs);
	if (chdir("/") < 0)
		return volt_err(err, errno, "chdir /");
	return 0;
}

int volt_rootfs_finalize(const struct oci_config *c, const struct volt_rootfs_opts *o, struct volt_error *err)
{
	unsigned long prop;
	if (root_propagation(c, &prop, err) < 0)
		return -1;
	if (volt_sysctl_apply(&c->linux.sysctl, err) < 0)
		return -1;
	bool need_root = c->linux.masked_paths.n || c->linux.readonly_paths.n || c->root.readonly;
	if (need_root) {
		_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return volt_err(err, errno, "open /");
		bool proc_ok = volt_proc_fd_usable();
		if (volt_masked_paths_apply(rootfd, &c->linux.masked_paths, proc_ok, err) < 0)
			return -1;
		if (volt_readonly_paths_apply(rootfd, &c->linux.readonly_paths, proc_ok, err) < 0)
			return -1;
		if (c->root.readonly) {
			struct volt_mount_opts ro = {.flags = MS_RDONLY};
			if (volt_mount_remount_bind(rootfd, "/", &ro, err) < 0)
				return volt_err_ctx(err, "root.readonly");
		}
	}
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return volt_err(err, errno, "linux.rootfsPropagation %s", c->linux.rootfs_propagation);
	return 0;
}
