#include "runtime/safepath.h"
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"

_Static_assert(VOLT_NO_SYMLINKS == RESOLVE_NO_SYMLINKS, "VOLT_NO_SYMLINKS must match RESOLVE_NO_SYMLINKS");

/* procfs gives its root directory this inode number. */
#define PROC_ROOT_INO 1

static int openat2_retry(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = resolve,
	};
	/* EAGAIN: a concurrent rename raced the RESOLVE_IN_ROOT walk; the
	 * kernel asks us to try again. */
	for (int tries = 0; tries < 32; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			return (int)fd;
	}
	return -1;
}

int volt_open_in_root_ex(int rootfd, const char *path, int flags, uint64_t extra, struct volt_error *err)
{
	int fd = openat2_retry(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra);
	if (fd < 0) {
		if (errno == ELOOP && (extra & RESOLVE_NO_SYMLINKS))
			return volt_err(err, ELOOP, "%s: a path component is a symlink, refusing", path);
		return volt_err(err, errno, "resolve %s in rootfs", path);
	}
	return fd;
}

int volt_open_in_root(int rootfd, const char *path, int flags, struct volt_error *err)
{
	return volt_open_in_root_ex(rootfd, path, flags, 0, err);
}

int volt_mkdir_in_root_ex(int rootfd, const char *path, bool as_file, int mode, uint64_t extra,
			  struct volt_error *err)
{
	int fd = volt_open_in_root_ex(rootfd, path, O_PATH, extra, err);
	if (fd >= 0 || err->errnum != ENOENT)
		return fd;

	char buf[PATH_MAX];
	if (strlen(path) >= sizeof buf)
		return volt_err(err, ENAMETOOLONG, "%s", path);
	strcpy(buf, path);

	/* Walk the prefixes from the top; each one is resolved anew from
	 * rootfd, so a symlink anywhere is followed inside the root only. */
	_cleanup_close_ int parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (parent < 0)
		return volt_err(err, errno, "dup rootfs fd");
	char *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return (int)volt_steal_fd(&parent);
		char *comp = p;
		while (*p && *p != '/')
			p++;
		char saved = *p;
		*p = '\0';
		const char *rest = saved ? p + 1 : p;
		while (*rest == '/')
			rest++;
		bool last = !*rest;

		int next =
		    openat2_retry(rootfd, buf, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra);
		if (next < 0 && errno != ENOENT)
			return volt_open_in_root_ex(rootfd, buf, O_PATH, extra, err);
		if (next < 0) {
			int r;
			if (last && as_file) {
				r = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					   (mode_t)mode);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(parent, comp, last ? (mode_t)mode : 0755);
			}
			/* EEXIST: created concurrently, or a dangling symlink
			 * (the re-open below then fails with ENOENT). */
			if (r < 0 && errno != EEXIST)
				return volt_err(err, errno, "create %s in rootfs", buf);
			next = volt_open_in_root_ex(rootfd, buf, O_PATH, extra, err);
			if (next < 0) {
				if (err->errnum == ENOENT)
					return volt_err(err, ENOENT, "%s: dangling symlink in rootfs", buf);
				return -1;
			}
		}
		close(parent);
		parent = next;
		*p = saved;
		if (last)
			return (int)volt_steal_fd(&parent);
	}
}

int volt_mkdir_in_root(int rootfd, const char *path, bool as_file, int mode, struct volt_error *err)
{
	return volt_mkdir_in_root_ex(rootfd, path, as_file, mode, 0, err);
}

bool volt_proc_fd_usable(void)
{
	_cleanup_close_ int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct statfs sfs;
	struct stat st;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 &&
	       st.st_ino == PROC_ROOT_INO;
}

const char *volt_fd_target(int fd, bool proc_ok, const char *fallback, char *buf, size_t n)
{
	if (!proc_ok)
		return fallback;
	snprintf(buf, n, "/proc/self/fd/%d", fd);
	return buf;
}

int volt_refuse_symlink_fd(int fd, const char *what, struct volt_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "%s: stat", what);
	if (S_ISLNK(st.st_mode))
		return volt_err(err, ELOOP, "%s: is a symlink, refusing", what);
	return 0;
}
