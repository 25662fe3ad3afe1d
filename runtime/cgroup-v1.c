/* cgroup v1 manager, also used for the hybrid layout: the container's cgroup
 * is made in every hierarchy (each controller, name=systemd, and the cgroup2
 * mount beside them in hybrid, where nothing is delegated). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

struct cpuset_ctx {
	const struct volt_cgroup *cg;
	struct volt_error *err;
};

static bool blank(const char *s)
{
	return s[strspn(s, " \n")] == '\0';
}

/* A v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until
 * they are set, so give it its parent's. An existing one is checked too, as
 * a run that died between mkdir and this copy leaves it empty. */
static int cpuset_inherit(int parent_fd, int child_fd, bool created, void *data)
{
	struct cpuset_ctx *c = data;
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		char buf[4096];
		ssize_t len;
		if (!created) {
			len = volt_cg_read_at(child_fd, files[i], buf, sizeof buf);
			if (len >= 0 && !blank(buf))
				continue;
		}
		len = volt_cg_read_at(parent_fd, files[i], buf, sizeof buf);
		if (len < 0)
			return volt_err(c->err, (int)-len, "cgroup %s: read the parent's %s", c->cg->path,
					files[i]);
		if (blank(buf))
			continue; /* nothing to inherit; the kernel will say so on enter */
		int r = volt_cg_write_at(child_fd, files[i], buf, c->cg->fake);
		if (r < 0)
			return volt_err(c->err, -r, "cgroup %s: set %s", c->cg->path, files[i]);
	}
	return 0;
}

static int v1_create(struct volt_cgroup *cg, struct volt_error *err)
{
	int made[VOLT_CGROUP_MAX_HIER];
	size_t h;
	for (h = 0; h < cg->n_hier; h++) {
		struct cpuset_ctx ctx = {cg, err};
		struct volt_cg_walk walk = {0};
		if (!cg->hier[h].v2 && volt_cg_hier_has(&cg->hier[h], "cpuset")) {
			walk.after_open = cpuset_inherit;
			walk.ctx = &ctx;
		}
		bool existed = false;
		_cleanup_close_ int leaf = volt_cg_mkdir_walk(cg, h, &walk, &made[h], &existed, err);
		if (leaf < 0)
			goto undo;
		if (existed && volt_cg_check_unused(cg, h, leaf, err) < 0)
			goto undo_this;
	}
	return 0;
undo_this:
	volt_cg_rollback(cg, h, made[h]);
undo:
	while (h-- > 0)
		volt_cg_rollback(cg, h, made[h]);
	return -1;
}

const struct volt_cgroup_ops volt_cgroup_v1_ops = {
    .name = "v1",
    .create = v1_create,
    .enter = volt_cg_enter_all,
    .procs = volt_cg_procs_union,
    .destroy = volt_cg_destroy_all,
    .apply = volt_cg_v1_apply,
    .stats = volt_cg_v1_stats,
};
