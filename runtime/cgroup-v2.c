/* cgroup v2 manager: one hierarchy. Controllers only reach a cgroup when every
 * ancestor lists them in cgroup.subtree_control, so create delegates all it
 * can on the way down. The leaf itself delegates nothing: a cgroup with
 * domain controllers in subtree_control may not hold processes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

struct delegate_ctx {
	const struct volt_cgroup *cg;
	struct volt_error *err;
	/* controllers still available at the current level, space separated */
	char avail[512];
};

/* Per-controller failures that only mean "not here": busy (processes in a
 * non-root ancestor, or a threaded subtree), not supported, not offered by
 * the parent. Anything else is a real error. */
static bool soft_errno(int e)
{
	return e == EBUSY || e == EOPNOTSUPP || e == ENOENT || e == EINVAL;
}

static int enable_one_by_one(int fd, struct delegate_ctx *c)
{
	char kept[sizeof c->avail] = "";
	size_t klen = 0;
	for (char *p = c->avail; *p;) {
		char *end = strchrnul(p, ' ');
		size_t len = (size_t)(end - p);
		char op[80];
		if (len && len < sizeof op - 1) {
			snprintf(op, sizeof op, "+%.*s", (int)len, p);
			int r = volt_cg_write_at(fd, "cgroup.subtree_control", op, c->cg->fake);
			if (r < 0 && !soft_errno(-r))
				return volt_err(c->err, -r, "cgroup %s: enable %s in cgroup.subtree_control",
						c->cg->path, op + 1);
			if (r == 0) {
				if (klen)
					kept[klen++] = ' ';
				memcpy(kept + klen, p, len);
				klen += len;
				kept[klen] = '\0';
			}
		}
		p = *end ? end + 1 : end;
	}
	memcpy(c->avail, kept, sizeof kept);
	return 0;
}

static int delegate(int parent_fd, void *data)
{
	struct delegate_ctx *c = data;
	if (!c->avail[0])
		return 0;
	/* All at once first: one write in the usual case. The kernel applies
	 * such a write entirely or not at all. */
	char all[sizeof c->avail * 2] = "";
	size_t len = 0;
	for (char *p = c->avail; *p;) {
		char *end = strchrnul(p, ' ');
		len += (size_t)snprintf(all + len, sizeof all - len, "%s+%.*s", len ? " " : "",
					(int)(end - p), p);
		p = *end ? end + 1 : end;
	}
	int r = volt_cg_write_at(parent_fd, "cgroup.subtree_control", all, c->cg->fake);
	if (r == 0)
		return 0;
	if (r == -EACCES || r == -EPERM || r == -EROFS) {
		/* not ours to delegate (e.g. a read-only cgroupfs root); the mkdir
		 * below says whether we can work here at all */
		c->avail[0] = '\0';
		return 0;
	}
	if (!soft_errno(-r))
		return volt_err(c->err, -r, "cgroup %s: write cgroup.subtree_control", c->cg->path);
	return enable_one_by_one(parent_fd, c);
}

static int v2_create(struct volt_cgroup *cg, struct volt_error *err)
{
	struct delegate_ctx ctx = {cg, err, ""};
	_cleanup_close_ int rfd = open(cg->hier[0].mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return volt_err(err, errno, "cgroup hierarchy %s", cg->hier[0].mountpoint);
	ssize_t len = volt_cg_read_at(rfd, "cgroup.controllers", ctx.avail, sizeof ctx.avail);
	if (len < 0)
		ctx.avail[0] = '\0';
	while (len > 0 && (ctx.avail[len - 1] == '\n' || ctx.avail[len - 1] == ' '))
		ctx.avail[--len] = '\0';

	struct volt_cg_walk walk = {.before_mkdir = delegate, .ctx = &ctx};
	int made;
	bool existed = false;
	_cleanup_close_ int leaf = volt_cg_mkdir_walk(cg, 0, &walk, &made, &existed, err);
	if (leaf < 0)
		return -1;
	if (existed && volt_cg_check_unused(cg, 0, leaf, err) < 0)
		return -1;
	return 0;
}

const struct volt_cgroup_ops volt_cgroup_v2_ops = {
    .name = "v2",
    .create = v2_create,
    .enter = volt_cg_enter_all,
    .procs = volt_cg_procs_union,
    .destroy = volt_cg_destroy_all,
    .apply = volt_cg_v2_apply,
    .stats = volt_cg_v2_stats,
};
