/* linux.resources on cgroup v1 (and the hybrid layout, whose cgroup2 part
 * takes hugetlb and unified when the v1 side lacks them). Only what is set
 * is written, so a container without limits costs no file I/O here. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

static void cg_dir_close(struct volt_cg_dir *d)
{
	volt_closep(&d->fd);
}

/* The leaf of a v1 controller; *missing (no hierarchy for it) is not an
 * error yet: the caller knows which field needed it. */
static int open_ctl(struct volt_cgroup *cg, const char *ctl, const char *where, struct volt_cg_dir *d,
		    bool *missing, struct volt_error *err)
{
	*missing = false;
	ssize_t h = volt_cg_find_hier(cg, ctl);
	d->cg = cg;
	d->where = where;
	d->fd = -1;
	if (h < 0) {
		*missing = true;
		return 0;
	}
	d->h = (size_t)h;
	d->fd = volt_cg_open_leaf(cg, (size_t)h);
	if (d->fd < 0)
		return volt_err(err, -d->fd, "%s: open cgroup %s%s", where, cg->hier[h].mountpoint, cg->path);
	return 0;
}

static int no_controller(const struct volt_cgroup *cg, const char *where, const char *field, const char *ctl,
			 struct volt_error *err)
{
	return volt_err(err, -EOPNOTSUPP,
			"%s.%s: not supported on this host (no %s cgroup controller under %s)", where, field,
			ctl, cg->root);
}

static int64_t read_i64(int fd, const char *file, int64_t dflt)
{
	char buf[32];
	if (volt_cg_read_at(fd, file, buf, sizeof buf) <= 0)
		return dflt;
	return strtoll(buf, NULL, 10);
}

static const char *limit_str(int64_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRId64, v < 0 ? (int64_t)-1 : v);
	return buf;
}

static int memory(struct volt_cgroup *cg, const struct oci_memory *m, const char *where,
		  struct volt_error *err)
{
	bool any = m->limit.set || m->reservation.set || m->swap.set || m->swappiness.set ||
		   (m->disable_oom_killer.set && m->disable_oom_killer.v);
	if (!any)
		return 0; /* kernel and kernelTCP: deprecated by the spec, ignored */
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
	bool missing;
	if (open_ctl(cg, "memory", where, &d, &missing, err) < 0)
		return -1;
	if (missing)
		return no_controller(cg, where, "memory", "memory", err);
	char lim[24], sw[24];
	const char *memsw = "memory.memsw.limit_in_bytes";
	if (m->swap.set && m->swap.v != 0) {
		if (!volt_cg_has_file(&d, memsw))
			return volt_cg_unsupported(&d, "memory.swap", memsw, err);
		if (m->limit.set && m->limit.v > 0 && m->swap.v > 0 && m->swap.v < m->limit.v)
			return volt_err(err, -EINVAL,
					"%s.memory.swap: %" PRId64 " is below memory.limit %" PRId64
					" (it is the memory+swap total)",
					where, m->swap.v, m->limit.v);
		/* memsw may never be below the memory limit: write in the order
		 * that keeps that true at every step. */
		int64_t cur = read_i64(d.fd, memsw, -1);
		bool swap_first = m->swap.v < 0 || (cur >= 0 && m->swap.v > cur);
		if (swap_first &&
		    volt_cg_set(&d, "memory.swap", memsw, limit_str(m->swap.v, sw, sizeof sw), err) < 0)
			return -1;
		if (m->limit.set && volt_cg_set(&d, "memory.limit", "memory.limit_in_bytes",
						limit_str(m->limit.v, lim, sizeof lim), err) < 0)
			return -1;
		if (!swap_first &&
		    volt_cg_set(&d, "memory.swap", memsw, limit_str(m->swap.v, sw, sizeof sw), err) < 0)
			return -1;
	} else if (m->limit.set) {
		/* A memsw limit pinned to the old memory limit (no swap allowed)
		 * follows it, as `update --memory` alone means "same swap policy". */
		int64_t cur_mem = read_i64(d.fd, "memory.limit_in_bytes", -1);
		int64_t cur_sw = volt_cg_has_file(&d, memsw) ? read_i64(d.fd, memsw, -1) : -1;
		bool pinned = cur_sw >= 0 && cur_sw == cur_mem && cur_mem < (INT64_C(1) << 62) && !cg->fake;
		int64_t want = m->limit.v < 0 ? -1 : m->limit.v;
		bool raise = want < 0 || want > cur_mem;
		if (pinned && raise &&
		    volt_cg_set(&d, "memory.limit", memsw, limit_str(want, sw, sizeof sw), err) < 0)
			return -1;
		if (volt_cg_set(&d, "memory.limit", "memory.limit_in_bytes", limit_str(want, lim, sizeof lim),
				err) < 0)
			return -1;
		if (pinned && !raise &&
		    volt_cg_set(&d, "memory.limit", memsw, limit_str(want, sw, sizeof sw), err) < 0)
			return -1;
	}
	if (m->reservation.set && volt_cg_set(&d, "memory.reservation", "memory.soft_limit_in_bytes",
					      limit_str(m->reservation.v, lim, sizeof lim), err) < 0)
		return -1;
	if (m->swappiness.set) {
		if (m->swappiness.v > 100)
			return volt_err(err, -EINVAL, "%s.memory.swappiness: %" PRIu64 " is above 100", where,
					m->swappiness.v);
		if (volt_cg_set_u64(&d, "memory.swappiness", "memory.swappiness", m->swappiness.v, err) < 0)
			return -1;
	}
	if (m->disable_oom_killer.set && m->disable_oom_killer.v &&
	    volt_cg_set(&d, "memory.disableOOMKiller", "memory.oom_control", "1", err) < 0)
		return -1;
	return 0;
}

