/* linux.resources of config.json, also parsed alone for `update --resources`. */
#include <string.h>

#include "cleanup.h"
#include "config-parse.h"

static int parse_device_rule(const struct jp_ctx *c, const struct jp *p, yajl_val e,
			     struct oci_device_rule *d)
{
	char *type = NULL;
	if (jp_object(c, p, e) < 0 || jp_f_bool(c, p, e, "allow", true, &d->allow) < 0 ||
	    jp_f_str(c, p, e, "type", false, &type) < 0 || jp_f_str(c, p, e, "access", false, &d->access) < 0)
		return -1;
	d->type = 'a';
	if (type) {
		if (strlen(type) != 1 || !strchr("acb", type[0])) {
			struct jp tp = JP_KEY(p, "type");
			return jp_fail(c, &tp, "unknown device type \"%s\" (want a, c or b)", type);
		}
		d->type = type[0];
	}
	d->major = d->minor = -1;
	if (jp_f_i64(c, p, e, "major", false, &d->major) < 0 ||
	    jp_f_i64(c, p, e, "minor", false, &d->minor) < 0)
		return -1;
	if (d->access && strspn(d->access, "rwm") != strlen(d->access)) {
		struct jp ap = JP_KEY(p, "access");
		return jp_fail(c, &ap, "invalid access \"%s\" (want a subset of rwm)", d->access);
	}
	return 0;
}

