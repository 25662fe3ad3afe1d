/* process.landlock of config.json, in the shape of runtime-spec PR #1241:
 *
 *   "landlock": {
 *     "handledAccess": {"handledAccessFS": [...], "handledAccessNetwork": [...]},
 *     "rules": {"pathBeneath": [{"allowedAccess": [...], "paths": [...]}],
 *               "networkPort": [{"allowedAccess": [...], "ports": [...]}]},
 *     "enableBestEffort": true
 *   }
 *
 * Every access list may also be a JSON integer (the kernel's bit mask), so a
 * right newer than this parser can be used without a new release.
 * A missing handled set defaults to the union of what the rules of its kind
 * grant: "allow write_file beneath /data" then means "no write_file
 * elsewhere", and rights no rule mentions stay unrestricted. Handling every
 * right instead would deny the whole container all reads the moment one
 * write rule is given. */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "config-parse.h"
#include "landlock.h"

static const char *const fs_names[] = {
    "execute",	 "write_file", "read_file", "read_dir",	 "remove_dir", "remove_file",
    "make_char", "make_dir",   "make_reg",  "make_sock", "make_fifo",  "make_block",
    "make_sym",	 "refer",      "truncate",  "ioctl_dev",
};
static const char *const net_names[] = {"bind", "connect"};

static const char *const *names_of(enum oci_landlock_kind k, size_t *n)
{
	if (k == OCI_LANDLOCK_NET) {
		*n = sizeof net_names / sizeof net_names[0];
		return net_names;
	}
	*n = sizeof fs_names / sizeof fs_names[0];
	return fs_names;
}

uint64_t oci_landlock_access_from_name(enum oci_landlock_kind k, const char *name)
{
	size_t n;
	const char *const *names = names_of(k, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1ULL << i;
	return 0;
}

const char *oci_landlock_access_name(enum oci_landlock_kind k, uint64_t bit)
{
	size_t n;
	const char *const *names = names_of(k, &n);
	for (size_t i = 0; i < n; i++)
		if (bit == 1ULL << i)
			return names[i];
	return NULL;
}

/* An access list: array of names or an integer mask. */
static int parse_access(const struct jp_ctx *c, const struct jp *p, yajl_val v, enum oci_landlock_kind k,
			uint64_t *out)
{
	*out = 0;
	if (YAJL_IS_NUMBER(v))
		return jp_u64(c, p, v, out);
	if (!YAJL_IS_ARRAY(v))
		return jp_fail(c, p, "expected array of access names or an integer mask");
	for (size_t i = 0; i < v->u.array.len; i++) {
		struct jp ep = JP_IDX(p, i);
		yajl_val e = v->u.array.values[i];
		if (!YAJL_IS_STRING(e))
			return jp_fail(c, &ep, "expected string");
		uint64_t bit = oci_landlock_access_from_name(k, e->u.string);
		if (!bit)
			return jp_fail(c, &ep, "unknown %saccess \"%s\"",
				       k == OCI_LANDLOCK_NET ? "network " : "", e->u.string);
		*out |= bit;
	}
	return 0;
}

static int parse_rule_access(const struct jp_ctx *c, const struct jp *p, yajl_val rule,
			     enum oci_landlock_kind k, uint64_t *out)
{
	struct jp ap = JP_KEY(p, "allowedAccess");
	yajl_val v = jp_get(rule, "allowedAccess");
	if (!v)
		return jp_fail(c, &ap, "missing required field");
	if (parse_access(c, &ap, v, k, out) < 0)
		return -1;
	/* The kernel refuses a rule that grants nothing (ENOMSG). */
	return *out ? 0 : jp_fail(c, &ap, "must grant at least one right");
}

static int parse_path_rule(const struct jp_ctx *c, const struct jp *p, yajl_val v,
			   struct oci_landlock_path_rule *r)
{
	if (jp_object(c, p, v) < 0 || parse_rule_access(c, p, v, OCI_LANDLOCK_FS, &r->allowed_access) < 0 ||
	    jp_f_strv(c, p, v, "paths", true, &r->paths) < 0)
		return -1;
	struct jp pp = JP_KEY(p, "paths");
	if (r->paths.n == 0)
		return jp_fail(c, &pp, "must not be empty");
	for (size_t i = 0; i < r->paths.n; i++) {
		struct jp ep = JP_IDX(&pp, i);
		if (r->paths.v[i][0] != '/')
			return jp_fail(c, &ep, "must be an absolute path (got \"%s\")", r->paths.v[i]);
	}
	return 0;
}

static int parse_port_rule(const struct jp_ctx *c, const struct jp *p, yajl_val v,
			   struct oci_landlock_port_rule *r)
{
	if (jp_object(c, p, v) < 0 || parse_rule_access(c, p, v, OCI_LANDLOCK_NET, &r->allowed_access) < 0)
		return -1;
	struct jp pp = JP_KEY(p, "ports");
	yajl_val ports = jp_get(v, "ports");
	if (!ports)
		return jp_fail(c, &pp, "missing required field");
	if (jp_array(c, &pp, ports, sizeof *r->ports, (void **)&r->ports, &r->n_ports) < 0)
		return -1;
	if (r->n_ports == 0)
		return jp_fail(c, &pp, "must not be empty");
	for (size_t i = 0; i < r->n_ports; i++) {
		struct jp ep = JP_IDX(&pp, i);
		if (jp_u64(c, &ep, ports->u.array.values[i], &r->ports[i]) < 0)
			return -1;
		if (r->ports[i] > 65535)
			return jp_fail(c, &ep, "must be a port between 0 and 65535 (got %llu)",
				       (unsigned long long)r->ports[i]);
	}
	return 0;
}

static int parse_rules(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_landlock *l)
{
	struct jp rp = JP_KEY(p, "rules");
	yajl_val rules = jp_get(o, "rules");
	if (!rules)
		return 0;
	if (jp_object(c, &rp, rules) < 0)
		return -1;

	struct jp bp = JP_KEY(&rp, "pathBeneath");
	yajl_val b = jp_get(rules, "pathBeneath");
	if (b) {
		if (jp_array(c, &bp, b, sizeof *l->path_beneath, (void **)&l->path_beneath,
			     &l->n_path_beneath) < 0)
			return -1;
		for (size_t i = 0; i < l->n_path_beneath; i++) {
			struct jp ep = JP_IDX(&bp, i);
			if (parse_path_rule(c, &ep, b->u.array.values[i], &l->path_beneath[i]) < 0)
				return -1;
		}
	}

	struct jp np = JP_KEY(&rp, "networkPort");
	yajl_val n = jp_get(rules, "networkPort");
	if (n) {
		if (jp_array(c, &np, n, sizeof *l->network_port, (void **)&l->network_port,
			     &l->n_network_port) < 0)
			return -1;
		for (size_t i = 0; i < l->n_network_port; i++) {
			struct jp ep = JP_IDX(&np, i);
			if (parse_port_rule(c, &ep, n->u.array.values[i], &l->network_port[i]) < 0)
				return -1;
		}
	}
	return 0;
}

/* One handled set: given, or the union of the rules' rights. 1 if given. */
static int parse_handled(const struct jp_ctx *c, const struct jp *hp, yajl_val handled, const char *key,
			 enum oci_landlock_kind k, uint64_t rules_union, uint64_t *out)
{
	struct jp fp = JP_KEY(hp, key);
	yajl_val v = jp_get(handled, key);
	if (!v) {
		*out = rules_union;
		return 0;
	}
	return parse_access(c, &fp, v, k, out) < 0 ? -1 : 1;
}

static void describe_access(enum oci_landlock_kind k, uint64_t bits, char *buf, size_t size)
{
	uint64_t bit = bits & -bits; /* the lowest one is enough to point at the mistake */
	const char *name = oci_landlock_access_name(k, bit);
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "access bit %d", __builtin_ctzll(bit));
}

