/* File-level work common to both cgroup managers: interface file I/O, the
 * mkdir walk with undo, and the enter/procs/destroy ops, which are the same
 * loop over hierarchies on v1, hybrid and v2. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

long long volt_cg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void volt_cg_backoff(unsigned *step)
{
	long us = 100L << (*step < 7 ? *step : 7);
	if (us > 10000)
		us = 10000;
	else
		(*step)++;
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

int volt_cg_leaf_path(const struct volt_cgroup *cg, size_t h, const char *file, char *buf, size_t size)
{
	int n = file ? snprintf(buf, size, "%s%s/%s", cg->hier[h].mountpoint, cg->path, file)
		     : snprintf(buf, size, "%s%s", cg->hier[h].mountpoint, cg->path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int volt_cg_write_at(int dirfd, const char *file, const char *s, bool create)
{
	int flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
	_cleanup_close_ int fd = openat(dirfd, file, flags, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t w = write(fd, s, len);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EIO;
}

ssize_t volt_cg_read_at(int dirfd, const char *file, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t r = read(fd, buf + len, size - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int volt_cg_read_pids_at(int dirfd, const char *file, pid_t **pids, size_t *n)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENODEV ? 0 : -errno;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENODEV ? 0 : -errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (!buf)
		return 0;
	buf[len] = '\0';
	for (char *p = buf; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		p = end;
		if (v <= 0)
			continue;
		if ((*n & (*n + 1)) == 0 || !*pids) {
			/* grow at every power of two - 1 */
			pid_t *np = realloc(*pids, (*n + 1) * 2 * sizeof **pids);
			if (!np)
				return -ENOMEM;
			*pids = np;
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

/* Offset of the end of component i of path ("/a/b/c", i=1 -> 4). */
static size_t component_end(const char *path, int i)
{
	const char *p = path;
	for (int k = 0; k <= i; k++) {
		p++;
		p = strchrnul(p, '/');
	}
	return (size_t)(p - path);
}

static int n_components(const char *path)
{
	int n = 0;
	for (const char *p = path; *p; p++)
		n += *p == '/';
	return n;
}

/* Fake trees hold plain files where the kernel has interface files. */
static void unlink_fake_files(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(dirfd(d), de->d_name, 0);
}

void volt_cg_rollback(const struct volt_cgroup *cg, size_t h, int first_created)
{
	if (first_created < 0)
		return;
	char buf[1024];
	for (int i = n_components(cg->path) - 1; i >= first_created; i--) {
		int n = snprintf(buf, sizeof buf, "%s%.*s", cg->hier[h].mountpoint,
				 (int)component_end(cg->path, i), cg->path);
		if (n < 0 || (size_t)n >= sizeof buf)
			return;
		if (cg->fake)
			unlink_fake_files(buf);
		rmdir(buf);
	}
}

int volt_cg_mkdir_walk(const struct volt_cgroup *cg, size_t h, const struct volt_cg_walk *walk,
		       int *first_created, bool *leaf_existed, struct volt_error *err)
{
	const struct volt_cgroup_hier *hi = &cg->hier[h];
	*first_created = -1;
	_cleanup_close_ int fd = open(hi->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "cgroup hierarchy %s", hi->mountpoint);

	int i = 0;
	const char *p = cg->path;
	while (*p) {
		p++;
		const char *end = strchrnul(p, '/');
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(end - p), p);
		if (walk->before_mkdir && walk->before_mkdir(fd, walk->ctx) < 0)
			goto fail;
		bool created = mkdirat(fd, name, 0755) == 0;
		if (!created && errno != EEXIST) {
			volt_err(err, errno, "cgroup %s: mkdir %s%.*s", cg->path, hi->mountpoint,
				 (int)(end - cg->path), cg->path);
			goto fail;
		}
		if (created && *first_created < 0)
			*first_created = i;
		_cleanup_close_ int nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			volt_err(err, errno, "cgroup %s: open %s%.*s", cg->path, hi->mountpoint,
				 (int)(end - cg->path), cg->path);
			goto fail;
		}
		if (walk->after_open && walk->after_open(fd, nfd, created, walk->ctx) < 0)
			goto fail;
		close(fd);
		fd = volt_steal_fd(&nfd);
		*leaf_existed = !created;
		p = end;
		i++;
	}
	return volt_steal_fd(&fd);
