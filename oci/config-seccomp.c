/* linux.seccomp of config.json. Actions and operators are checked here so
 * a typo is reported with its JSON path; syscall and arch names are left to
 * the seccomp code, which knows what libseccomp resolves. */
#include <string.h>

#include "config-parse.h"

static bool known_action(const char *a)
{
	static const char *const actions[] = {
	    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
	    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",	       "SCMP_ACT_TRACE",
	    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",	       "SCMP_ACT_NOTIFY",
	};
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(actions[i], a) == 0)
			return true;
	return false;
}

static bool known_op(const char *op)
{
	static const char *const ops[] = {
	    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
	    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i], op) == 0)
			return true;
	return false;
}

static int parse_action(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *key, char **out)
{
	if (jp_f_str(c, p, o, key, true, out) < 0)
		return -1;
	if (!known_action(*out)) {
		struct jp ap = JP_KEY(p, key);
		return jp_fail(c, &ap, "unknown seccomp action \"%s\"", *out);
	}
	return 0;
}

static int parse_arg(const struct jp_ctx *c, const struct jp *p, yajl_val e, struct oci_seccomp_arg *a)
{
	if (jp_object(c, p, e) < 0 || jp_f_u32(c, p, e, "index", true, &a->index) < 0 ||
	    jp_f_u64(c, p, e, "value", true, &a->value) < 0 ||
	    jp_f_u64(c, p, e, "valueTwo", false, &a->value_two) < 0 ||
	    jp_f_str(c, p, e, "op", true, &a->op) < 0)
		return -1;
	struct jp ip = JP_KEY(p, "index"), op = JP_KEY(p, "op");
	if (a->index > 5) /* a syscall has at most six arguments */
		return jp_fail(c, &ip, "must be between 0 and 5 (got %u)", a->index);
	if (!known_op(a->op))
		return jp_fail(c, &op, "unknown seccomp operator \"%s\"", a->op);
	return 0;
}

static int parse_syscall(const struct jp_ctx *c, const struct jp *p, yajl_val e,
			 struct oci_seccomp_syscall *s)
{
	if (jp_object(c, p, e) < 0 || jp_f_strv(c, p, e, "names", true, &s->names) < 0 ||
	    parse_action(c, p, e, "action", &s->action) < 0)
		return -1;
	if (s->names.n == 0) {
		struct jp np = JP_KEY(p, "names");
		return jp_fail(c, &np, "must not be empty");
	}
	int r = jp_f_u32(c, p, e, "errnoRet", false, &s->errno_ret);
	if (r < 0)
		return -1;
	s->has_errno_ret = r > 0;
	struct jp ap = JP_KEY(p, "args");
	yajl_val a = jp_get(e, "args");
	if (!a)
		return 0;
	if (jp_array(c, &ap, a, sizeof *s->args, (void **)&s->args, &s->n_args) < 0)
		return -1;
	for (size_t i = 0; i < s->n_args; i++) {
		struct jp ep = JP_IDX(&ap, i);
		if (parse_arg(c, &ep, a->u.array.values[i], &s->args[i]) < 0)
			return -1;
	}
	return 0;
}

int oci_cfg_seccomp(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_seccomp *s)
{
	if (jp_object(c, p, v) < 0 || parse_action(c, p, v, "defaultAction", &s->default_action) < 0 ||
	    jp_f_strv(c, p, v, "architectures", false, &s->architectures) < 0 ||
	    jp_f_strv(c, p, v, "flags", false, &s->flags) < 0 ||
	    jp_f_str(c, p, v, "listenerPath", false, &s->listener_path) < 0 ||
	    jp_f_str(c, p, v, "listenerMetadata", false, &s->listener_metadata) < 0)
		return -1;
	int r = jp_f_u32(c, p, v, "defaultErrnoRet", false, &s->default_errno_ret);
	if (r < 0)
		return -1;
	s->has_default_errno_ret = r > 0;
	struct jp sp = JP_KEY(p, "syscalls");
	yajl_val a = jp_get(v, "syscalls");
	if (a) {
		if (jp_array(c, &sp, a, sizeof *s->syscalls, (void **)&s->syscalls, &s->n_syscalls) < 0)
			return -1;
		for (size_t i = 0; i < s->n_syscalls; i++) {
			struct jp ep = JP_IDX(&sp, i);
			if (parse_syscall(c, &ep, a->u.array.values[i], &s->syscalls[i]) < 0)
				return -1;
		}
	}
	s->present = true;
	return 0;
}
