#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "oci/cleanup.h"

static const char *env_get(const struct oci_strv *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			return env->v[i] + n + 1;
	return NULL;
}

static bool is_executable_file(const char *path, int *why)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*why = errno;
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		*why = EISDIR;
		return false;
	}
	if (access(path, X_OK) < 0) {
		*why = errno;
		return false;
	}
	return true;
}

int volt_process_find_exec(const struct oci_process *p, char **path, struct volt_error *err)
{
	const char *cmd = p->args.v[0];
	int why = 0;
	if (strchr(cmd, '/')) {
		if (!is_executable_file(cmd, &why)) {
			if (why == ENOENT)
				return volt_err(err, -ENOENT,
						"exec: \"%s\": stat %s: no such file or directory", cmd, cmd);
			return volt_err(err, why, "exec: \"%s\": permission denied", cmd);
		}
		*path = strdup(cmd);
		return *path ? 0 : volt_err(err, -ENOMEM, "exec");
	}
	const char *pathenv = env_get(&p->env, "PATH");
	if (!pathenv)
		pathenv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *dirs = strdup(pathenv);
	if (!dirs)
		return volt_err(err, -ENOMEM, "exec");
	bool denied = false;
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char cand[4096];
		snprintf(cand, sizeof cand, "%s/%s", *d ? d : ".", cmd);
		if (is_executable_file(cand, &why)) {
			*path = strdup(cand);
			return *path ? 0 : volt_err(err, -ENOMEM, "exec");
		}
		if (why == EACCES)
			denied = true;
	}
	if (denied)
		return volt_err(err, -EACCES, "exec: \"%s\": permission denied", cmd);
	return volt_err(err, -ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
}

static int apply_rlimits(const struct oci_process *p, struct volt_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (setrlimit(r->resource, &rl) < 0) {
			struct rlimit cur;
			getrlimit(r->resource, &cur);
			if (errno == EPERM && r->hard > cur.rlim_max)
				return volt_err(
				    err, EPERM,
				    "process.rlimits[%zu] %s: hard limit %llu is above this host's %llu "
				    "and raising it needs CAP_SYS_RESOURCE",
				    i, r->type, (unsigned long long)r->hard,
				    (unsigned long long)cur.rlim_max);
			return volt_err(err, errno, "process.rlimits[%zu] %s", i, r->type);
		}
	}
	return 0;
}

static int apply_ids(const struct oci_process *p, struct volt_error *err)
{
	const struct oci_user *u = &p->user;
	size_t ng = u->n_additional_gids;
	_cleanup_free_ gid_t *groups = calloc(ng ? ng : 1, sizeof *groups);
	if (!groups)
		return volt_err(err, -ENOMEM, "process.user.additionalGids");
	for (size_t i = 0; i < ng; i++)
		groups[i] = u->additional_gids[i];
	if (setgroups(ng, groups) < 0 && !(errno == EPERM && ng == 0))
		return volt_err(err, errno, "process.user.additionalGids");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return volt_err(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return volt_err(err, errno, "process.user.gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return volt_err(err, errno, "process.user.uid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return volt_err(err, errno, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

/* Without no_new_privs, installing seccomp and Landlock needs CAP_SYS_ADMIN
 * in effect: the uid change cleared the effective set, take it back from
 * the still full permitted set for this step only. */
static int raise_effective(struct volt_error *err)
{
	struct volt_caps all = {0};
	if (volt_caps_current_permitted(&all.permitted, err) < 0)
		return -1;
	all.effective = all.permitted;
	all.inheritable = 0;
	return volt_caps_set(&all, err);
}

static int enter_cwd(const char *cwd, struct volt_error *err)
{
	if (chdir(cwd) < 0)
		return volt_err(err, errno, "process.cwd %s", cwd);
	/* A cwd reached through a leaked fd of the host would print as
	 * "(unreachable)/..." or fail: refuse it (CVE-2024-21626 class). */
	char buf[4096];
	if (!getcwd(buf, sizeof buf) || buf[0] != '/')
		return volt_err(err, -EPERM, "process.cwd %s: is outside the container's root", cwd);
	return 0;
}

int volt_process_apply(const struct oci_process *p, int preserve_fds, struct volt_security *sec,
		       const struct volt_state *st, struct volt_error *err)
{
	struct volt_caps caps;
	if (volt_caps_parse(&p->capabilities, &caps, err) < 0)
		return -1;
	if (apply_rlimits(p, err) < 0)
		return -1;
	if (volt_caps_apply_bounding(&caps, err) < 0)
		return -1;
	umask(p->user.has_umask ? (mode_t)p->user.umask : 022);
	if (apply_ids(p, err) < 0)
		return -1;
	if (enter_cwd(p->cwd, err) < 0)
		return -1;
	/* Every fd the runtime holds must not reach the workload (CVE-2024-21626 class). */
	if (syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return volt_err(err, errno, "close_range");
	if (!p->no_new_privileges && sec) {
		if (raise_effective(err) < 0 || volt_security_apply(sec, st, err) < 0)
			return -1;
	}
	if (volt_caps_apply_sets(&caps, err) < 0)
		return -1;
	if (p->no_new_privileges) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return volt_err(err, errno, "process.noNewPrivileges");
		if (sec && volt_security_apply(sec, st, err) < 0)
			return -1;
	}
	return 0;
}

int volt_process_exec(const struct oci_process *p, const char *path, struct volt_error *err)
{
	char *empty[] = {NULL};
	/* The runtime blocks the signals it forwards: the workload must not
	 * inherit that mask. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, p->args.v, p->env.n ? p->env.v : empty);
	int e = errno;
	if (e == ENOENT)
		return volt_err(err, e, "exec: \"%s\": stat %s: no such file or directory", p->args.v[0],
				path);
	if (e == EACCES)
		return volt_err(err, e, "exec: \"%s\": permission denied", p->args.v[0]);
	return volt_err(err, e, "exec: \"%s\"", p->args.v[0]);
}

int volt_process_exec_status(const struct volt_error *err)
{
	return err->errnum == ENOENT ? 127 : err->errnum == EACCES ? 126 : 1;
}
