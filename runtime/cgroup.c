/* Entry points of the cgroup managers: set up a struct volt_cgroup for a new
 * or an existing container, and the layout-independent kill paths. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

int volt_cgroup_init(struct volt_cgroup *cg, const char *root, const char *cgroups_path, const char *id,
		     struct volt_error *err)
{
	memset(cg, 0, sizeof *cg);
	if (volt_cg_compute_path(cg->path, sizeof cg->path, cgroups_path, id, err) < 0)
		return -1;
	return volt_cg_detect(cg, root ? root : "/sys/fs/cgroup", err);
}

int volt_cgroup_open(struct volt_cgroup *cg, const char *root, const char *path, struct volt_error *err)
{
	memset(cg, 0, sizeof *cg);
	if (!path || path[0] != '/')
		return volt_err(err, EINVAL, "cgroup path \"%s\": must be absolute", path ? path : "");
	if (volt_cg_normalize(cg->path, sizeof cg->path, path, "cgroup path", err) < 0)
		return -1;
	return volt_cg_detect(cg, root ? root : "/sys/fs/cgroup", err);
}

static ssize_t v2_hier(const struct volt_cgroup *cg)
{
	for (size_t h = 0; h < cg->n_hier; h++)
		if (cg->hier[h].v2)
			return (ssize_t)h;
	return -1;
}

/* How to freeze this cgroup: the v1 freezer controller, else the cgroup2
 * freezer (pure v2, or the cgroup2 mount of a hybrid host: it holds the
 * same processes). */
struct freezer {
	int fd; /* leaf dir, -1: no freezer */
	bool v2;
	bool was_frozen;
};

static void freezer_open(const struct volt_cgroup *cg, struct freezer *fz)
{
	ssize_t pick = -1;
	fz->fd = -1;
	fz->v2 = false;
	fz->was_frozen = false;
	for (size_t h = 0; h < cg->n_hier; h++)
		if (!cg->hier[h].v2 && volt_cg_hier_has(&cg->hier[h], "freezer"))
			pick = (ssize_t)h;
	if (pick < 0) {
		pick = v2_hier(cg);
		fz->v2 = true;
	}
	char path[1024];
	if (pick < 0 || volt_cg_leaf_path(cg, (size_t)pick, NULL, path, sizeof path) < 0)
		return;
	fz->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fz->fd < 0)
		return;
	char buf[64];
	ssize_t len = volt_cg_read_at(fz->fd, fz->v2 ? "cgroup.freeze" : "freezer.state", buf, sizeof buf);
	if (len < 0) {
		close(fz->fd); /* no freezer file: nothing to freeze with */
		fz->fd = -1;
		return;
	}
	fz->was_frozen = fz->v2 ? buf[0] == '1' : strncmp(buf, "FROZEN", 6) == 0;
}

static bool freezer_frozen(const struct volt_cgroup *cg, struct freezer *fz)
{
	char buf[256];
	if (fz->v2) {
		if (volt_cg_read_at(fz->fd, "cgroup.events", buf, sizeof buf) < 0)
			return cg->fake; /* a fake tree has no events file */
		return strstr(buf, "frozen 1") != NULL;
	}
	return volt_cg_read_at(fz->fd, "freezer.state", buf, sizeof buf) >= 0 &&
	       strncmp(buf, "FROZEN", 6) == 0;
}

/* Freeze and wait (bounded): a frozen cgroup cannot fork children that the
 * pid list would miss. If it does not settle in time we signal anyway. */
static void freezer_freeze(const struct volt_cgroup *cg, struct freezer *fz)
{
	if (fz->fd < 0 || fz->was_frozen)
		return;
	if (volt_cg_write_at(fz->fd, fz->v2 ? "cgroup.freeze" : "freezer.state", fz->v2 ? "1" : "FROZEN",
			     cg->fake) < 0)
		return;
	long long deadline = volt_cg_now_ms() + 500;
	unsigned step = 0;
	while (!freezer_frozen(cg, fz) && volt_cg_now_ms() < deadline)
		volt_cg_backoff(&step);
}

static void freezer_thaw(const struct volt_cgroup *cg, struct freezer *fz, bool force)
{
	if (fz->fd < 0 || (fz->was_frozen && !force))
		return;
	volt_cg_write_at(fz->fd, fz->v2 ? "cgroup.freeze" : "freezer.state", fz->v2 ? "0" : "THAWED",
			 cg->fake);
}