static int cpu(struct volt_cgroup *cg, const struct oci_cpu *c, const char *where, struct volt_error *err)
{
	bool cpu_ctl = c->shares.set || c->quota.set || c->period.set || c->burst.set || c->idle.set ||
		       c->realtime_runtime.set || c->realtime_period.set;
	if (cpu_ctl) {
		_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
		bool missing;
		if (open_ctl(cg, "cpu", where, &d, &missing, err) < 0)
			return -1;
		if (missing)
			return no_controller(cg, where, "cpu", "cpu", err);
		char buf[24];
		if (c->shares.set && c->shares.v &&
		    volt_cg_set_u64(&d, "cpu.shares", "cpu.shares", c->shares.v, err) < 0)
			return -1;
		/* The period first: a quota is checked against the current period. */
		if (c->period.set && c->period.v &&
		    volt_cg_set_u64(&d, "cpu.period", "cpu.cfs_period_us", c->period.v, err) < 0)
			return -1;
		if (c->quota.set && c->quota.v &&
		    volt_cg_set(&d, "cpu.quota", "cpu.cfs_quota_us", limit_str(c->quota.v, buf, sizeof buf),
				err) < 0)
			return -1;
		if (c->burst.set) {
			if (!volt_cg_has_file(&d, "cpu.cfs_burst_us"))
				return volt_cg_unsupported(&d, "cpu.burst", "cpu.cfs_burst_us", err);
			if (volt_cg_set_u64(&d, "cpu.burst", "cpu.cfs_burst_us", c->burst.v, err) < 0)
				return -1;
		}
		if (c->idle.set) {
			if (!volt_cg_has_file(&d, "cpu.idle"))
				return volt_cg_unsupported(&d, "cpu.idle", "cpu.idle", err);
			snprintf(buf, sizeof buf, "%" PRId64, c->idle.v);
			if (volt_cg_set(&d, "cpu.idle", "cpu.idle", buf, err) < 0)
				return -1;
		}
		if (c->realtime_period.set && c->realtime_period.v) {
			if (!volt_cg_has_file(&d, "cpu.rt_period_us"))
				return volt_cg_unsupported(&d, "cpu.realtimePeriod", "cpu.rt_period_us", err);
			if (volt_cg_set_u64(&d, "cpu.realtimePeriod", "cpu.rt_period_us",
					    c->realtime_period.v, err) < 0)
				return -1;
		}
		if (c->realtime_runtime.set && c->realtime_runtime.v) {
			if (!volt_cg_has_file(&d, "cpu.rt_runtime_us"))
				return volt_cg_unsupported(&d, "cpu.realtimeRuntime", "cpu.rt_runtime_us",
							   err);
			snprintf(buf, sizeof buf, "%" PRId64, c->realtime_runtime.v);
			if (volt_cg_set(&d, "cpu.realtimeRuntime", "cpu.rt_runtime_us", buf, err) < 0)
				return -1;
		}
	}
	if ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0])) {
		_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
		bool missing;
		if (open_ctl(cg, "cpuset", where, &d, &missing, err) < 0)
			return -1;
		if (missing)
			return no_controller(cg, where, c->cpus && c->cpus[0] ? "cpu.cpus" : "cpu.mems",
					     "cpuset", err);
		if (c->cpus && c->cpus[0] && volt_cg_set(&d, "cpu.cpus", "cpuset.cpus", c->cpus, err) < 0)
			return -1;
		if (c->mems && c->mems[0] && volt_cg_set(&d, "cpu.mems", "cpuset.mems", c->mems, err) < 0)
			return -1;
	}
	return 0;
}

