#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

#define FDPATH_MAX 64
#define ATIME_MASK (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

bool volt_mount_dest_is(const char *dest, const char *path)
{
	/* Compare ignoring repeated and trailing slashes. */
	while (dest && *dest && *path) {
		if (*dest == '/' && *path == '/') {
			while (*dest == '/')
				dest++;
			while (*path == '/')
				path++;
			continue;
		}
		if (*dest != *path)
			return false;
		dest++;
		path++;
	}
	if (!dest)
		return false;
	while (*dest == '/')
		dest++;
	while (*path == '/')
		path++;
	return !*dest && !*path;
}

static bool streq(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* Propagation is its own mount(2) call on the root of the new mount, which
 * only a fresh resolution of the destination reaches (the fd used for the
 * first call still names the covered directory). */
static int reopen_mounted(int rootfd, const char *dest, struct volt_error *err)
{
	return volt_open_in_root(rootfd, dest, O_PATH, err);
}

static int set_propagation(int fd, unsigned long prop, struct volt_error *err)
{
	char buf[FDPATH_MAX];
	if (mount(NULL, volt_fd_target(fd, true, NULL, buf, sizeof buf), NULL, prop, NULL) < 0)
		return volt_err(err, errno, "set propagation");
	return 0;
}

/* The MS_REMOUNT|MS_BIND pass that applies ro/nosuid/... to a bind. It keeps
 * what the source mount has and the options do not explicitly undo, because
 * a user namespace may not clear locked flags (EPERM), and because a bind of
 * a read-only mount should not silently become writable. */
int volt_mount_remount_bind(int fd, const char *t, const struct volt_mount_opts *mo, struct volt_error *err)
{
	unsigned long locked;
	if (volt_mount_locked_flags(fd, &locked, err) < 0)
		return -1;
	unsigned long f = MS_BIND | MS_REMOUNT | (mo->flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
	f |= locked & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~mo->clear;
	if (!(mo->flags & ATIME_MASK) && !(mo->clear & ATIME_MASK))
		f |= locked & (ATIME_MASK | MS_NODIRATIME);
	if (mount(NULL, t, NULL, f, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return volt_err(err, errno, "remount bind with flags 0x%lx", f);
	/* In a user namespace the locked flags win over an explicit "dev"/"rw". */
	f |= locked & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	if (locked & ATIME_MASK)
		f = (f & ~ATIME_MASK) | (locked & ATIME_MASK);
	if (mount(NULL, t, NULL, f, NULL) < 0)
		return volt_err(err, errno, "remount bind with flags 0x%lx", f);
	return 0;
}

static int remount_fd(int fd, const struct volt_mount_opts *mo, struct volt_error *err)
{
	char buf[FDPATH_MAX];
	return volt_mount_remount_bind(fd, volt_fd_target(fd, true, NULL, buf, sizeof buf), mo, err);
}

static int mount_bind(int rootfd, const char *where, size_t i, const struct oci_mount *m,
		      const struct volt_mount_opts *mo, const struct volt_rootfs_opts *o,
		      struct volt_error *err)
{
	if (!m->source || !*m->source)
		return volt_err(err, EINVAL, "mounts[%zu].source: required for a bind mount", i);
	char srcpath[PATH_MAX];
	const char *src = m->source;
	if (src[0] != '/' && o->bundle) {
		if ((size_t)snprintf(srcpath, sizeof srcpath, "%s/%s", o->bundle, src) >= sizeof srcpath)
			return volt_err(err, ENAMETOOLONG, "mounts[%zu].source %s", i, src);
		src = srcpath;
	}
	/* Mount from the fd we checked, so the type decision and the bind see
	 * the same object. */
	_cleanup_close_ int sfd = open(src, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return volt_err(err, errno, "mounts[%zu].source %s", i, src);
	struct stat st;
	if (fstat(sfd, &st) < 0)
		return volt_err(err, errno, "mounts[%zu].source %s", i, src);
	bool isdir = S_ISDIR(st.st_mode);

	_cleanup_close_ int dfd =
	    volt_mkdir_in_root_ex(rootfd, m->destination, !isdir, isdir ? 0755 : 0644, 0, err);
	if (dfd < 0)
		return volt_err_ctx(err, "%s", where);
	char sbuf[FDPATH_MAX], dbuf[FDPATH_MAX];
	if (mount(volt_fd_target(sfd, true, NULL, sbuf, sizeof sbuf),
		  volt_fd_target(dfd, true, NULL, dbuf, sizeof dbuf), NULL, MS_BIND | (mo->flags & MS_REC),
		  NULL) < 0)
		return volt_err(err, errno, "%s: bind %s", where, src);

	if (!volt_mount_bind_needs_remount(mo) && !mo->propagation)
		return 0;
	_cleanup_close_ int nfd = reopen_mounted(rootfd, m->destination, err);
	if (nfd < 0)
		return volt_err_ctx(err, "%s", where);
	if (volt_mount_bind_needs_remount(mo) && remount_fd(nfd, mo, err) < 0)
		return volt_err_ctx(err, "%s", where);
	if (mo->propagation && set_propagation(nfd, mo->propagation, err) < 0)
		return volt_err_ctx(err, "%s", where);
	return 0;
}

/* The generic case: mount(source, dest, type, flags, data), then
 * propagation. proc and sysfs targets may not be symlinks at all. */
static int mount_fs(int rootfd, const char *where, const struct oci_mount *m, const char *type,
		    const char *source, const struct volt_mount_opts *mo, const struct volt_rootfs_opts *o,
		    struct volt_error *err)
{
	bool kernfs = streq(type, "proc") || streq(type, "sysfs");
	_cleanup_close_ int dfd =
	    volt_mkdir_in_root_ex(rootfd, m->destination, false, 0755, kernfs ? VOLT_NO_SYMLINKS : 0, err);
	if (dfd < 0)
		return volt_err_ctx(err, "%s", where);
	char dbuf[FDPATH_MAX];
	const char *t = volt_fd_target(dfd, true, NULL, dbuf, sizeof dbuf);
	unsigned long flags = mo->flags & ~(MS_BIND | MS_REC);
	if (mount(source ? source : type, t, type, flags, mo->data[0] ? mo->data : NULL) < 0) {
		int e = errno;
		/* Without its own network namespace sysfs cannot be mounted
		 * fresh in a user namespace: bind the host's, as runc does. */
		if (!(e == EPERM && streq(type, "sysfs") && !o->has_new_netns))
			return volt_err(err, e, "%s: mount %s", where, type ? type : "");
		if (mount("/sys", t, NULL, MS_BIND | MS_REC, NULL) < 0)
			return volt_err(err, errno, "%s: bind /sys", where);
		_cleanup_close_ int sfd = reopen_mounted(rootfd, m->destination, err);
		if (sfd < 0)
			return volt_err_ctx(err, "%s", where);
		if (volt_mount_bind_needs_remount(mo) && remount_fd(sfd, mo, err) < 0)
			return volt_err_ctx(err, "%s", where);
	}
	if (!mo->propagation)
		return 0;
	_cleanup_close_ int nfd = reopen_mounted(rootfd, m->destination, err);
	if (nfd < 0 || set_propagation(nfd, mo->propagation, err) < 0)
		return volt_err_ctx(err, "%s", where);
	return 0;
}

static bool has_cgroupns(const struct oci_config *c)
{
	for (size_t i = 0; i < c->linux.n_namespaces; i++)
		if (c->linux.namespaces[i].type == OCI_NS_CGROUP)
			return true;
	return false;
}

/* The controller options of a v1 super block ("rw,cpu,cpuacct" ->
 * "cpu,cpuacct"): what mounting the same hierarchy again needs. */
static void cgroup_v1_opts(const char *super, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	while (*super) {
		size_t l = strcspn(super, ",");
		bool skip = (l == 2 && (!strncmp(super, "rw", 2) || !strncmp(super, "ro", 2))) ||
			    !strncmp(super, "release_agent=", l < 14 ? l : 14);
		if (!skip && len + l + 2 < n) {
			if (len)
				out[len++] = ',';
			memcpy(out + len, super, l);
			len += l;
			out[len] = '\0';
		}
		super += l;
		if (*super == ',')
			super++;
	}
}

/* Split one mountinfo line into mount point, fs type and super options.
 * Octal escapes in the mount point are left as they are: the cgroup mounts
 * we look for have plain names. */
static bool mountinfo_fields(char *line, char **mnt, char **fstype, char **super)
{
	char *save = NULL, *tok;
	int field = 0;
	*mnt = *fstype = *super = NULL;
	bool after_dash = false;
	int after = 0;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 4)
			*mnt = tok;
		if (after_dash) {
			if (after == 0)
				*fstype = tok;
			else if (after == 2)
				*super = tok;
			after++;
		} else if (field > 5 && strcmp(tok, "-") == 0) {
			after_dash = true;
		}
	}
	return *mnt && *fstype && *super;
}

/* v1 or hybrid host: a tmpfs at the destination holding one mount per host
 * hierarchy, named like the host's directory. Inside a cgroup namespace those
 * show the container's own cgroup as root; without one they would show the
 * host's whole tree, so the mount is skipped. */
/* The init's cgroup path: the runtime put it at the same path in every
 * hierarchy, so the first line of /proc/self/cgroup tells. */
static int own_cgroup_path(char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 64];
	if (!f || !fgets(line, sizeof line, f))
		return -1;
	char *p = strchr(line, ':');
	p = p ? strchr(p + 1, ':') : NULL;
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	p[strcspn(p, "\n")] = '\0';
	snprintf(buf, len, "%s", strcmp(p + 1, "/") == 0 ? "" : p + 1);
	return 0;
}

static int mount_cgroup_v1(int rootfd, const char *where, const struct oci_config *c,
			   const struct oci_mount *m, const struct volt_mount_opts *mo,
			   struct volt_error *err)
{
	/* Without a cgroup namespace a fresh cgroup mount would show the host's
	 * whole tree: bind the container's own cgroup of each hierarchy instead,
	 * as runc does (programs read their limits there). */
	bool bind_own = !has_cgroupns(c);
	char own[PATH_MAX] = "";
	if (bind_own && own_cgroup_path(own, sizeof own) < 0)
		return volt_err(err, errno, "%s: read /proc/self/cgroup", where);
	unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	_cleanup_close_ int dfd = volt_mkdir_in_root(rootfd, m->destination, false, 0755, err);
	if (dfd < 0)
		return volt_err_ctx(err, "%s", where);
	char dbuf[FDPATH_MAX];
	if (mount("tmpfs", volt_fd_target(dfd, true, NULL, dbuf, sizeof dbuf), "tmpfs", base, "mode=755") < 0)
		return volt_err(err, errno, "%s: mount tmpfs", where);
	_cleanup_close_ int tfd = reopen_mounted(rootfd, m->destination, err);
	if (tfd < 0)
		return volt_err_ctx(err, "%s", where);

	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return volt_err(err, errno, "%s: /proc/self/mountinfo", where);
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	/* MS_RDONLY on a new mount of an existing hierarchy could reach its
	 * shared super block; read-only is applied per mount instead. */
	unsigned long flags = (mo->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY)) | base;
	while (getline(&line, &cap, f) > 0) {
		char *mnt, *fstype, *super;
		if (!mountinfo_fields(line, &mnt, &fstype, &super))
			continue;
		if (strncmp(mnt, "/sys/fs/cgroup/", 15) != 0 || strchr(mnt + 15, '/') || !mnt[15])
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		const char *name = mnt + 15;
		if (mkdirat(tfd, name, 0755) < 0 && errno != EEXIST)
			return volt_err(err, errno, "%s: mkdir %s", where, name);
		_cleanup_close_ int hfd = openat(tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (hfd < 0)
			return volt_err(err, errno, "%s: open %s", where, name);
		char opts[256], hbuf[FDPATH_MAX];
		cgroup_v1_opts(super, opts, sizeof opts);
		const char *t = volt_fd_target(hfd, true, NULL, hbuf, sizeof hbuf);
		int r;
		if (bind_own) {
			char src[PATH_MAX * 2];
			snprintf(src, sizeof src, "%s%s", mnt, own);
			r = mount(src, t, NULL, MS_BIND | MS_REC, NULL);
			/* The flags need a remount of the new mount: reopen it (hfd is below it). */
			_cleanup_close_ int bfd =
			    r == 0 ? openat(tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
			char bbuf[FDPATH_MAX];
			if (r == 0)
				r = bfd < 0 ? -1
					    : mount(NULL, volt_fd_target(bfd, true, NULL, bbuf, sizeof bbuf),
						    NULL, MS_BIND | MS_REMOUNT | flags, NULL);
		} else {
			r = v2 ? mount("cgroup2", t, "cgroup2", flags, NULL)
			       : mount("cgroup", t, "cgroup", flags, opts);
		}
		if (r < 0)
			return volt_err(err, errno, "%s: mount cgroup %s (%s)", where, name,
					v2 ? "cgroup2" : opts);
		if (mo->flags & MS_RDONLY) {
			_cleanup_close_ int mfd =
			    openat(tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (mfd < 0 || mount(NULL, volt_fd_target(mfd, true, NULL, hbuf, sizeof hbuf), NULL,
					     MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0)
				return volt_err(err, errno, "%s: remount cgroup %s read-only", where, name);
		}
	}
	if (mo->flags & MS_RDONLY) {
		char tbuf[FDPATH_MAX];
		if (mount(NULL, volt_fd_target(tfd, true, NULL, tbuf, sizeof tbuf), NULL,
			  MS_REMOUNT | MS_RDONLY | base, "mode=755") < 0)
			return volt_err(err, errno, "%s: remount read-only", where);
	}
	return 0;
}

static int mount_cgroup(int rootfd, const char *where, const struct oci_config *c, const struct oci_mount *m,
			const struct volt_mount_opts *mo, const struct volt_rootfs_opts *o,
			struct volt_error *err)
{
	struct statfs sfs;
	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return mount_fs(rootfd, m->destination, m, "cgroup2", "cgroup2", mo, o, err);
	return mount_cgroup_v1(rootfd, m->destination, c, m, mo, err);
}

int volt_mount_entry(int rootfd, const struct oci_config *c, size_t i, const struct volt_rootfs_opts *o,
		     struct volt_error *err)
{
	const struct oci_mount *m = &c->mounts[i];
	if (!m->destination || !*m->destination)
		return volt_err(err, EINVAL, "mounts[%zu].destination: required", i);
	char where[PATH_MAX + 64];
	snprintf(where, sizeof where, "mounts[%zu].destination %s", i, m->destination);
	struct volt_mount_opts mo;
	if (volt_mount_options_parse(&m->options, &mo, err) < 0)
		return volt_err_ctx(err, "mounts[%zu]", i);
	const char *type = m->type;
	if (streq(type, "bind"))
		mo.bind = true;
	if (streq(type, "rbind")) {
		mo.bind = true;
		mo.flags |= MS_REC;
	}
	if (mo.bind)
		return mount_bind(rootfd, where, i, m, &mo, o, err);
	if (streq(type, "cgroup"))
		return mount_cgroup(rootfd, where, c, m, &mo, o, err);
	return mount_fs(rootfd, where, m, type, m->source, &mo, o, err);
}
