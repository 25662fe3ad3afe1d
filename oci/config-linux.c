/* The linux object of config.json (resources and seccomp have their own files). */
#include <string.h>

#include "config-parse.h"

static int parse_namespaces(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_linux *l)
{
	struct jp np = JP_KEY(p, "namespaces");
	yajl_val v = jp_get(o, "namespaces");
	if (!v)
		return 0;
	if (jp_array(c, &np, v, sizeof *l->namespaces, (void **)&l->namespaces, &l->n_namespaces) < 0)
		return -1;
	unsigned seen = 0;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		struct jp ep = JP_IDX(&np, i);
		struct jp tp = JP_KEY(&ep, "type");
		struct oci_namespace *ns = &l->namespaces[i];
		yajl_val e = v->u.array.values[i];
		char *type = NULL;
		if (jp_object(c, &ep, e) < 0 || jp_f_str(c, &ep, e, "type", true, &type) < 0 ||
		    jp_f_str(c, &ep, e, "path", false, &ns->path) < 0)
			return -1;
		int t = 0;
		while (t < OCI_NS__COUNT && strcmp(oci_ns_name((enum oci_ns_type)t), type) != 0)
			t++;
		if (t == OCI_NS__COUNT)
			return jp_fail(c, &tp, "unknown namespace type \"%s\"", type);
		if (seen & (1u << t))
			return jp_fail(c, &tp, "duplicate namespace type \"%s\"", type);
		seen |= 1u << t;
		ns->type = (enum oci_ns_type)t;
		if (ns->path && ns->path[0] != '/') {
			struct jp pp = JP_KEY(&ep, "path");
			return jp_fail(c, &pp, "must be an absolute path");
		}
	}
	return 0;
}

