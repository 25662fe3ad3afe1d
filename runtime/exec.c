#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cgroup.h"
#include "console.h"
#include "namespaces.h"
#include "oci/cleanup.h"
#include "process.h"
#include "profiles.h"
#include "seccomp-host.h"
#include "security.h"
#include "sync.h"
#include "terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Template process: the config's, with the exec options on top. */
static int build_process(struct oci_config *cfg, const struct volt_exec_opts *o, struct volt_error *err)
{
	struct oci_process *p = &cfg->process;
	struct volt_arena *a = &cfg->arena;
	if (o->process_file || o->process_json) {
		struct oci_landlock landlock = p->landlock;
		_cleanup_free_ char *text = NULL;
		size_t n;
		if (volt_exec_read_process(o, &text, &n, err) < 0)
			return -1;
		char *buf = volt_arena_alloc(a, n + 1);
		if (!buf)
			return volt_err(err, ENOMEM, "exec");
		memcpy(buf, text, n + 1);
		if (oci_process_parse(a, buf, n, p, err) < 0)
			return volt_err_ctx(err, "--process %s", o->process_file ? o->process_file : "");
		/* The container's Landlock rules hold for every process in it. */
		if (!p->landlock.present)
			p->landlock = landlock;
	} else {
		if (o->n_args == 0)
			return volt_err(err, -EINVAL, "exec: no command given (ARGS or --process)");
		p->args.v = volt_arena_calloc(a, o->n_args + 1, sizeof(char *));
		if (!p->args.v)
			return volt_err(err, ENOMEM, "exec");
		for (size_t i = 0; i < o->n_args; i++)
			p->args.v[i] = o->args[i];
		p->args.n = o->n_args;
		p->terminal = o->tty;
	}
	if (o->tty)
		p->terminal = true;
	if (o->cwd)
		p->cwd = (char *)o->cwd;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->n_env) {
		char **env = volt_arena_calloc(a, p->env.n + o->n_env + 1, sizeof(char *));
		if (!env)
			return volt_err(err, ENOMEM, "exec");
		size_t n = 0;
		for (size_t i = 0; i < p->env.n; i++) {
			size_t klen = strcspn(p->env.v[i], "=");
			bool replaced = false;
			for (size_t j = 0; j < o->n_env; j++)
				if (strncmp(o->env[j], p->env.v[i], klen) == 0 && o->env[j][klen] == '=')
					replaced = true;
			if (!replaced)
				env[n++] = p->env.v[i];
		}
		for (size_t j = 0; j < o->n_env; j++) {
			if (!strchr(o->env[j], '='))
				return volt_err(err, -EINVAL, "--env %s: expected KEY=VALUE", o->env[j]);
			env[n++] = o->env[j];
		}
		p->env.v = env;
		p->env.n = n;
	}
	if (o->user) {
		char *end;
		unsigned long uid = strtoul(o->user, &end, 10);
		unsigned long gid = p->user.gid;
		if (end == o->user || (*end && *end != ':'))
			return volt_err(err, -EINVAL, "--user %s: expected UID[:GID] (numbers)", o->user);
		if (*end == ':') {
			char *g = end + 1;
			gid = strtoul(g, &end, 10);
			if (end == g || *end)
				return volt_err(err, -EINVAL, "--user %s: expected UID[:GID] (numbers)",
						o->user);
		}
		p->user.uid = (uint32_t)uid;
		p->user.gid = (uint32_t)gid;
	}
	for (size_t i = 0; i < o->n_caps; i++) {
		struct oci_strv *sets[] = {&p->capabilities.bounding, &p->capabilities.effective,
					   &p->capabilities.permitted};
		p->capabilities.present = true;
		for (size_t s = 0; s < 3; s++) {
			char **v = volt_arena_calloc(a, sets[s]->n + 2, sizeof(char *));
			if (!v)
				return volt_err(err, ENOMEM, "exec");
			memcpy(v, sets[s]->v, sets[s]->n * sizeof(char *));
			v[sets[s]->n] = o->caps[i];
			sets[s]->v = v;
			sets[s]->n++;
		}
	}
	return 0;
}