static int signal_procs(struct volt_cgroup *cg, int sig, struct volt_error *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (cg->ops->procs(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return volt_err(err, errno, "cgroup %s: kill pid %d with signal %d", cg->path,
					(int)pids[i], sig);
	return 0;
}

int volt_cgroup_kill_all(struct volt_cgroup *cg, int sig, struct volt_error *err)
{
	if (!cg->ops || !cg->n_hier)
		return volt_err(err, EINVAL, "cgroup %s: not initialised", cg->path);
	ssize_t v2 = v2_hier(cg);
	if (sig == SIGKILL && v2 >= 0) {
		/* cgroup.kill (Linux 5.14+) kills the whole subtree atomically,
		 * forks included. Not created in fake trees: absent means old kernel. */
		char path[1024];
		int r = volt_cg_leaf_path(cg, (size_t)v2, "cgroup.kill", path, sizeof path) < 0
			    ? -ENAMETOOLONG
			    : volt_cg_write_at(AT_FDCWD, path, "1", false);
		if (r == 0 && cg->layout == VOLT_CGROUP_V2)
			return 0;
		if (r == 0) /* hybrid: sweep up anything that left the cgroup2 side */
			return signal_procs(cg, sig, err);
	}
	struct freezer fz;
	freezer_open(cg, &fz);
	freezer_freeze(cg, &fz);
	int r = signal_procs(cg, sig, err);
	/* a killed task in a frozen v1 cgroup only dies once thawed */
	freezer_thaw(cg, &fz, sig == SIGKILL);
	if (fz.fd >= 0)
		close(fz.fd);
	return r;
}

int volt_cgroup_kill_and_destroy(struct volt_cgroup *cg, struct volt_error *err)
{
	if (volt_cgroup_kill_all(cg, SIGKILL, err) < 0)
		return -1;
	/* Exited tasks, zombies included, leave cgroup.procs as soon as their
	 * last thread is gone, but the cgroup stays populated a little longer
	 * (exit is not instant); destroy's EBUSY retry covers that part. */
	long long start = volt_cg_now_ms(), last_kill = start;
	unsigned step = 0;
	for (;;) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		if (cg->ops->procs(cg, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			break;
		long long now = volt_cg_now_ms();
		if (now - start >= 2000)
			return volt_err(err, EBUSY,
					"cgroup %s: %zu process(es) still alive 2 s after SIGKILL (pid %d)",
					cg->path, n, (int)pids[0]);
		if (now - last_kill >= 100) {
			/* e.g. a process that forked while being moved in */
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
			last_kill = now;
		}
		volt_cg_backoff(&step);
	}
	return cg->ops->destroy(cg, err);
}

int volt_cgroup_freeze(struct volt_cgroup *cg, bool freeze, struct volt_error *err)
{
	struct freezer fz;
	freezer_open(cg, &fz);
	if (fz.fd < 0)
		return volt_err(err, -EOPNOTSUPP,
				"cgroup %s: no freezer (neither the v1 freezer controller nor "
				"cgroup.freeze) under %s",
				cg->path, cg->root);
	_cleanup_close_ int fd = fz.fd;
	const char *file = fz.v2 ? "cgroup.freeze" : "freezer.state";
	if (!freeze) {
		int r = volt_cg_write_at(fd, file, fz.v2 ? "0" : "THAWED", cg->fake);
		if (r < 0)
			return volt_err(err, -r, "cgroup %s: thaw (write %s)", cg->path, file);
		return 0;
	}
	int r = volt_cg_write_at(fd, file, fz.v2 ? "1" : "FROZEN", cg->fake);
	if (r < 0)
		return volt_err(err, -r, "cgroup %s: freeze (write %s)", cg->path, file);
	/* A task in an uninterruptible sleep holds a v1 cgroup in FREEZING:
	 * give up after a while rather than report a half-frozen container. */
	long long deadline = volt_cg_now_ms() + 2000;
	unsigned step = 0;
	while (!freezer_frozen(cg, &fz)) {
		if (volt_cg_now_ms() >= deadline) {
			volt_cg_write_at(fd, file, fz.v2 ? "0" : "THAWED", cg->fake);
			return volt_err(err, EBUSY, "cgroup %s: not every task froze within 2 s", cg->path);
		}
		volt_cg_backoff(&step);
	}
	return 0;
}

static bool read_frozen(const char *path, bool v2)
{
	char buf[16];
	ssize_t len = volt_cg_read_at(AT_FDCWD, path, buf, sizeof buf);
	if (len <= 0)
		return false;
	return v2 ? buf[0] == '1' : strncmp(buf, "FROZEN", 6) == 0;
}

bool volt_cgroup_path_frozen(const char *root, const char *path)
{
	char p[1024];
	if (!root || !path || path[0] != '/')
		return false;
	/* v1 freezer, then pure v2, then the cgroup2 part of a hybrid host:
	 * the first file that exists decides. */
	snprintf(p, sizeof p, "%s/freezer%s/freezer.state", root, path);
	if (access(p, F_OK) == 0)
		return read_frozen(p, false);
	snprintf(p, sizeof p, "%s%s/cgroup.freeze", root, path);
	if (access(p, F_OK) == 0)
		return read_frozen(p, true);
	snprintf(p, sizeof p, "%s/unified%s/cgroup.freeze", root, path);
	return read_frozen(p, true);
}

int volt_cgroup_oom_kills(struct volt_cgroup *cg, uint64_t *count, struct volt_error *err)
{
	*count = 0;
	ssize_t h = volt_cg_find_hier(cg, "memory");
	bool v2 = h < 0;
	if (v2 && cg->layout == VOLT_CGROUP_V2)
		h = 0;
	if (h < 0)
		return volt_err(err, -EOPNOTSUPP, "cgroup %s: no memory controller under %s", cg->path,
				cg->root);
	char path[1024], buf[512];
	if (volt_cg_leaf_path(cg, (size_t)h, v2 ? "memory.events" : "memory.oom_control", path, sizeof path) <
	    0)
		return volt_err(err, ENAMETOOLONG, "cgroup %s", cg->path);
	ssize_t len = volt_cg_read_at(AT_FDCWD, path, buf, sizeof buf);
	if (len < 0)
		return volt_err(err, (int)-len, "cgroup %s: read %s", cg->path, path);
	volt_cg_kv_get(buf, "oom_kill", count);
	return 0;
}
