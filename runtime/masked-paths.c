#include "runtime/masked-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/cleanup.h"
#include "runtime/mounts.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

#define FDPATH_MAX 64

/* The container's /dev/null is the image's or ours: bind it over a file only
 * after checking it is the null device, never a link to a /proc file. */
static int open_dev_null(int rootfd, struct volt_error *err)
{
	int fd = volt_open_in_root_ex(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, VOLT_NO_SYMLINKS, err);
	if (fd < 0)
		return volt_err_ctx(err, "linux.maskedPaths");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		return volt_err(err, ENODEV,
				"linux.maskedPaths: /dev/null in the container is not the null device");
	}
	return fd;
}

int volt_masked_paths_apply(int rootfd, const struct oci_strv *paths, bool proc_ok, struct volt_error *err)
{
	_cleanup_close_ int nullfd = -1;
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		_cleanup_close_ int fd = volt_open_in_root_ex(rootfd, p, O_PATH | O_NOFOLLOW, 0, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return volt_err_ctx(err, "linux.maskedPaths[%zu] %s", i, p);
		}
		struct stat st;
		if (fstat(fd, &st) < 0)
			return volt_err(err, errno, "linux.maskedPaths[%zu] %s", i, p);
		if (S_ISLNK(st.st_mode))
			return volt_err(err, ELOOP, "linux.maskedPaths[%zu] %s: is a symlink, refusing", i,
					p);
		char tbuf[FDPATH_MAX], sbuf[FDPATH_MAX];
		const char *t = volt_fd_target(fd, proc_ok, p, tbuf, sizeof tbuf);
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
			    0)
				return volt_err(err, errno, "linux.maskedPaths[%zu] %s: mount tmpfs", i, p);
			continue;
		}
		if (nullfd < 0 && (nullfd = open_dev_null(rootfd, err)) < 0)
			return -1;
		if (mount(volt_fd_target(nullfd, proc_ok, "/dev/null", sbuf, sizeof sbuf), t, NULL, MS_BIND,
			  NULL) < 0)
			return volt_err(err, errno, "linux.maskedPaths[%zu] %s: bind /dev/null", i, p);
	}
	return 0;
}

int volt_readonly_paths_apply(int rootfd, const struct oci_strv *paths, bool proc_ok, struct volt_error *err)
{
	struct volt_mount_opts ro = {.flags = MS_RDONLY};
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		_cleanup_close_ int fd = volt_open_in_root(rootfd, p, O_PATH, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return volt_err_ctx(err, "linux.readonlyPaths[%zu] %s", i, p);
		}
		char tbuf[FDPATH_MAX];
		const char *t = volt_fd_target(fd, proc_ok, p, tbuf, sizeof tbuf);
		if (mount(t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
			return volt_err(err, errno, "linux.readonlyPaths[%zu] %s: bind onto itself", i, p);
		/* Only a fresh lookup reaches the root of the new bind. */
		_cleanup_close_ int nfd = volt_open_in_root(rootfd, p, O_PATH, err);
		if (nfd < 0)
			return volt_err_ctx(err, "linux.readonlyPaths[%zu] %s", i, p);
		if (volt_mount_remount_bind(nfd, volt_fd_target(nfd, proc_ok, p, tbuf, sizeof tbuf), &ro,
					    err) < 0)
			return volt_err_ctx(err, "linux.readonlyPaths[%zu] %s", i, p);
	}
	return 0;
}