/* The kernel refuses a rule granting a right its ruleset does not handle. */
static int check_subset(const struct jp_ctx *c, const struct jp *rule, enum oci_landlock_kind k,
			uint64_t granted, uint64_t handled, const char *handled_field)
{
	if (!(granted & ~handled))
		return 0;
	char what[64];
	describe_access(k, granted & ~handled, what, sizeof what);
	struct jp ap = JP_KEY(rule, "allowedAccess");
	return jp_fail(c, &ap, "grants %s, which handledAccess.%s does not handle", what, handled_field);
}

int oci_cfg_landlock(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_landlock *l)
{
	memset(l, 0, sizeof *l);
	l->enable_best_effort = true;
	if (jp_object(c, p, v) < 0 ||
	    jp_f_bool(c, p, v, "enableBestEffort", false, &l->enable_best_effort) < 0 ||
	    parse_rules(c, p, v, l) < 0)
		return -1;

	uint64_t fs_union = 0, net_union = 0;
	for (size_t i = 0; i < l->n_path_beneath; i++)
		fs_union |= l->path_beneath[i].allowed_access;
	for (size_t i = 0; i < l->n_network_port; i++)
		net_union |= l->network_port[i].allowed_access;

	struct jp hp = JP_KEY(p, "handledAccess");
	yajl_val handled = jp_get(v, "handledAccess");
	if (handled && jp_object(c, &hp, handled) < 0)
		return -1;
	int fs_given = parse_handled(c, &hp, handled, "handledAccessFS", OCI_LANDLOCK_FS, fs_union,
				     &l->handled_access_fs);
	int net_given = parse_handled(c, &hp, handled, "handledAccessNetwork", OCI_LANDLOCK_NET, net_union,
				      &l->handled_access_net);
	if (fs_given < 0 || net_given < 0)
		return -1;
	if (!l->handled_access_fs && !l->handled_access_net)
		return jp_fail(c, p, "restricts nothing: give handledAccess or rules");

	struct jp rp = JP_KEY(p, "rules");
	struct jp bp = JP_KEY(&rp, "pathBeneath"), np = JP_KEY(&rp, "networkPort");
	for (size_t i = 0; i < l->n_path_beneath; i++) {
		struct jp ep = JP_IDX(&bp, i);
		if (check_subset(c, &ep, OCI_LANDLOCK_FS, l->path_beneath[i].allowed_access,
				 l->handled_access_fs, "handledAccessFS") < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_network_port; i++) {
		struct jp ep = JP_IDX(&np, i);
		if (check_subset(c, &ep, OCI_LANDLOCK_NET, l->network_port[i].allowed_access,
				 l->handled_access_net, "handledAccessNetwork") < 0)
			return -1;
	}
	l->present = true;
	return 0;
}

int oci_landlock_parse(struct volt_arena *a, const char *json, size_t len, struct oci_landlock *out,
		       struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "landlock", err);
	if (!text)
		return -1;
	yajl_val root = jp_parse(text, "landlock", err);
	if (!root)
		return -1;
	struct jp_ctx c = {.a = a, .err = err};
	struct jp p = JP_KEY(NULL, "landlock");
	int r = oci_cfg_landlock(&c, &p, root, out);
	yajl_tree_free(root);
	return r;
}