fail:
	volt_cg_rollback(cg, h, *first_created);
	*first_created = -1;
	return -1;
}

int volt_cg_check_unused(const struct volt_cgroup *cg, size_t h, int leaf_fd, struct volt_error *err)
{
	char buf[32];
	ssize_t len = volt_cg_read_at(leaf_fd, "cgroup.procs", buf, sizeof buf);
	if (len == -ENOENT)
		return 0;
	if (len < 0)
		return volt_err(err, (int)-len, "cgroup %s: read %s%s/cgroup.procs", cg->path,
				cg->hier[h].mountpoint, cg->path);
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] >= '1' && buf[i] <= '9')
			return volt_err(err, EEXIST, "cgroup %s is in use (processes in %s%s)", cg->path,
					cg->hier[h].mountpoint, cg->path);
	return 0;
}

int volt_cg_enter_all(struct volt_cgroup *cg, pid_t pid, struct volt_error *err)
{
	char spid[24], path[1024];
	snprintf(spid, sizeof spid, "%d", (int)pid);
	for (size_t h = 0; h < cg->n_hier; h++) {
		if (volt_cg_leaf_path(cg, h, "cgroup.procs", path, sizeof path) < 0)
			return volt_err(err, ENAMETOOLONG, "cgroup %s", cg->path);
		int r = volt_cg_write_at(AT_FDCWD, path, spid, cg->fake);
		if (r < 0)
			return volt_err(err, -r, "cgroup %s: move pid %d into %s", cg->path, (int)pid, path);
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int volt_cg_procs_union(struct volt_cgroup *cg, pid_t **pids, size_t *n, struct volt_error *err)
{
	_cleanup_free_ pid_t *v = NULL;
	size_t len = 0;
	char path[1024];
	for (size_t h = 0; h < cg->n_hier; h++) {
		if (volt_cg_leaf_path(cg, h, "cgroup.procs", path, sizeof path) < 0)
			return volt_err(err, ENAMETOOLONG, "cgroup %s", cg->path);
		int r = volt_cg_read_pids_at(AT_FDCWD, path, &v, &len);
		if (r < 0)
			return volt_err(err, -r, "cgroup %s: read %s", cg->path, path);
	}
	if (cg->n_hier > 1 && len > 1) {
		qsort(v, len, sizeof *v, cmp_pid);
		size_t w = 1;
		for (size_t i = 1; i < len; i++)
			if (v[i] != v[w - 1])
				v[w++] = v[i];
		len = w;
	}
	*pids = volt_steal_ptr(&v);
	*n = len;
	return 0;
}

/* rmdir a cgroup and any cgroups the container made below it. EBUSY means
 * tasks are still leaving (exit is not instant), so it is retried until the
 * shared deadline. */
static int remove_cgroup_dir(const char *path, bool fake, long long deadline, int depth)
{
	unsigned step = 0;
	for (;;) {
		if (fake)
			unlink_fake_files(path);
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		int e = errno;
		if (e != EBUSY && e != ENOTEMPTY)
			return -e;
		if (depth < 32) {
			_cleanup_closedir_ DIR *d = opendir(path);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				char sub[4096];
				int n = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
				if (n > 0 && (size_t)n < sizeof sub)
					remove_cgroup_dir(sub, fake, deadline, depth + 1);
			}
		}
		if (volt_cg_now_ms() >= deadline)
			return -e;
		volt_cg_backoff(&step);
	}
}

int volt_cg_destroy_all(struct volt_cgroup *cg, struct volt_error *err)
{
	long long deadline = volt_cg_now_ms() + 1000;
	int ret = 0;
	char path[1024];
	for (size_t h = 0; h < cg->n_hier; h++) {
		if (volt_cg_leaf_path(cg, h, NULL, path, sizeof path) < 0) {
			ret = volt_err(err, ENAMETOOLONG, "cgroup %s", cg->path);
			continue;
		}
		int r = remove_cgroup_dir(path, cg->fake, deadline, 0);
		if (r < 0 && ret == 0)
			ret = volt_err(err, -r, "cgroup %s: remove %s%s", cg->path, path,
				       r == -EBUSY ? " (still has processes after 1 s)" : "");
	}
	return ret;
}
