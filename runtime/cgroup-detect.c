/* Which cgroup layout is mounted under root, and where each hierarchy is.
 *
 * - root is a cgroup2 mount (statfs)                  -> V2, one hierarchy.
 * - cgroup (v1) mounts under root in mountinfo         -> V1, one hierarchy per
 *   mount, controllers from the super options; plus a cgroup2 mount under
 *   root (e.g. root/unified)                           -> HYBRID.
 *
 * Unit-test seam, used only when neither finds anything (so a real host never
 * reaches it): root is a plain directory built by a test. A file named
 * VOLT_CGROUP_FAKE_MARKER in root holding "cgroup2" makes root a fake v2
 * hierarchy; otherwise every subdirectory holding that file is a hierarchy,
 * the file giving its controllers ("cpu,cpuacct", "name=systemd") or
 * "cgroup2". cg->fake is then set (see cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

bool volt_cg_hier_has(const struct volt_cgroup_hier *h, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = h->controllers; *p;) {
		const char *end = strchrnul(p, ',');
		if ((size_t)(end - p) == len && memcmp(p, name, len) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* v1 super options that are not controllers */
static bool is_v1_flag(const char *opt, size_t len)
{
	static const char *const flags[] = {
	    "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "none", "favordynmods"};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strlen(flags[i]) == len && memcmp(flags[i], opt, len) == 0)
			return true;
	return len >= 14 && memcmp(opt, "release_agent=", 14) == 0;
}

static void v1_controllers(char *out, size_t size, const char *opts)
{
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = opts; *p;) {
		const char *end = strchrnul(p, ',');
		size_t olen = (size_t)(end - p);
		if (olen && !is_v1_flag(p, olen) && len + olen + 2 <= size) {
			if (len)
				out[len++] = ',';
			memcpy(out + len, p, olen);
			len += olen;
			out[len] = '\0';
		}
		p = *end ? end + 1 : end;
	}
}

struct found {
	struct volt_cgroup_hier h;
	dev_t dev;
};

static int add_hier(struct volt_cgroup *cg, struct found *f, size_t *n, const char *mnt, const char *ctl,
		    bool v2, dev_t dev, struct volt_error *err)
{
	for (size_t i = 0; i < *n; i++) {
		/* a later mount on the same point hides the earlier one */
		if (strcmp(f[i].h.mountpoint, mnt) == 0) {
			memmove(&f[i], &f[i + 1], (*n - i - 1) * sizeof *f);
			(*n)--;
			break;
		}
	}
	for (size_t i = 0; i < *n; i++)
		if (f[i].dev == dev && dev != 0)
			return 0; /* the same hierarchy bind-mounted twice */
	if (*n >= VOLT_CGROUP_MAX_HIER)
		return volt_err(err, E2BIG, "cgroup root %s: more than %d hierarchies", cg->root,
				VOLT_CGROUP_MAX_HIER);
	struct found *e = &f[(*n)++];
	memset(e, 0, sizeof *e);
	if (strlen(mnt) >= sizeof e->h.mountpoint || strlen(ctl) >= sizeof e->h.controllers)
		return volt_err(err, ENAMETOOLONG, "cgroup mount %s", mnt);
	strcpy(e->h.mountpoint, mnt);
	strcpy(e->h.controllers, ctl);
	e->h.v2 = v2;
	e->dev = dev;
	return 0;
}

static int scan_mountinfo(struct volt_cgroup *cg, struct found *f, size_t *n, struct volt_error *err)
{
	_cleanup_fclose_ FILE *fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return volt_err(err, errno, "open /proc/self/mountinfo");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, rlen = strlen(cg->root);

	while (getline(&line, &cap, fp) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		char *tail = sep + 3;
		char *fstype = strtok(tail, " \n");
		strtok(NULL, " \n"); /* source */
		char *super = strtok(NULL, " \n");
		if (!fstype || !super)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		unsigned maj, min;
		char mnt[4096];
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		unescape(mnt);
		/* strictly below root */
		bool below = strncmp(mnt, cg->root, rlen) == 0 &&
			     (rlen == 1 ? mnt[1] != '\0' : mnt[rlen] == '/' && mnt[rlen + 1] != '\0');
		if (!below)
			continue;
		char ctl[sizeof f[0].h.controllers];
		if (v2)
			ctl[0] = '\0';
		else
			v1_controllers(ctl, sizeof ctl, super);
		if (!v2 && !ctl[0])
			continue;
		if (add_hier(cg, f, n, mnt, ctl, v2, makedev(maj, min), err) < 0)
			return -1;
	}
	return 0;
}