static int parse_device_rules(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_resources *r)
{
	struct jp dp = JP_KEY(p, "devices");
	yajl_val v = jp_get(o, "devices");
	if (!v)
		return 0;
	if (jp_array(c, &dp, v, sizeof *r->devices, (void **)&r->devices, &r->n_devices) < 0)
		return -1;
	for (size_t i = 0; i < r->n_devices; i++) {
		struct jp ep = JP_IDX(&dp, i);
		if (parse_device_rule(c, &ep, v->u.array.values[i], &r->devices[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_memory(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_memory *m)
{
	if (jp_object(c, p, v) < 0 || jp_f_opt_i64(c, p, v, "limit", &m->limit) < 0 ||
	    jp_f_opt_i64(c, p, v, "reservation", &m->reservation) < 0 ||
	    jp_f_opt_i64(c, p, v, "swap", &m->swap) < 0 || jp_f_opt_i64(c, p, v, "kernel", &m->kernel) < 0 ||
	    jp_f_opt_i64(c, p, v, "kernelTCP", &m->kernel_tcp) < 0 ||
	    jp_f_opt_u64(c, p, v, "swappiness", &m->swappiness) < 0 ||
	    jp_f_opt_bool(c, p, v, "disableOOMKiller", &m->disable_oom_killer) < 0 ||
	    jp_f_opt_bool(c, p, v, "useHierarchy", &m->use_hierarchy) < 0 ||
	    jp_f_opt_bool(c, p, v, "checkBeforeUpdate", &m->check_before_update) < 0)
		return -1;
	return 0;
}

static int parse_cpu(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_cpu *cpu)
{
	if (jp_object(c, p, v) < 0 || jp_f_opt_u64(c, p, v, "shares", &cpu->shares) < 0 ||
	    jp_f_opt_i64(c, p, v, "quota", &cpu->quota) < 0 ||
	    jp_f_opt_u64(c, p, v, "burst", &cpu->burst) < 0 ||
	    jp_f_opt_u64(c, p, v, "period", &cpu->period) < 0 ||
	    jp_f_opt_i64(c, p, v, "realtimeRuntime", &cpu->realtime_runtime) < 0 ||
	    jp_f_opt_u64(c, p, v, "realtimePeriod", &cpu->realtime_period) < 0 ||
	    jp_f_opt_i64(c, p, v, "idle", &cpu->idle) < 0 ||
	    jp_f_str(c, p, v, "cpus", false, &cpu->cpus) < 0 ||
	    jp_f_str(c, p, v, "mems", false, &cpu->mems) < 0)
		return -1;
	return 0;
}

static int parse_throttle(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *key,
			  struct oci_blkio_throttle **out, size_t *n)
{
	struct jp tp = JP_KEY(p, key);
	yajl_val v = jp_get(o, key);
	if (!v)
		return 0;
	if (jp_array(c, &tp, v, sizeof **out, (void **)out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct jp ep = JP_IDX(&tp, i);
		yajl_val e = v->u.array.values[i];
		struct oci_blkio_throttle *t = &(*out)[i];
		if (jp_object(c, &ep, e) < 0 || jp_f_i64(c, &ep, e, "major", true, &t->major) < 0 ||
		    jp_f_i64(c, &ep, e, "minor", true, &t->minor) < 0 ||
		    jp_f_u64(c, &ep, e, "rate", true, &t->rate) < 0)
			return -1;
	}
	return 0;
}

static int parse_blkio(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_blkio *b)
{
	if (jp_object(c, p, v) < 0 || jp_f_opt_u64(c, p, v, "weight", &b->weight) < 0 ||
	    jp_f_opt_u64(c, p, v, "leafWeight", &b->leaf_weight) < 0)
		return -1;
	struct jp wp = JP_KEY(p, "weightDevice");
	yajl_val w = jp_get(v, "weightDevice");
	if (w) {
		if (jp_array(c, &wp, w, sizeof *b->weight_device, (void **)&b->weight_device,
			     &b->n_weight_device) < 0)
			return -1;
		for (size_t i = 0; i < b->n_weight_device; i++) {
			struct jp ep = JP_IDX(&wp, i);
			yajl_val e = w->u.array.values[i];
			struct oci_blkio_weight_device *d = &b->weight_device[i];
			if (jp_object(c, &ep, e) < 0 || jp_f_i64(c, &ep, e, "major", true, &d->major) < 0 ||
			    jp_f_i64(c, &ep, e, "minor", true, &d->minor) < 0 ||
			    jp_f_opt_u64(c, &ep, e, "weight", &d->weight) < 0 ||
			    jp_f_opt_u64(c, &ep, e, "leafWeight", &d->leaf_weight) < 0)
				return -1;
		}
	}
	if (parse_throttle(c, p, v, "throttleReadBpsDevice", &b->throttle_read_bps, &b->n_throttle_read_bps) <
		0 ||
	    parse_throttle(c, p, v, "throttleWriteBpsDevice", &b->throttle_write_bps,
			   &b->n_throttle_write_bps) < 0 ||
	    parse_throttle(c, p, v, "throttleReadIOPSDevice", &b->throttle_read_iops,
			   &b->n_throttle_read_iops) < 0 ||
	    parse_throttle(c, p, v, "throttleWriteIOPSDevice", &b->throttle_write_iops,
			   &b->n_throttle_write_iops) < 0)
		return -1;
	return 0;
}

static int parse_hugepages(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_resources *r)
{
	struct jp hp = JP_KEY(p, "hugepageLimits");
	yajl_val v = jp_get(o, "hugepageLimits");
	if (!v)
		return 0;
	if (jp_array(c, &hp, v, sizeof *r->hugepage_limits, (void **)&r->hugepage_limits,
		     &r->n_hugepage_limits) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		struct jp ep = JP_IDX(&hp, i);
		yajl_val e = v->u.array.values[i];
		struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		if (jp_object(c, &ep, e) < 0 || jp_f_str(c, &ep, e, "pageSize", true, &h->page_size) < 0 ||
		    jp_f_u64(c, &ep, e, "limit", true, &h->limit) < 0)
			return -1;
	}
	return 0;
}

static int parse_network(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_resources *r)
{
	uint32_t class_id = 0;
	int got = jp_object(c, p, v) < 0 ? -1 : jp_f_u32(c, p, v, "classID", false, &class_id);
	if (got < 0)
		return -1;
	r->net_class_id.set = got > 0;
	r->net_class_id.v = got > 0 ? class_id : 0;
	struct jp pp = JP_KEY(p, "priorities");
	yajl_val a = jp_get(v, "priorities");
	if (!a)
		return 0;
	if (jp_array(c, &pp, a, sizeof *r->net_priorities, (void **)&r->net_priorities,
		     &r->n_net_priorities) < 0)
		return -1;
	for (size_t i = 0; i < r->n_net_priorities; i++) {
		struct jp ep = JP_IDX(&pp, i);
		yajl_val e = a->u.array.values[i];
		struct oci_net_priority *np = &r->net_priorities[i];
		if (jp_object(c, &ep, e) < 0 || jp_f_str(c, &ep, e, "name", true, &np->name) < 0 ||
		    jp_f_u32(c, &ep, e, "priority", true, &np->priority) < 0)
			return -1;
	}
	return 0;
}

int oci_cfg_resources(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_resources *r)
{
	if (jp_object(c, p, v) < 0 || parse_device_rules(c, p, v, r) < 0)
		return -1;
	r->present = true;

	yajl_val s;
	struct jp mp = JP_KEY(p, "memory"), cp = JP_KEY(p, "cpu"), pp = JP_KEY(p, "pids"),
		  bp = JP_KEY(p, "blockIO"), np = JP_KEY(p, "network");
	if ((s = jp_get(v, "memory"))) {
		if (parse_memory(c, &mp, s, &r->memory) < 0)
			return -1;
		r->has_memory = true;
	}
	if ((s = jp_get(v, "cpu"))) {
		if (parse_cpu(c, &cp, s, &r->cpu) < 0)
			return -1;
		r->has_cpu = true;
	}
	if ((s = jp_get(v, "pids"))) {
		/* limit was required before runtime-spec 1.3; an empty object sets nothing. */
		if (jp_object(c, &pp, s) < 0 || jp_f_opt_i64(c, &pp, s, "limit", &r->pids_limit) < 0)
			return -1;
		r->has_pids = true;
	}
	if ((s = jp_get(v, "blockIO"))) {
		if (parse_blkio(c, &bp, s, &r->blkio) < 0)
			return -1;
		r->has_blkio = true;
	}
	if ((s = jp_get(v, "network"))) {
		if (parse_network(c, &np, s, r) < 0)
			return -1;
		r->has_network = true;
	}
	if (parse_hugepages(c, p, v, r) < 0 || jp_f_map(c, p, v, "unified", false, &r->unified) < 0)
		return -1;
	return 0;
}

int oci_resources_parse(struct volt_arena *a, const char *json, size_t len, struct oci_resources *out,
			struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "resources", err);
	if (!text)
		return -1;
	yajl_val root = jp_parse(text, "resources", err);
	if (!root)
		return -1;
	struct jp_ctx c = {.a = a, .err = err};
	struct jp p = JP_KEY(NULL, "resources");
	int r = oci_cfg_resources(&c, &p, root, out);
	yajl_tree_free(root);
	return r;
}
