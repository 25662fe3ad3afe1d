/* The process object of config.json, also parsed alone for `exec --process`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "config-parse.h"
#include "landlock.h"

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int oci_rlimit_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof rlimit_table / sizeof rlimit_table[0]; i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

static int parse_user(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_user *u)
{
	/* uid and gid are required by the spec; like runc, absent means 0. */
	if (jp_object(c, p, v) < 0 || jp_f_u32(c, p, v, "uid", false, &u->uid) < 0 ||
	    jp_f_u32(c, p, v, "gid", false, &u->gid) < 0 ||
	    jp_f_str(c, p, v, "username", false, &u->username) < 0)
		return -1;
	int r = jp_f_u32(c, p, v, "umask", false, &u->umask);
	if (r < 0)
		return -1;
	u->has_umask = r > 0;
	struct jp gp = JP_KEY(p, "additionalGids");
	yajl_val g = jp_get(v, "additionalGids");
	if (!g)
		return 0;
	if (jp_array(c, &gp, g, sizeof *u->additional_gids, (void **)&u->additional_gids,
		     &u->n_additional_gids) < 0)
		return -1;
	for (size_t i = 0; i < u->n_additional_gids; i++) {
		struct jp ep = JP_IDX(&gp, i);
		if (jp_u32(c, &ep, g->u.array.values[i], &u->additional_gids[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_console_size(const struct jp_ctx *c, const struct jp *p, yajl_val o,
			      struct oci_process *proc)
{
	struct jp cp = JP_KEY(p, "consoleSize");
	yajl_val v = jp_get(o, "consoleSize");
	if (!v)
		return 0;
	if (jp_object(c, &cp, v) < 0 || jp_f_u32(c, &cp, v, "height", true, &proc->console_height) < 0 ||
	    jp_f_u32(c, &cp, v, "width", true, &proc->console_width) < 0)
		return -1;
	proc->has_console_size = true;
	return 0;
}

static int parse_capabilities(const struct jp_ctx *c, const struct jp *p, yajl_val o,
			      struct oci_capabilities *caps)
{
	struct jp cp = JP_KEY(p, "capabilities");
	yajl_val v = jp_get(o, "capabilities");
	if (!v)
		return 0;
	if (jp_object(c, &cp, v) < 0)
		return -1;
	caps->present = true;
	struct {
		const char *key;
		bool *has;
		struct oci_strv *set;
	} sets[] = {
	    {"bounding", &caps->has_bounding, &caps->bounding},
	    {"effective", &caps->has_effective, &caps->effective},
	    {"inheritable", &caps->has_inheritable, &caps->inheritable},
	    {"permitted", &caps->has_permitted, &caps->permitted},
	    {"ambient", &caps->has_ambient, &caps->ambient},
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		int r = jp_f_strv(c, &cp, v, sets[i].key, false, sets[i].set);
		if (r < 0)
			return -1;
		*sets[i].has = r > 0;
	}
	return 0;
}

static int parse_rlimit(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_rlimit *rl)
{
	if (jp_object(c, p, v) < 0 || jp_f_str(c, p, v, "type", true, &rl->type) < 0)
		return -1;
	rl->resource = oci_rlimit_from_name(rl->type);
	if (rl->resource < 0) {
		struct jp tp = JP_KEY(p, "type");
		return jp_fail(c, &tp, "unknown rlimit \"%s\"", rl->type);
	}
	if (jp_f_u64(c, p, v, "soft", true, &rl->soft) < 0 || jp_f_u64(c, p, v, "hard", true, &rl->hard) < 0)
		return -1;
	return 0;
}

static int parse_rlimits(const struct jp_ctx *c, const struct jp *p, yajl_val o, struct oci_process *proc)
{
	struct jp rp = JP_KEY(p, "rlimits");
	yajl_val v = jp_get(o, "rlimits");
	if (!v)
		return 0;
	if (jp_array(c, &rp, v, sizeof *proc->rlimits, (void **)&proc->rlimits, &proc->n_rlimits) < 0)
		return -1;
	for (size_t i = 0; i < proc->n_rlimits; i++) {
		struct jp ep = JP_IDX(&rp, i);
		if (parse_rlimit(c, &ep, v->u.array.values[i], &proc->rlimits[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (proc->rlimits[j].resource == proc->rlimits[i].resource) {
				struct jp tp = JP_KEY(&ep, "type");
				return jp_fail(c, &tp, "duplicate rlimit \"%s\"", proc->rlimits[i].type);
			}
		}
	}
	return 0;
}

int oci_cfg_process(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_process *proc)
{
	if (jp_object(c, p, v) < 0 || jp_f_bool(c, p, v, "terminal", false, &proc->terminal) < 0 ||
	    parse_console_size(c, p, v, proc) < 0)
		return -1;
	struct jp up = JP_KEY(p, "user");
	yajl_val u = jp_get(v, "user");
	if (u && parse_user(c, &up, u, &proc->user) < 0)
		return -1;

	struct jp ap = JP_KEY(p, "args");
	if (jp_f_strv(c, p, v, "args", true, &proc->args) < 0)
		return -1;
	if (proc->args.n == 0)
		return jp_fail(c, &ap, "must not be empty");

	struct jp cp = JP_KEY(p, "cwd");
	if (jp_f_str(c, p, v, "commandLine", false, &proc->command_line) < 0 ||
	    jp_f_strv(c, p, v, "env", false, &proc->env) < 0 ||
	    jp_f_str(c, p, v, "cwd", true, &proc->cwd) < 0)
		return -1;
	if (proc->cwd[0] != '/')
		return jp_fail(c, &cp, "must be an absolute path");

	if (parse_capabilities(c, p, v, &proc->capabilities) < 0 || parse_rlimits(c, p, v, proc) < 0 ||
	    jp_f_bool(c, p, v, "noNewPrivileges", false, &proc->no_new_privileges) < 0 ||
	    jp_f_str(c, p, v, "apparmorProfile", false, &proc->apparmor_profile) < 0 ||
	    jp_f_str(c, p, v, "selinuxLabel", false, &proc->selinux_label) < 0)
		return -1;
	int r = jp_f_int(c, p, v, "oomScoreAdj", false, &proc->oom_score_adj);
	if (r < 0)
		return -1;
	proc->has_oom_score_adj = r > 0;
	if (proc->has_oom_score_adj && (proc->oom_score_adj < -1000 || proc->oom_score_adj > 1000)) {
		struct jp op = JP_KEY(p, "oomScoreAdj");
		return jp_fail(c, &op, "must be between -1000 and 1000 (got %d)", proc->oom_score_adj);
	}
	struct jp lp = JP_KEY(p, "landlock");
	yajl_val ll = jp_get(v, "landlock");
	if (ll && oci_cfg_landlock(c, &lp, ll, &proc->landlock) < 0)
		return -1;
	return 0;
}

int oci_process_parse(struct volt_arena *a, const char *json, size_t len, struct oci_process *out,
		      struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "process", err);
	if (!text)
		return -1;
	yajl_val root = jp_parse(text, "process", err);
	if (!root)
		return -1;
	struct jp_ctx c = {.a = a, .err = err};
	struct jp p = JP_KEY(NULL, "process");
	int r = oci_cfg_process(&c, &p, root, out);
	yajl_tree_free(root);
	return r;
}