int volt_exec_read_process(const struct volt_exec_opts *o, char **out, size_t *len, struct volt_error *err)
{
	if (o->process_json) {
		if (!(*out = malloc(o->process_json_len + 1)))
			return volt_err(err, ENOMEM, "--process");
		memcpy(*out, o->process_json, o->process_json_len);
		(*out)[o->process_json_len] = '\0';
		*len = o->process_json_len;
		return 0;
	}
	_cleanup_close_ int fd = open(o->process_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "--process %s", o->process_file);
	size_t cap = 1 << 20;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return volt_err(err, ENOMEM, "--process %s", o->process_file);
	size_t n = 0;
	for (;;) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return volt_err(err, errno, "--process %s", o->process_file);
		if (k == 0)
			break;
		n += (size_t)k;
		char more;
		if (n == cap - 1 && read(fd, &more, 1) > 0)
			return volt_err(err, -EFBIG, "--process %s: larger than %zu bytes", o->process_file,
					cap - 1);
		if (n == cap - 1)
			break;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	*len = n;
	return 0;
}

struct exec_child {
	const struct oci_config *cfg;
	const struct volt_state *state;
	struct volt_ns_plan ns; /* the init's namespaces that differ from ours, to join */
	int sync_fd;
	int console_fd;
	int preserve_fds;
	const struct volt_seccomp_host *seccomp;
};

static int child_prepare(struct exec_child *x, char **path, struct volt_security *sec, struct volt_error *err)
{
	struct volt_sync_msg m;
	if (volt_sync_expect(x->sync_fd, VOLT_SYNC_GO, &m, err) < 0)
		return -1;
	if (volt_ns_enter_child(&x->ns, err) < 0)
		return volt_err_ctx(err, "exec");
	if (x->ns.join_fd[OCI_NS_USER] >= 0 && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return volt_err(err, errno, "exec: become root in the user namespace");
	const struct oci_process *p = &x->cfg->process;
	if (p->terminal && volt_console_setup(x->console_fd, p, false, err) < 0)
		return -1;
	if (volt_process_find_exec(p, path, err) < 0)
		return -1;
	return volt_security_prepare(x->cfg, sec, err);
}

static _Noreturn void exec_child_run(struct exec_child *x)
{
	struct volt_error err = {0};
	_cleanup_free_ char *path = NULL;
	struct volt_security sec = {.audit_fd = -1, .landlock_fd = -1};
	volt_seccomp_host_fill(x->seccomp, &sec);
	/* The container must not reach our host fds through /proc/PID/fd. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (child_prepare(x, &path, &sec, &err) == 0 &&
	    volt_process_apply(&x->cfg->process, x->preserve_fds, &sec, x->state, &err) == 0) {
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		volt_process_exec(&x->cfg->process, path, &err);
	}
	/* The sync socket is close-on-exec: the runtime reads EOF on success, this on failure. */
	volt_sync_send(x->sync_fd, VOLT_SYNC_ERROR, 0, &err);
	_exit(volt_process_exec_status(&err));
}

/* Open the init's namespaces that differ from ours. */
static int open_namespaces(pid_t init, struct volt_ns_plan *p, struct volt_error *err)
{
	memset(p, 0, sizeof *p);
	p->saved_pid_fd = p->saved_time_fd = -1;
	for (int t = 0; t < OCI_NS__COUNT; t++)
		p->join_fd[t] = -1;
	for (int t = 0; t < OCI_NS__COUNT; t++) {
		char theirs[64], ours[64];
		const char *name = t == OCI_NS_MOUNT ? "mnt" : t == OCI_NS_NETWORK ? "net" : oci_ns_name(t);
		snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", init, name);
		snprintf(ours, sizeof ours, "/proc/self/ns/%s", name);
		char a[64] = "", b[64] = "";
		if (readlink(theirs, a, sizeof a - 1) < 0) {
			if (errno == ENOENT)
				continue;
			volt_ns_plan_close(p);
			return volt_err(err, errno, "exec: %s", theirs);
		}
		if (readlink(ours, b, sizeof b - 1) >= 0 && strcmp(a, b) == 0)
			continue;
		p->join_fd[t] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (p->join_fd[t] < 0) {
			volt_ns_plan_close(p);
			return volt_err(err, errno, "exec: %s", theirs);
		}
	}
	return 0;
}

int volt_container_exec(const struct volt_ctx *ctx, const struct volt_exec_opts *o, pid_t *pid_out,
			int *pidfd_out, struct volt_error *err)
{
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, o->id, &c, err) < 0)
		return -1;
	const struct volt_backend_ops *b = volt_backend_find(c.state.backend ? c.state.backend : "native");
	if (!b || !b->exec)
		return volt_err(err, -ENOTSUP, "exec: not supported by the %s backend",
				c.state.backend ? c.state.backend : "native");
	enum volt_status s = volt_container_status(&c);
	if (s != VOLT_STATUS_RUNNING && s != VOLT_STATUS_CREATED)
		return volt_err(err, -EINVAL, "cannot exec in container \"%s\": it is %s", o->id,
				volt_status_name(s));
	return b->exec(ctx, &c, o, pid_out, pidfd_out, err);
}

