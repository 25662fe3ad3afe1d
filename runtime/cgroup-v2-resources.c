/* linux.resources on cgroup v2: one directory, v2 file names and units
 * (cpu.weight, cpu.max, memory.max, io.max, ...), devices through an eBPF
 * program. Fields v2 has no file for are errors, not silently dropped;
 * kernel memory limits are ignored as the spec deprecates them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

static int v2_only(const struct volt_cg_dir *d, const char *field, const char *why, struct volt_error *err)
{
	return volt_err(err, -EOPNOTSUPP, "%s.%s: not supported on cgroup v2 (%s)", d->where, field, why);
}

static const char *max_str(int64_t v, char *buf, size_t size)
{
	if (v < 0)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%" PRId64, v);
	return buf;
}

static int memory(const struct volt_cg_dir *d, const struct oci_memory *m, struct volt_error *err)
{
	char buf[24];
	if (m->swappiness.set)
		return v2_only(d, "memory.swappiness", "there is no per-cgroup swappiness", err);
	if (m->disable_oom_killer.set && m->disable_oom_killer.v)
		return v2_only(d, "memory.disableOOMKiller", "the OOM killer cannot be disabled per cgroup",
			       err);
	if (m->swap.set && m->swap.v != 0) {
		/* checked before memory.max is touched: a bad pair changes nothing */
		if (volt_cg_swap_v2(m->limit.v, m->limit.set, m->swap.v, buf, sizeof buf, d->where, err) < 0)
			return -1;
	}
	if (m->limit.set &&
	    volt_cg_set(d, "memory.limit", "memory.max", max_str(m->limit.v, buf, sizeof buf), err) < 0)
		return -1;
	if (m->swap.set && m->swap.v != 0) {
		volt_cg_swap_v2(m->limit.v, m->limit.set, m->swap.v, buf, sizeof buf, d->where, err);
		if (volt_cg_set(d, "memory.swap", "memory.swap.max", buf, err) < 0)
			return -1;
	}
	if (m->reservation.set && volt_cg_set(d, "memory.reservation", "memory.low",
					      max_str(m->reservation.v, buf, sizeof buf), err) < 0)
		return -1;
	return 0;
}

static int cpu(const struct volt_cg_dir *d, const struct oci_cpu *c, struct volt_error *err)
{
	char buf[64];
	if (c->realtime_runtime.set || c->realtime_period.set)
		return v2_only(d, c->realtime_runtime.set ? "cpu.realtimeRuntime" : "cpu.realtimePeriod",
			       "no realtime group scheduling", err);
	if (c->shares.set && c->shares.v &&
	    volt_cg_set_u64(d, "cpu.shares", "cpu.weight", volt_cg_shares_to_weight(c->shares.v), err) < 0)
		return -1;
	bool quota = c->quota.set && c->quota.v != 0, period = c->period.set && c->period.v != 0;
	if (quota || period) {
		int n = quota && c->quota.v > 0 ? snprintf(buf, sizeof buf, "%" PRId64, c->quota.v)
						: snprintf(buf, sizeof buf, "max");
		if (period)
			snprintf(buf + n, sizeof buf - (size_t)n, " %" PRIu64, c->period.v);
		if (volt_cg_set(d, quota ? "cpu.quota" : "cpu.period", "cpu.max", buf, err) < 0)
			return -1;
	}
	if (c->burst.set && volt_cg_set_u64(d, "cpu.burst", "cpu.max.burst", c->burst.v, err) < 0)
		return -1;
	if (c->idle.set) {
		snprintf(buf, sizeof buf, "%" PRId64, c->idle.v);
		if (volt_cg_set(d, "cpu.idle", "cpu.idle", buf, err) < 0)
			return -1;
	}
	if (c->cpus && c->cpus[0] && volt_cg_set(d, "cpu.cpus", "cpuset.cpus", c->cpus, err) < 0)
		return -1;
	if (c->mems && c->mems[0] && volt_cg_set(d, "cpu.mems", "cpuset.mems", c->mems, err) < 0)
		return -1;
	return 0;
}

