/* linux.seccomp -> BPF. libseccomp builds the program (it knows every
 * arch's syscall numbers); we export it and load it ourselves so that the
 * OCI flags and the listener fd are ours to handle. */
#include "seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static const char *const action_names[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",	  "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",	       "SCMP_ACT_LOG",	       "SCMP_ACT_NOTIFY", NULL,
};

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};
static const char *const op_names[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const struct {
	const char *name;
	uint32_t token;
} archs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};
static const char *const arch_names[] = {
    "SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",		"SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",	"SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	"SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	NULL,
};

static const struct {
	const char *name;
	unsigned int flag;
} flag_table[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};
static const char *const flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

const char *const *volt_seccomp_actions(void)
{
	return action_names;
}
const char *const *volt_seccomp_operators(void)
{
	return op_names;
}
const char *const *volt_seccomp_archs(void)
{
	return arch_names;
}
const char *const *volt_seccomp_flag_names(void)
{
	return flag_names;
}

bool volt_seccomp_audit_requested(const struct oci_map *annotations)
{
	const char *v = oci_map_get(annotations, VOLT_ANN_SECCOMP_AUDIT);
	return v && strcmp(v, "true") == 0;
}

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The libseccomp action for an OCI action name; errno_ret applies to
 * ERRNO and TRACE (EPERM when absent, like runc). */
static int map_action(const char *name, bool has_errno, uint32_t errno_ret, bool audit, uint32_t *out)
{
	uint32_t e = has_errno ? errno_ret : EPERM;
	bool deny = true;
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else {
		deny = false;
		if (!strcmp(name, "SCMP_ACT_TRACE"))
			*out = SCMP_ACT_TRACE(e);
		else if (!strcmp(name, "SCMP_ACT_ALLOW"))
			*out = SCMP_ACT_ALLOW;
		else if (!strcmp(name, "SCMP_ACT_LOG"))
			*out = SCMP_ACT_LOG;
		else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
			*out = SCMP_ACT_NOTIFY;
		else
			return -1;
	}
	if (deny && audit)
		*out = SCMP_ACT_NOTIFY;
	return 0;
}

static int map_op(const char *name, enum scmp_compare *out)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(ops[i].name, name)) {
			*out = ops[i].op;
			return 0;
		}
	return -1;
}

int volt_seccomp_parse_flags(const struct oci_strv *flags, unsigned int *out, struct volt_error *err)
{
	*out = 0;
	for (size_t i = 0; i < flags->n; i++) {
		size_t k = 0;
		while (k < sizeof flag_table / sizeof flag_table[0] &&
		       strcmp(flag_table[k].name, flags->v[i]))
			k++;
		if (k == sizeof flag_table / sizeof flag_table[0])
			return volt_err(err, -EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
					flags->v[i]);
		*out |= flag_table[k].flag;
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, const struct oci_strv *a, struct volt_error *err)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t k = 0;
		while (k < sizeof archs / sizeof archs[0] && strcmp(archs[k].name, a->v[i]))
			k++;
		if (k == sizeof archs / sizeof archs[0])
			return volt_err(err, -EINVAL,
					"linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
					a->v[i]);
		int r = seccomp_arch_add(ctx, archs[k].token);
		if (r < 0 && r != -EEXIST)
			return volt_err(err, -r, "linux.seccomp.architectures[%zu] %s", i, a->v[i]);
	}
	return 0;
}

/* OCI: the conditions of one rule are ANDed. libseccomp cannot AND two
 * conditions on the same argument, so such a rule becomes one rule per
 * condition (runc does the same). */