int volt_native_exec(const struct volt_ctx *ctx, struct volt_container *c, const struct volt_exec_opts *o,
		     pid_t *pid_out, int *pidfd_out, struct volt_error *err)
{
	char cfgpath[64];
	snprintf(cfgpath, sizeof cfgpath, "/proc/self/fd/%d/" VOLT_CONFIG_COPY, c->dirfd);
	_cleanup_config_ struct oci_config *cfg = NULL;
	/* Profiles last: a caps or Landlock profile holds for exec'd processes
	 * even when --process brings its own capabilities. */
	if (oci_config_load(cfgpath, &cfg, err) < 0 || build_process(cfg, o, err) < 0 ||
	    volt_profiles_apply(cfg, err) < 0)
		return -1;

	struct volt_cgroup cg;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c->state.cgroup_path, err) < 0)
		return -1;
	/* The same compiled (cached) filter as the init's; in audit mode its own agent
	 * logs into the same seccomp.log. */
	_cleanup_(volt_seccomp_host_release) struct volt_seccomp_host sh = {.agent_fd = -1};
	if (volt_seccomp_host_prepare(ctx->root, c->dirfd, cfg, &sh, err) < 0)
		return -1;
	if (sh.warning[0])
		volt_warn(&ctx->log, "%s", sh.warning); /* as create did: the exec gets the same filter */
	struct exec_child x = {.cfg = cfg,
			       .state = &c->state,
			       .console_fd = -1,
			       .preserve_fds = o->preserve_fds,
			       .seccomp = &sh};
	if (open_namespaces(c->state.pid, &x.ns, err) < 0)
		return -1;
	/* The init could have died and its pid been reused meanwhile: then the
	 * fds are someone else's namespaces. */
	if (volt_container_status(c) == VOLT_STATUS_STOPPED) {
		volt_ns_plan_close(&x.ns);
		return volt_err(err, -ESRCH, "cannot exec in container \"%s\": it stopped", o->id);
	}
	int r = -1, pidfd = -1;
	pid_t pid = -1;
	int sv[2] = {-1, -1};
	_cleanup_close_ int console_fd = -1;
	if (cfg->process.terminal) {
		if (o->console_fd >= 0)
			console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
		else if (o->console_socket)
			console_fd = volt_console_connect(o->console_socket, err);
		else
			volt_err(err, -EINVAL, "exec --tty: needs --console-socket");
		if (console_fd < 0)
			goto out;
		x.console_fd = console_fd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		volt_err(err, errno, "socketpair");
		goto out;
	}
	/* pid and time namespaces apply to our children: join them here. */
	if ((x.ns.join_fd[OCI_NS_PID] >= 0 && setns(x.ns.join_fd[OCI_NS_PID], CLONE_NEWPID) < 0) ||
	    (x.ns.join_fd[OCI_NS_TIME] >= 0 && setns(x.ns.join_fd[OCI_NS_TIME], CLONE_NEWTIME) < 0)) {
		volt_err(err, errno, "exec: join the container's pid/time namespace");
		goto out;
	}
	pid = volt_clone_pidfd(0, &pidfd);
	if (pid < 0) {
		volt_err(err, errno, "clone3");
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		x.sync_fd = sv[1];
		exec_child_run(&x);
	}
	close(sv[1]);
	sv[1] = -1;
	if (cg.ops->enter(&cg, pid, err) < 0 || volt_sync_send(sv[0], VOLT_SYNC_GO, pid, NULL) < 0) {
		volt_child_kill_reap(pid, pidfd);
		goto out;
	}
	/* EOF: execve happened (the socket is close-on-exec). A message: why it did not. */
	struct volt_sync_msg m;
	ssize_t n;
	do
		n = recv(sv[0], &m, sizeof m, 0);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		if (n == (ssize_t)sizeof m && m.type == VOLT_SYNC_ERROR) {
			m.msg[sizeof m.msg - 1] = '\0';
			volt_err(err, 0, "%s", m.msg);
			err->errnum = m.errnum;
		} else {
			volt_err(err, n < 0 ? errno : EPROTO, "exec: sync with the new process");
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (o->pid_file && volt_write_pid_file(o->pid_file, pid, err) < 0) {
		volt_child_kill_reap(pid, pidfd);
		goto out;
	}
	volt_debug(&ctx->log, "exec %s: process %d (%s)", o->id, pid, cfg->process.args.v[0]);
	*pid_out = pid;
	*pidfd_out = pidfd;
	pidfd = -1;
	r = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	volt_ns_plan_close(&x.ns);
	return r;
}
