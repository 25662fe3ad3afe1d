#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/mounts.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

#define FDPATH_MAX 64

struct dev_spec {
	const char *path; /* in the container; for a bind also the host node */
	mode_t type;	  /* S_IFCHR, S_IFBLK, S_IFIFO */
	unsigned major, minor;
	mode_t perm;
	uid_t uid; /* (uid_t)-1: leave */
	gid_t gid;
};

static const struct dev_spec default_devs[] = {
    {"/dev/null", S_IFCHR, 1, 3, 0666, (uid_t)-1, (gid_t)-1},
    {"/dev/zero", S_IFCHR, 1, 5, 0666, (uid_t)-1, (gid_t)-1},
    {"/dev/full", S_IFCHR, 1, 7, 0666, (uid_t)-1, (gid_t)-1},
    {"/dev/random", S_IFCHR, 1, 8, 0666, (uid_t)-1, (gid_t)-1},
    {"/dev/urandom", S_IFCHR, 1, 9, 0666, (uid_t)-1, (gid_t)-1},
    {"/dev/tty", S_IFCHR, 5, 0, 0666, (uid_t)-1, (gid_t)-1},
};

static const struct {
	const char *name, *target;
} dev_links[] = {
    {"ptmx", "pts/ptmx"},	   {"fd", "/proc/self/fd"},	  {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
};

int volt_device_type_mode(char type, mode_t *out)
{
	switch (type) {
	case 'c':
	case 'u':
		*out = S_IFCHR;
		return 0;
	case 'b':
		*out = S_IFBLK;
		return 0;
	case 'p':
		*out = S_IFIFO;
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

static const char *last_component(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int volt_device_validate(const struct oci_device *d, size_t i, struct volt_error *err)
{
	if (!d->path || d->path[0] != '/')
		return volt_err(err, EINVAL, "linux.devices[%zu].path %s: must be an absolute path", i,
				d->path ? d->path : "(null)");
	const char *name = last_component(d->path);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return volt_err(err, EINVAL, "linux.devices[%zu].path %s: must name a file", i, d->path);
	if (strlen(d->path) >= PATH_MAX)
		return volt_err(err, ENAMETOOLONG, "linux.devices[%zu].path", i);
	mode_t t;
	if (volt_device_type_mode(d->type, &t) < 0)
		return volt_err(err, EINVAL, "linux.devices[%zu].type '%c': must be one of c, b, u, p", i,
				d->type ? d->type : '?');
	/* dev_t holds a 12-bit major and 20-bit minor in the classic encoding;
	 * makedev accepts up to 32 bits each. */
	if (t != S_IFIFO &&
	    (d->major < 0 || d->minor < 0 || d->major > 0xffffffffLL || d->minor > 0xffffffffLL))
		return volt_err(err, EINVAL, "linux.devices[%zu] %s: major/minor out of range", i, d->path);
	if (d->has_file_mode && (d->file_mode & ~07777u) && (d->file_mode & S_IFMT) != t)
		return volt_err(err, EINVAL, "linux.devices[%zu].fileMode 0%o: type bits do not match type",
				i, d->file_mode);
	return 0;
}

/* The node exists already (from the image): keep it if it is the same
 * device, else replace it. A symlink there is refused rather than followed. */
static int replace_existing(int dirfd, const char *name, const struct dev_spec *s, const char *where,
			    bool *keep, struct volt_error *err)
{
	struct stat st;
	*keep = false;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return volt_err(err, errno, "%s: stat", where);
	if (S_ISLNK(st.st_mode))
		return volt_err(err, ELOOP, "%s: is a symlink, refusing", where);
	if (S_ISDIR(st.st_mode))
		return volt_err(err, EISDIR, "%s: is a directory", where);
	if ((st.st_mode & S_IFMT) == s->type &&
	    (s->type == S_IFIFO || st.st_rdev == makedev(s->major, s->minor))) {
		*keep = true;
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0)
		return volt_err(err, errno, "%s: remove existing file", where);
	return 0;
}

/* In a user namespace mknod fails: bind the host's node onto an empty file. */
static int bind_host_node(int dirfd, const char *name, const struct dev_spec *s, const char *where,
			  struct volt_error *err)
{
	_cleanup_close_ int hfd = open(s->path, O_PATH | O_CLOEXEC);
	if (hfd < 0)
		return volt_err(err, errno, "%s: open host device %s", where, s->path);
	struct stat st;
	if (fstat(hfd, &st) < 0)
		return volt_err(err, errno, "%s: stat host device %s", where, s->path);
	if ((st.st_mode & S_IFMT) != s->type ||
	    (s->type != S_IFIFO && st.st_rdev != makedev(s->major, s->minor)))
		return volt_err(err, ENODEV, "%s: host %s is not device %u:%u", where, s->path, s->major,
				s->minor);

	struct stat cur;
	if (fstatat(dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(cur.st_mode))
			return volt_err(err, ELOOP, "%s: is a symlink, refusing", where);
		if (S_ISDIR(cur.st_mode))
			return volt_err(err, EISDIR, "%s: is a directory", where);
	} else {
		int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return volt_err(err, errno, "%s: create bind target", where);
		if (fd >= 0)
			close(fd);
	}
	_cleanup_close_ int tfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return volt_err(err, errno, "%s: open bind target", where);
	if (volt_refuse_symlink_fd(tfd, where, err) < 0)
		return -1;
	char sbuf[FDPATH_MAX], tbuf[FDPATH_MAX];
	if (mount(volt_fd_target(hfd, true, NULL, sbuf, sizeof sbuf),
		  volt_fd_target(tfd, true, NULL, tbuf, sizeof tbuf), NULL, MS_BIND, NULL) < 0)
		return volt_err(err, errno, "%s: bind host %s", where, s->path);
	return 0;
}

static int make_device(int rootfd, const struct dev_spec *s, bool userns, const char *where,
		       struct volt_error *err)
{
	char dir[PATH_MAX];
	const char *name = last_component(s->path);
	size_t dl = (size_t)(name - s->path);
	if (dl >= sizeof dir)
		return volt_err(err, ENAMETOOLONG, "%s", where);
	memcpy(dir, s->path, dl);
	dir[dl] = '\0';
	_cleanup_close_ int dirfd =
	    volt_mkdir_in_root_ex(rootfd, dl ? dir : "/", false, 0755, VOLT_NO_SYMLINKS, err);
	if (dirfd < 0)
		return volt_err_ctx(err, "%s", where);

	/* A fifo needs no privilege, so it is made even in a user namespace. */
	if (userns && s->type != S_IFIFO)
		return bind_host_node(dirfd, name, s, where, err);
	dev_t dev = s->type == S_IFIFO ? 0 : makedev(s->major, s->minor);
	int r = mknodat(dirfd, name, s->type | s->perm, dev);
	if (r < 0 && errno == EEXIST) {
		bool keep;
		if (replace_existing(dirfd, name, s, where, &keep, err) < 0)
			return -1;
		r = keep ? 0 : mknodat(dirfd, name, s->type | s->perm, dev);
	}
	if (r < 0 && errno == EPERM && s->type != S_IFIFO)
		return bind_host_node(dirfd, name, s, where, err);
	if (r < 0)
		return volt_err(err, errno, "%s: mknod", where);
	/* mknod honours the umask; the config's mode is meant literally. */
	if (fchmodat(dirfd, name, s->perm, 0) < 0)
		return volt_err(err, errno, "%s: chmod", where);
	if ((s->uid != (uid_t)-1 || s->gid != (gid_t)-1) &&
	    fchownat(dirfd, name, s->uid, s->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return volt_err(err, errno, "%s: chown", where);
	return 0;
}

static int make_dev_links(int rootfd, bool want_shm, bool want_pts, struct volt_error *err)
{
	_cleanup_close_ int devfd = volt_mkdir_in_root_ex(rootfd, "/dev", false, 0755, VOLT_NO_SYMLINKS, err);
	if (devfd < 0)
		return volt_err_ctx(err, "/dev");
	for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
			return volt_err(err, errno, "/dev/%s -> %s", dev_links[i].name, dev_links[i].target);
	if (want_shm && mkdirat(devfd, "shm", 01777) < 0 && errno != EEXIST)
		return volt_err(err, errno, "/dev/shm");
	if (want_pts && mkdirat(devfd, "pts", 0755) < 0 && errno != EEXIST)
		return volt_err(err, errno, "/dev/pts");
	return 0;
}

static int bind_console(int rootfd, const char *pts, struct volt_error *err)
{
	_cleanup_close_ int sfd = open(pts, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return volt_err(err, errno, "console %s", pts);
	struct stat st;
	if (fstat(sfd, &st) < 0)
		return volt_err(err, errno, "console %s", pts);
	if (!S_ISCHR(st.st_mode))
		return volt_err(err, ENOTTY, "console %s: not a character device", pts);
	_cleanup_close_ int tfd =
	    volt_mkdir_in_root_ex(rootfd, "/dev/console", true, 0600, VOLT_NO_SYMLINKS, err);
	if (tfd < 0)
		return volt_err_ctx(err, "console");
	struct stat tst;
	if (fstat(tfd, &tst) < 0)
		return volt_err(err, errno, "/dev/console");
	if (S_ISDIR(tst.st_mode))
		return volt_err(err, EISDIR, "/dev/console: is a directory");
	char sbuf[FDPATH_MAX], tbuf[FDPATH_MAX];
	if (mount(volt_fd_target(sfd, true, NULL, sbuf, sizeof sbuf),
		  volt_fd_target(tfd, true, NULL, tbuf, sizeof tbuf), NULL, MS_BIND, NULL) < 0)
		return volt_err(err, errno, "/dev/console: bind %s", pts);
	return 0;
}

int volt_devices_setup(int rootfd, const struct oci_config *c, const struct volt_rootfs_opts *o,
		       struct volt_error *err)
{
	bool defaults = true, bound = false, want_shm = true, want_pts = true;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		if (volt_mount_dest_is(m->destination, "/dev/shm"))
			want_shm = false;
		else if (volt_mount_dest_is(m->destination, "/dev/pts"))
			want_pts = false;
		else if (volt_mount_dest_is(m->destination, "/dev")) {
			/* The last mount on /dev is what the container sees. A
			 * bind (often the host's /dev) must never get nodes
			 * created in it; devtmpfs and the like bring their own. */
			struct volt_mount_opts mo;
			bound = (volt_mount_options_parse(&m->options, &mo, NULL) == 0 && mo.bind) ||
				(m->type && (!strcmp(m->type, "bind") || !strcmp(m->type, "rbind")));
			defaults = !bound && m->type && !strcmp(m->type, "tmpfs");
		}
	}

	if (defaults) {
		for (size_t i = 0; i < sizeof default_devs / sizeof default_devs[0]; i++) {
			char where[64];
			snprintf(where, sizeof where, "default device %s", default_devs[i].path);
			if (make_device(rootfd, &default_devs[i], o->has_new_userns, where, err) < 0)
				return -1;
		}
		if (make_dev_links(rootfd, want_shm, want_pts, err) < 0)
			return -1;
	}

	for (size_t i = 0; !bound && i < c->linux.n_devices; i++) {
		const struct oci_device *d = &c->linux.devices[i];
		if (volt_device_validate(d, i, err) < 0)
			return -1;
		/* /dev/ptmx is already the link to this container's devpts
		 * instance (podman --privileged lists the host's node too). */
		if (defaults && strcmp(d->path, "/dev/ptmx") == 0)
			continue;
		struct dev_spec s = {
		    .path = d->path,
		    .major = (unsigned)d->major,
		    .minor = (unsigned)d->minor,
		    .perm = d->has_file_mode ? (mode_t)(d->file_mode & 07777) : 0666,
		    .uid = d->has_uid ? d->uid : (uid_t)-1,
		    .gid = d->has_gid ? d->gid : (gid_t)-1,
		};
		volt_device_type_mode(d->type, &s.type);
		char where[PATH_MAX + 32];
		snprintf(where, sizeof where, "linux.devices[%zu].path %s", i, d->path);
		if (make_device(rootfd, &s, o->has_new_userns, where, err) < 0)
			return -1;
	}

	if (o->console_pts && bind_console(rootfd, o->console_pts, err) < 0)
		return -1;
	return 0;
}