static int read_marker(int dirfd, char *buf, size_t size)
{
	ssize_t len = volt_cg_read_at(dirfd, VOLT_CGROUP_FAKE_MARKER, buf, size);
	if (len < 0)
		return (int)len;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->h.mountpoint, ((const struct found *)b)->h.mountpoint);
}

static int scan_fake(struct volt_cgroup *cg, struct found *f, size_t *n, struct volt_error *err)
{
	_cleanup_close_ int rfd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return volt_err(err, errno, "cgroup root %s", cg->root);
	char buf[sizeof f[0].h.controllers];
	if (read_marker(rfd, buf, sizeof buf) == 0) {
		if (strcmp(buf, "cgroup2") != 0)
			return volt_err(err, EINVAL, "cgroup root %s: fake root marker must say cgroup2",
					cg->root);
		return add_hier(cg, f, n, cg->root, "", true, 0, err);
	}
	_cleanup_closedir_ DIR *d = fdopendir(volt_steal_fd(&rfd));
	if (!d)
		return volt_err(err, errno, "cgroup root %s", cg->root);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int hfd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (hfd < 0 || read_marker(hfd, buf, sizeof buf) < 0)
			continue;
		char mnt[sizeof f[0].h.mountpoint];
		int len = snprintf(mnt, sizeof mnt, "%s/%s", cg->root, de->d_name);
		if (len < 0 || (size_t)len >= sizeof mnt)
			return volt_err(err, ENAMETOOLONG, "cgroup root %s", cg->root);
		bool v2 = strcmp(buf, "cgroup2") == 0;
		if (add_hier(cg, f, n, mnt, v2 ? "" : buf, v2, 0, err) < 0)
			return -1;
	}
	qsort(f, *n, sizeof *f, cmp_found);
	return 0;
}

static int finish(struct volt_cgroup *cg, struct found *f, size_t n, struct volt_error *err)
{
	size_t n_v2 = 0;
	for (size_t i = 0; i < n; i++) {
		cg->hier[i] = f[i].h;
		n_v2 += f[i].h.v2;
	}
	cg->n_hier = n;
	if (n == 0)
		return volt_err(err, ENOENT, "cgroup root %s: no cgroup hierarchy mounted there", cg->root);
	if (n_v2 > 1)
		return volt_err(err, EINVAL, "cgroup root %s: more than one cgroup2 mount below it",
				cg->root);
	if (n_v2 == n) {
		cg->layout = VOLT_CGROUP_V2;
		cg->ops = &volt_cgroup_v2_ops;
	} else {
		cg->layout = n_v2 ? VOLT_CGROUP_HYBRID : VOLT_CGROUP_V1;
		cg->ops = &volt_cgroup_v1_ops;
	}
	return 0;
}

int volt_cg_detect(struct volt_cgroup *cg, const char *root, struct volt_error *err)
{
	size_t rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (root[0] != '/' || rlen >= sizeof cg->root)
		return volt_err(err, EINVAL, "cgroup root \"%s\": must be an absolute path", root);
	memcpy(cg->root, root, rlen);
	cg->root[rlen] = '\0';
	cg->fake = false;

	struct statfs sfs;
	if (statfs(cg->root, &sfs) < 0)
		return volt_err(err, errno, "cgroup root %s", cg->root);
	struct found f[VOLT_CGROUP_MAX_HIER];
	size_t n = 0;
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		if (add_hier(cg, f, &n, cg->root, "", true, 0, err) < 0)
			return -1;
		return finish(cg, f, n, err);
	}
	if (scan_mountinfo(cg, f, &n, err) < 0)
		return -1;
	if (n == 0) {
		if (scan_fake(cg, f, &n, err) < 0)
			return -1;
		cg->fake = n > 0;
	}
	return finish(cg, f, n, err);
}