static bool repeated_index(const struct oci_seccomp_syscall *sc)
{
	for (size_t i = 0; i < sc->n_args; i++)
		for (size_t j = i + 1; j < sc->n_args; j++)
			if (sc->args[i].index == sc->args[j].index)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, size_t i, const struct oci_seccomp_syscall *sc, uint32_t action,
		    struct volt_error *err)
{
	struct scmp_arg_cmp cmp[6];
	size_t n = sc->n_args;
	if (n > 6)
		return volt_err(err, -EINVAL, "linux.seccomp.syscalls[%zu].args: at most 6", i);
	for (size_t k = 0; k < n; k++) {
		const struct oci_seccomp_arg *a = &sc->args[k];
		enum scmp_compare op;
		if (map_op(a->op, &op) < 0)
			return volt_err(err, -EINVAL,
					"linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"",
					i, k, a->op);
		cmp[k] = (struct scmp_arg_cmp){
		    .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
	}
	bool split = repeated_index(sc);
	for (size_t j = 0; j < sc->names.n; j++) {
		int nr = seccomp_syscall_resolve_name(sc->names.v[j]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp: names vary per kernel and arch */
		int r = 0;
		if (split) {
			for (size_t k = 0; k < n && r >= 0; k++)
				r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[k]);
		} else {
			r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)n, cmp);
		}
		/* A negative number is a syscall the native arch lacks: fine when no
		 * arch of the filter has it either. */
		if (r < 0 && !(nr < 0 && (r == -EDOM || r == -EINVAL)))
			return volt_err(err, -r, "linux.seccomp.syscalls[%zu].names[%zu] %s", i, j,
					sc->names.v[j]);
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, struct volt_error *err)
{
	_cleanup_close_ int fd = memfd_create("volt-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "linux.seccomp: memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return volt_err(err, -r, "linux.seccomp: export the filter");
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter))
		return volt_err(err, -EINVAL, "linux.seccomp: exported filter has size %lld",
				(long long)size);
	struct sock_filter *f = malloc((size_t)size);
	if (!f)
		return volt_err(err, -ENOMEM, "linux.seccomp");
	if (pread(fd, f, (size_t)size, 0) != size) {
		free(f);
		return volt_err(err, errno ? errno : EIO, "linux.seccomp: read the filter back");
	}
	out->filter = f;
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	if ((size_t)out->len * sizeof(struct sock_filter) != (size_t)size) {
		free(f);
		out->filter = NULL;
		out->len = 0;
		return volt_err(err, -E2BIG, "linux.seccomp: the filter is too large");
	}
	return 0;
}

int volt_seccomp_compile(const struct oci_seccomp *s, const struct volt_seccomp_compile_opts *o,
			 struct volt_seccomp_filter *out, struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	if (!s->present)
		return 0;
	bool audit = o && o->audit;
	uint32_t def;
	if (!s->default_action ||
	    map_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret, audit, &def) < 0)
		return volt_err(err, -EINVAL, "linux.seccomp.defaultAction: unknown action \"%s\"",
				s->default_action ? s->default_action : "");
	unsigned int flags;
	if (volt_seccomp_parse_flags(&s->flags, &flags, err) < 0)
		return -1;
	_cleanup_(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return volt_err(err, -EINVAL, "linux.seccomp: libseccomp cannot make a filter");
	/* We load the program ourselves: no_new_privs is process.noNewPrivileges' business. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (add_arches(ctx, &s->architectures, err) < 0)
		return -1;
	bool notify = def == SCMP_ACT_NOTIFY;
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		uint32_t act;
		if (map_action(sc->action, sc->has_errno_ret, sc->errno_ret, audit, &act) < 0)
			return volt_err(err, -EINVAL,
					"linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i,
					sc->action);
		if (act == def)
			continue; /* libseccomp refuses rules that repeat the default */
		notify |= act == SCMP_ACT_NOTIFY;
		if (add_rule(ctx, i, sc, act, err) < 0)
			return -1;
	}
	if (audit && notify && o->handoff_fd >= 0 && def != SCMP_ACT_ALLOW) {
		struct scmp_arg_cmp fd_is = {
		    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)o->handoff_fd};
		int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, &fd_is);
		/* -EEXIST: the profile already has its own sendmsg rule; if that
		 * one is a denial the handover would wait on the agent it feeds. */
		if (r < 0 && r != -EEXIST)
			return volt_err(err, -r, "linux.seccomp (audit mode): allow the listener handover");
	}
	if (notify && !s->listener_path && !audit)
		return volt_err(err, -EINVAL, "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
	if (notify && audit && s->listener_path)
		return volt_err(err, -EINVAL,
				"annotations." VOLT_ANN_SECCOMP_AUDIT
				": cannot be combined with linux.seccomp.listenerPath");
	if (notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* The kernel takes TSYNC with a listener only with TSYNC_ESRCH. */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	if (export_bpf(ctx, &out->prog, err) < 0)
		return -1;
	out->flags = flags;
	out->notify = notify;
	return 0;
}

void volt_seccomp_filter_release(struct volt_seccomp_filter *f)
{
	free(f->prog.filter);
	f->prog.filter = NULL;
	f->prog.len = 0;
}

int volt_seccomp_load(const struct sock_fprog *prog, unsigned int flags, const char *what,
		      struct volt_error *err)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (r < 0) {
		if (errno == EINVAL && flags)
			return volt_err(err, EINVAL, "load %s (flags 0x%x: does this kernel know them?)",
					what, flags);
		return volt_err(err, errno, "load %s", what);
	}
	return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int)r : 0;
}