static int throttle(const struct volt_cg_dir *d, const char *field, const char *file,
		    const struct oci_blkio_throttle *t, size_t n, struct volt_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char buf[64], f[64];
		snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
			 t[i].rate);
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		if (volt_cg_set(d, f, file, buf, err) < 0)
			return -1;
	}
	return 0;
}

/* The weight files: blkio.weight with CFQ, blkio.bfq.weight with BFQ. The
 * BFQ files exist as soon as BFQ is built in, but a weight written there
 * is silently without effect unless a disk actually uses BFQ: that counts
 * as "cannot honour" too. */
static const char *weight_file(const struct volt_cg_dir *d, const char *plain, const char *bfq)
{
	if (volt_cg_has_file(d, plain))
		return plain;
	return bfq && volt_cg_has_file(d, bfq) && volt_cg_bfq_in_use(d->cg) ? bfq : NULL;
}

static int blkio(struct volt_cgroup *cg, const struct oci_blkio *b, const char *where, struct volt_error *err)
{
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
	bool missing;
	if (open_ctl(cg, "blkio", where, &d, &missing, err) < 0)
		return -1;
	if (missing)
		return no_controller(cg, where, "blockIO", "blkio", err);
	const char *f;
	if (b->weight.set && b->weight.v) {
		if (!(f = weight_file(&d, "blkio.weight", "blkio.bfq.weight")))
			return volt_err(
			    err, -EOPNOTSUPP,
			    "%s.blockIO.weight: not supported on this host (no blkio.weight in %s%s, and "
			    "no disk uses the BFQ scheduler that blkio.bfq.weight needs)",
			    where, cg->hier[d.h].mountpoint, cg->path);
		if (volt_cg_set_u64(&d, "blockIO.weight", f, b->weight.v, err) < 0)
			return -1;
	}
	if (b->leaf_weight.set && b->leaf_weight.v) {
		if (!(f = weight_file(&d, "blkio.leaf_weight", NULL)))
			return volt_cg_unsupported(&d, "blockIO.leafWeight", "blkio.leaf_weight", err);
		if (volt_cg_set_u64(&d, "blockIO.leafWeight", f, b->leaf_weight.v, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_blkio_weight_device *w = &b->weight_device[i];
		char field[64], buf[64];
		if (w->weight.set) {
			snprintf(field, sizeof field, "blockIO.weightDevice[%zu].weight", i);
			if (!(f = weight_file(&d, "blkio.weight_device", "blkio.bfq.weight_device")))
				return volt_cg_unsupported(&d, field, "blkio.weight_device", err);
			snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
				 w->weight.v);
			if (volt_cg_set(&d, field, f, buf, err) < 0)
				return -1;
		}
		if (w->leaf_weight.set) {
			snprintf(field, sizeof field, "blockIO.weightDevice[%zu].leafWeight", i);
			if (!(f = weight_file(&d, "blkio.leaf_weight_device", NULL)))
				return volt_cg_unsupported(&d, field, "blkio.leaf_weight_device", err);
			snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
				 w->leaf_weight.v);
			if (volt_cg_set(&d, field, f, buf, err) < 0)
				return -1;
		}
	}
	if (throttle(&d, "blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device",
		     b->throttle_read_bps, b->n_throttle_read_bps, err) < 0 ||
	    throttle(&d, "blockIO.throttleWriteBpsDevice", "blkio.throttle.write_bps_device",
		     b->throttle_write_bps, b->n_throttle_write_bps, err) < 0 ||
	    throttle(&d, "blockIO.throttleReadIOPSDevice", "blkio.throttle.read_iops_device",
		     b->throttle_read_iops, b->n_throttle_read_iops, err) < 0 ||
	    throttle(&d, "blockIO.throttleWriteIOPSDevice", "blkio.throttle.write_iops_device",
		     b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int devices(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		   struct volt_error *err)
{
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
	bool missing;
	if (open_ctl(cg, "devices", where, &d, &missing, err) < 0)
		return -1;
	if (missing)
		return no_controller(cg, where, "devices", "devices", err);
	_cleanup_free_ struct oci_device_rule *rules = NULL;
	size_t n = 0;
	if (volt_cg_device_rules(r, &rules, &n) < 0)
		return volt_err(err, ENOMEM, "%s.devices", where);
	for (size_t i = 0; i < n; i++) {
		const struct oci_device_rule *x = &rules[i];
		char line[80], maj[24] = "*", min[24] = "*", field[80];
		if (x->major >= 0)
			snprintf(maj, sizeof maj, "%" PRId64, x->major);
		if (x->minor >= 0)
			snprintf(min, sizeof min, "%" PRId64, x->minor);
		if (x->type == 'a')
			snprintf(line, sizeof line, "a"); /* the whole list, whatever the numbers say */
		else
			snprintf(line, sizeof line, "%c %s:%s %s", x->type, maj, min, x->access);
		snprintf(field, sizeof field, "devices (rule \"%.40s\")", line);
		if (volt_cg_set(&d, field, x->allow ? "devices.allow" : "devices.deny", line, err) < 0)
			return -1;
	}
	return 0;
}

static int network(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		   struct volt_error *err)
{
	if (r->net_class_id.set) {
		_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
		bool missing;
		if (open_ctl(cg, "net_cls", where, &d, &missing, err) < 0)
			return -1;
		if (missing)
			return no_controller(cg, where, "network.classID", "net_cls", err);
		if (volt_cg_set_u64(&d, "network.classID", "net_cls.classid", r->net_class_id.v, err) < 0)
			return -1;
	}
	if (r->n_net_priorities) {
		_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
		bool missing;
		if (open_ctl(cg, "net_prio", where, &d, &missing, err) < 0)
			return -1;
		if (missing)
			return no_controller(cg, where, "network.priorities", "net_prio", err);
		for (size_t i = 0; i < r->n_net_priorities; i++) {
			char line[128], field[48];
			snprintf(line, sizeof line, "%s %" PRIu32, r->net_priorities[i].name,
				 r->net_priorities[i].priority);
			snprintf(field, sizeof field, "network.priorities[%zu]", i);
			if (volt_cg_set(&d, field, "net_prio.ifpriomap", line, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int hugetlb(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		   struct volt_error *err)
{
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.cg = cg, .where = where, .fd = -1};
	ssize_t h = volt_cg_find_hier(cg, "hugetlb");
	bool v2 = false;
	if (h < 0) {
		/* the hybrid layout keeps hugetlb on its cgroup2 mount */
		h = volt_cg_find_hier(cg, NULL);
		v2 = true;
		if (h < 0)
			return no_controller(cg, where, "hugepageLimits", "hugetlb", err);
		if (volt_cg_v2_delegate(cg, (size_t)h, "hugetlb", "hugepageLimits", err) < 0)
			return -1;
	}
	d.h = (size_t)h;
	d.fd = volt_cg_open_leaf(cg, d.h);
	if (d.fd < 0)
		return volt_err(err, -d.fd, "%s.hugepageLimits: open cgroup %s%s", where,
				cg->hier[h].mountpoint, cg->path);
	if (v2)
		return volt_cg_v2_hugetlb(&d, r, err);
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct oci_hugepage_limit *l = &r->hugepage_limits[i];
		char file[64], field[48];
		snprintf(field, sizeof field, "hugepageLimits[%zu]", i);
		if (!volt_cg_valid_page_size(l->page_size))
			return volt_err(err, -EINVAL, "%s.%s.pageSize: \"%s\" is not a size like 2MB", where,
					field, l->page_size);
		snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", l->page_size);
		if (!cg->fake && !volt_cg_has_file(&d, file))
			return volt_cg_unsupported(&d, field, file, err);
		if (volt_cg_set_u64(&d, field, file, l->limit, err) < 0)
			return -1;
	}
	return 0;
}

static int unified(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		   struct volt_error *err)
{
	ssize_t h = volt_cg_find_hier(cg, NULL);
	if (h < 0)
		return volt_err(err, -EOPNOTSUPP, "%s.unified: needs cgroup v2 (no cgroup2 mount under %s)",
				where, cg->root);
	_cleanup_(cg_dir_close) struct volt_cg_dir d = {.cg = cg, .h = (size_t)h, .where = where, .fd = -1};
	d.fd = volt_cg_open_leaf(cg, d.h);
	if (d.fd < 0)
		return volt_err(err, -d.fd, "%s.unified: open cgroup %s%s", where, cg->hier[h].mountpoint,
				cg->path);
	return volt_cg_v2_unified(&d, r, true, err);
}

int volt_cg_v1_apply(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		     struct volt_error *err)
{
	if (!r->present)
		return 0;
	if (r->has_memory && memory(cg, &r->memory, where, err) < 0)
		return -1;
	if (r->has_cpu && cpu(cg, &r->cpu, where, err) < 0)
		return -1;
	if (r->has_pids && r->pids_limit.set) {
		_cleanup_(cg_dir_close) struct volt_cg_dir d = {.fd = -1};
		bool missing;
		if (open_ctl(cg, "pids", where, &d, &missing, err) < 0)
			return -1;
		if (missing)
			return no_controller(cg, where, "pids.limit", "pids", err);
		char buf[24];
		if (r->pids_limit.v > 0)
			snprintf(buf, sizeof buf, "%" PRId64, r->pids_limit.v);
		else
			snprintf(buf, sizeof buf, "max");
		if (volt_cg_set(&d, "pids.limit", "pids.max", buf, err) < 0)
			return -1;
	}
	if (r->has_blkio && blkio(cg, &r->blkio, where, err) < 0)
		return -1;
	if (r->n_hugepage_limits && hugetlb(cg, r, where, err) < 0)
		return -1;
	if (r->n_devices && devices(cg, r, where, err) < 0)
		return -1;
	if (r->has_network && network(cg, r, where, err) < 0)
		return -1;
	if (r->unified.n && unified(cg, r, where, err) < 0)
		return -1;
	return 0;
}