static int parse_idmaps(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *key,
			struct oci_idmap **out, size_t *n)
{
	struct jp mp = JP_KEY(p, key);
	yajl_val v = jp_get(o, key);
	if (!v)
		return 0;
	if (jp_array(c, &mp, v, sizeof **out, (void **)out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct jp ep = JP_IDX(&mp, i);
		yajl_val e = v->u.array.values[i];
		struct oci_idmap *m = &(*out)[i];
		if (jp_object(c, &ep, e) < 0 ||
		    jp_f_u32(c, &ep, e, "containerID", true, &m->container_id) < 0 ||
		    jp_f_u32(c, &ep, e, "hostID", true, &m->host_id) < 0 ||
		    jp_f_u32(c, &ep, e, "size", true, &m->size) < 0)
			return -1;
	}
	return 0;
}

static int parse_device(const struct jp_ctx *c, const struct jp *p, yajl_val e, struct oci_device *d)
{
	char *type = NULL;
	if (jp_object(c, p, e) < 0 || jp_f_str(c, p, e, "path", true, &d->path) < 0 ||
	    jp_f_str(c, p, e, "type", true, &type) < 0)
		return -1;
	if (d->path[0] != '/') {
		struct jp pp = JP_KEY(p, "path");
		return jp_fail(c, &pp, "must be an absolute path");
	}
	if (strlen(type) != 1 || !strchr("cbup", type[0])) {
		struct jp tp = JP_KEY(p, "type");
		return jp_fail(c, &tp, "unknown device type \"%s\" (want c, b, u or p)", type);
	}
	d->type = type[0];
	/* A fifo has no numbers; every other kind needs both. */
	bool need_numbers = d->type != 'p';
	int r;
	if (jp_f_i64(c, p, e, "major", need_numbers, &d->major) < 0 ||
	    jp_f_i64(c, p, e, "minor", need_numbers, &d->minor) < 0)
		return -1;
	if ((r = jp_f_u32(c, p, e, "fileMode", false, &d->file_mode)) < 0)
		return -1;
	d->has_file_mode = r > 0;
	if ((r = jp_f_u32(c, p, e, "uid", false, &d->uid)) < 0)
		return -1;
	d->has_uid = r > 0;
	if ((r = jp_f_u32(c, p, e, "gid", false, &d->gid)) < 0)
		return -1;
	d->has_gid = r > 0;
	return 0;
}

static int parse_devices(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_linux *l)
{
	struct jp dp = JP_KEY(p, "devices");
	yajl_val v = jp_get(o, "devices");
	if (!v)
		return 0;
	if (jp_array(c, &dp, v, sizeof *l->devices, (void **)&l->devices, &l->n_devices) < 0)
		return -1;
	for (size_t i = 0; i < l->n_devices; i++) {
		struct jp ep = JP_IDX(&dp, i);
		if (parse_device(c, &ep, v->u.array.values[i], &l->devices[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_propagation(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_linux *l)
{
	static const char *const allowed[] = {"private", "rprivate", "slave",	   "rslave",
					      "shared",	 "rshared",  "unbindable", "runbindable"};
	int r = jp_f_str(c, p, o, "rootfsPropagation", false, &l->rootfs_propagation);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strcmp(allowed[i], l->rootfs_propagation) == 0)
			return 0;
	struct jp rp = JP_KEY(p, "rootfsPropagation");
	return jp_fail(c, &rp, "unknown propagation \"%s\"", l->rootfs_propagation);
}

static int parse_time_offsets(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_linux *l)
{
	struct jp tp = JP_KEY(p, "timeOffsets");
	yajl_val v = jp_get(o, "timeOffsets");
	if (!v)
		return 0;
	if (jp_object(c, &tp, v) < 0)
		return -1;
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *clock = v->u.object.keys[i];
		struct jp cp = JP_KEY(&tp, clock);
		yajl_val e = v->u.object.values[i];
		struct oci_time_offset *off;
		if (strcmp(clock, "monotonic") == 0)
			off = &l->time_monotonic;
		else if (strcmp(clock, "boottime") == 0)
			off = &l->time_boottime;
		else /* the time namespace offsets only these two clocks */
			return jp_fail(c, &cp, "unknown clock (want monotonic or boottime)");
		if (YAJL_IS_NULL(e))
			continue;
		if (jp_object(c, &cp, e) < 0 || jp_f_i64(c, &cp, e, "secs", false, &off->secs) < 0 ||
		    jp_f_u32(c, &cp, e, "nanosecs", false, &off->nanosecs) < 0)
			return -1;
		if (off->nanosecs >= 1000000000u) {
			struct jp np = JP_KEY(&cp, "nanosecs");
			return jp_fail(c, &np, "must be below 1000000000 (got %u)", off->nanosecs);
		}
		off->set = true;
	}
	return 0;
}

static int parse_personality(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_linux *l)
{
	struct jp pp = JP_KEY(p, "personality");
	yajl_val v = jp_get(o, "personality");
	if (!v)
		return 0;
	if (jp_object(c, &pp, v) < 0 || jp_f_str(c, &pp, v, "domain", true, &l->personality_domain) < 0)
		return -1;
	if (strcmp(l->personality_domain, "LINUX") != 0 && strcmp(l->personality_domain, "LINUX32") != 0) {
		struct jp dp = JP_KEY(&pp, "domain");
		return jp_fail(c, &dp, "unknown domain \"%s\" (want LINUX or LINUX32)",
			       l->personality_domain);
	}
	return 0;
}

int oci_cfg_linux(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_linux *l)
{
	if (jp_object(c, p, v) < 0 || parse_namespaces(c, p, v, l) < 0 ||
	    parse_idmaps(c, p, v, "uidMappings", &l->uid_mappings, &l->n_uid_mappings) < 0 ||
	    parse_idmaps(c, p, v, "gidMappings", &l->gid_mappings, &l->n_gid_mappings) < 0 ||
	    parse_devices(c, p, v, l) < 0 || jp_f_str(c, p, v, "cgroupsPath", false, &l->cgroups_path) < 0 ||
	    jp_f_map(c, p, v, "sysctl", false, &l->sysctl) < 0 || parse_propagation(c, p, v, l) < 0 ||
	    jp_f_strv(c, p, v, "maskedPaths", false, &l->masked_paths) < 0 ||
	    jp_f_strv(c, p, v, "readonlyPaths", false, &l->readonly_paths) < 0 ||
	    jp_f_str(c, p, v, "mountLabel", false, &l->mount_label) < 0 ||
	    parse_time_offsets(c, p, v, l) < 0 || parse_personality(c, p, v, l) < 0)
		return -1;

	yajl_val r = jp_get(v, "resources");
	if (r) {
		struct jp rp = JP_KEY(p, "resources");
		if (oci_cfg_resources(c, &rp, r, &l->resources) < 0)
			return -1;
	}
	yajl_val s = jp_get(v, "seccomp");
	if (s) {
		struct jp sp = JP_KEY(p, "seccomp");
		if (oci_cfg_seccomp(c, &sp, s, &l->seccomp) < 0)
			return -1;
	}
	return 0;
}