static int io_max(const struct volt_cg_dir *d, const char *field, const char *key,
		  const struct oci_blkio_throttle *t, size_t n, struct volt_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char buf[96], f[64];
		snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor, key,
			 t[i].rate);
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		if (volt_cg_set(d, f, "io.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

static int io(const struct volt_cg_dir *d, const struct oci_blkio *b, struct volt_error *err)
{
	if (b->leaf_weight.set && b->leaf_weight.v)
		return v2_only(d, "blockIO.leafWeight", "no leaf weights", err);
	/* io.weight needs CFQ-like support, io.bfq.weight BFQ; neither is a
	 * clear error on hosts that have no I/O scheduler weights */
	const char *wf =
	    volt_cg_has_file(d, "io.bfq.weight") && volt_cg_bfq_in_use(d->cg) ? "io.bfq.weight" : "io.weight";
	bool bfq = wf[3] == 'b';
	char buf[64];
	if (b->weight.set && b->weight.v) {
		if (!volt_cg_has_file(d, wf))
			return volt_cg_unsupported(d, "blockIO.weight", "io.weight", err);
		/* io.bfq.weight takes the blkio range as it is */
		uint64_t w = bfq ? b->weight.v : volt_cg_blkio_to_io_weight(b->weight.v);
		snprintf(buf, sizeof buf, "default %" PRIu64, w);
		if (volt_cg_set(d, "blockIO.weight", wf, buf, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_blkio_weight_device *w = &b->weight_device[i];
		char field[64];
		snprintf(field, sizeof field, "blockIO.weightDevice[%zu]", i);
		if (w->leaf_weight.set)
			return v2_only(d, field, "no leaf weights", err);
		if (!w->weight.set)
			continue;
		if (!volt_cg_has_file(d, wf))
			return volt_cg_unsupported(d, field, "io.weight", err);
		snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
			 bfq ? w->weight.v : volt_cg_blkio_to_io_weight(w->weight.v));
		if (volt_cg_set(d, field, wf, buf, err) < 0)
			return -1;
	}
	if (io_max(d, "blockIO.throttleReadBpsDevice", "rbps", b->throttle_read_bps, b->n_throttle_read_bps,
		   err) < 0 ||
	    io_max(d, "blockIO.throttleWriteBpsDevice", "wbps", b->throttle_write_bps,
		   b->n_throttle_write_bps, err) < 0 ||
	    io_max(d, "blockIO.throttleReadIOPSDevice", "riops", b->throttle_read_iops,
		   b->n_throttle_read_iops, err) < 0 ||
	    io_max(d, "blockIO.throttleWriteIOPSDevice", "wiops", b->throttle_write_iops,
		   b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

int volt_cg_v2_hugetlb(const struct volt_cg_dir *d, const struct oci_resources *r, struct volt_error *err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct oci_hugepage_limit *l = &r->hugepage_limits[i];
		char file[64], field[48];
		snprintf(field, sizeof field, "hugepageLimits[%zu]", i);
		if (!volt_cg_valid_page_size(l->page_size))
			return volt_err(err, -EINVAL, "%s.%s.pageSize: \"%s\" is not a size like 2MB",
					d->where, field, l->page_size);
		snprintf(file, sizeof file, "hugetlb.%s.max", l->page_size);
		if (volt_cg_set_u64(d, field, file, l->limit, err) < 0)
			return -1;
	}
	return 0;
}

/* A key is a file name of the cgroup directory, nothing else. */
static bool valid_key(const char *k)
{
	return k[0] && k[0] != '.' && !strchr(k, '/') && strchr(k, '.') && strncmp(k, "cgroup.", 7) != 0;
}

int volt_cg_v2_unified(const struct volt_cg_dir *d, const struct oci_resources *r, bool hybrid,
		       struct volt_error *err)
{
	for (size_t i = 0; i < r->unified.n; i++) {
		const struct oci_kv *kv = &r->unified.v[i];
		char field[320];
		snprintf(field, sizeof field, "unified[\"%.256s\"]", kv->key);
		if (!valid_key(kv->key))
			return volt_err(err, -EINVAL, "%s.%s: not a cgroup interface file name", d->where,
					field);
		if (!volt_cg_has_file(d, kv->key)) {
			/* its controller may just not be delegated yet (always so on the
			 * hybrid layout, which delegates nothing at create) */
			char ctl[64];
			size_t cl = strcspn(kv->key, ".");
			struct volt_error ignored;
			snprintf(ctl, sizeof ctl, "%.*s", (int)(cl < 63 ? cl : 63), kv->key);
			volt_cg_v2_delegate(d->cg, d->h, ctl, field, &ignored);
		}
		if (!volt_cg_has_file(d, kv->key)) {
			if (hybrid)
				return volt_err(
				    err, -EOPNOTSUPP,
				    "%s.%s: not supported on this host (cgroup v1, and no %s in its "
				    "cgroup2 part %s%s)",
				    d->where, field, kv->key, d->cg->hier[d->h].mountpoint, d->cg->path);
			return volt_cg_unsupported(d, field, kv->key, err);
		}
		if (volt_cg_set(d, field, kv->key, kv->value, err) < 0)
			return -1;
	}
	return 0;
}

int volt_cg_v2_delegate(const struct volt_cgroup *cg, size_t h, const char *controller, const char *field,
			struct volt_error *err)
{
	const char *mnt = cg->hier[h].mountpoint;
	char op[80];
	snprintf(op, sizeof op, "+%s", controller);
	_cleanup_close_ int fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "%s: cgroup hierarchy %s", field, mnt);
	/* every component but the leaf */
	const char *p = cg->path;
	for (;;) {
		const char *next = strchr(p + 1, '/');
		int r = volt_cg_write_at(fd, "cgroup.subtree_control", op, cg->fake);
		if (r < 0)
			return volt_err(err, -r,
					"%s: not supported on this host (cannot enable the %s controller in "
					"%s%.*s/cgroup.subtree_control)",
					field, controller, mnt, (int)(p - cg->path), cg->path);
		if (!next)
			return 0;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(next - p - 1), p + 1);
		int nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			return volt_err(err, errno, "%s: open %s%.*s", field, mnt, (int)(next - cg->path),
					cg->path);
		close(fd);
		fd = nfd;
		p = next;
	}
}

static void cg_dir_close(struct volt_cg_dir *d)
{
	volt_closep(&d->fd);
}

int volt_cg_v2_apply(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		     struct volt_error *err)
{
	if (!r->present)
		return 0;
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.cg = cg, .h = 0, .where = where, .fd = -1};
	d.fd = volt_cg_open_leaf(cg, 0);
	if (d.fd < 0)
		return volt_err(err, -d.fd, "%s: open cgroup %s%s", where, cg->hier[0].mountpoint, cg->path);
	if (r->has_network && (r->net_class_id.set || r->n_net_priorities))
		return v2_only(&d, r->net_class_id.set ? "network.classID" : "network.priorities",
			       "no net_cls/net_prio controllers", err);
	if (r->has_memory && memory(&d, &r->memory, err) < 0)
		return -1;
	if (r->has_cpu && cpu(&d, &r->cpu, err) < 0)
		return -1;
	if (r->has_pids && r->pids_limit.set) {
		char buf[24];
		if (volt_cg_set(&d, "pids.limit", "pids.max",
				max_str(r->pids_limit.v > 0 ? r->pids_limit.v : -1, buf, sizeof buf),
				err) < 0)
			return -1;
	}
	if (r->has_blkio && io(&d, &r->blkio, err) < 0)
		return -1;
	if (r->n_hugepage_limits && volt_cg_v2_hugetlb(&d, r, err) < 0)
		return -1;
	if (r->n_devices && volt_cg_v2_devices(&d, r, err) < 0)
		return -1;
	if (r->unified.n && volt_cg_v2_unified(&d, r, false, err) < 0)
		return -1;
	return 0;
}
