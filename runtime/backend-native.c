/* The native backend: the init is a clone of the runtime in new namespaces. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "exec-sock.h"
#include "init.h"
#include "namespaces.h"
#include "oci/cleanup.h"
#include "seccomp-host.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"

static void ns_plan_closep(struct volt_ns_plan *p)
{
	volt_ns_plan_close(p);
}

static int run_runtime_hooks(struct volt_backend_create *b, struct volt_error *err)
{
	const struct oci_config *c = b->config;
	_cleanup_free_ char *json = NULL;
	if (volt_state_to_json(b->state, VOLT_STATUS_CREATING, false, &json, err) < 0)
		return -1;
	if (volt_hooks_run(&c->hooks[OCI_HOOK_PRESTART], OCI_HOOK_PRESTART, json, err) < 0)
		return -1;
	return volt_hooks_run(&c->hooks[OCI_HOOK_CREATE_RUNTIME], OCI_HOOK_CREATE_RUNTIME, json, err);
}

/* After clone: maps, cgroup, then serve the init until it is ready. */
static int drive_init(struct volt_backend_create *b, struct volt_ns_plan *ns, pid_t pid, int sync_fd,
		      struct volt_error *err)
{
	if (ns->new_ns[OCI_NS_USER] && volt_ns_write_idmaps(pid, b->config, err) < 0)
		return -1;
	if (b->cgroup && b->cgroup->ops->enter(b->cgroup, pid, err) < 0)
		return volt_err_ctx(err, "join cgroup %s", b->cgroup->path);
	b->state->pid = pid;
	if (volt_sync_send(sync_fd, VOLT_SYNC_GO, pid, NULL) < 0)
		return volt_err(err, errno, "sync with container init");
	for (;;) {
		struct volt_sync_msg m;
		if (volt_sync_recv(sync_fd, &m, err) < 0)
			return -1;
		if (m.type == VOLT_SYNC_READY)
			return 0;
		if (m.type != VOLT_SYNC_HOOKS)
			return volt_err(err, -EPROTO, "sync with container init: unexpected message %u",
					m.type);
		if (run_runtime_hooks(b, err) < 0) {
			volt_sync_send(sync_fd, VOLT_SYNC_ERROR, 0, err);
			return -1;
		}
		if (volt_sync_send(sync_fd, VOLT_SYNC_HOOKS_DONE, 0, NULL) < 0)
			return volt_err(err, errno, "sync with container init");
	}
}

static int native_create(struct volt_backend_create *b, int *pidfd_out, struct volt_error *err)
{
	const struct oci_config *c = b->config;
	_cleanup_(ns_plan_closep) struct volt_ns_plan ns;
	if (volt_ns_plan_make(c, &ns, err) < 0) {
		for (int t = 0; t < OCI_NS__COUNT; t++)
			ns.join_fd[t] = -1;
		return -1;
	}
	if (!ns.new_ns[OCI_NS_MOUNT] && ns.join_fd[OCI_NS_MOUNT] < 0)
		return volt_err(err, -EINVAL, "linux.namespaces: a mount namespace is required");
	bool has_ns[OCI_NS__COUNT];
	for (int t = 0; t < OCI_NS__COUNT; t++)
		has_ns[t] = ns.new_ns[t] || ns.join_fd[t] >= 0;
	if (volt_sysctl_check(&c->linux.sysctl, has_ns, err) < 0)
		return -1;

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return volt_err(err, errno, "socketpair");
	_cleanup_close_ int sync_parent = sv[0];
	_cleanup_close_ int sync_child = sv[1];
	_cleanup_close_ int listen_fd = volt_exec_sock_listen(b->dirfd, err);
	if (listen_fd < 0)
		return -1;
	_cleanup_close_ int console_fd = -1;
	if (!c->process.terminal) {
		/* no pty: the console socket has nothing to carry */
	} else if (b->opts->console_fd >= 0) {
		console_fd = fcntl(b->opts->console_fd, F_DUPFD_CLOEXEC, 3);
		if (console_fd < 0)
			return volt_err(err, errno, "console socket");
	} else if (b->opts->console_socket) {
		console_fd = volt_console_connect(b->opts->console_socket, err);
		if (console_fd < 0)
			return volt_err_ctx(err, "--console-socket %s", b->opts->console_socket);
	}
	if (c->process.terminal && console_fd < 0)
		return volt_err(err, -EINVAL, "process.terminal is true: --console-socket is required");
	/* Host side of seccomp: cache, listener connection, audit agent (forked
	 * here, so before our children's namespaces change below). */
	_cleanup_(volt_seccomp_host_release) struct volt_seccomp_host sh = {.agent_fd = -1};
	if (volt_seccomp_host_prepare(b->ctx->root, b->dirfd, c, &sh, err) < 0)
		return -1;
	if (sh.warning[0])
		volt_warn(&b->ctx->log, "%s", sh.warning);
	if (volt_ns_prepare_parent(c, &ns, err) < 0)
		return -1;

	int pidfd = -1;
	pid_t pid = volt_clone_pidfd((unsigned long long)ns.clone_flags, &pidfd);
	if (pid < 0)
		return volt_err(err, errno, "clone3 (linux.namespaces)");
	if (pid == 0) {
		close(sync_parent);
		struct volt_init_args ia = {
		    .config = c,
		    .bundle = b->bundle,
		    .rootfs = b->rootfs,
		    .ns = &ns,
		    .state = b->state,
		    .sync_fd = sync_child,
		    .listen_fd = listen_fd,
		    .console_fd = console_fd,
		    .preserve_fds = b->opts->preserve_fds,
		    .no_pivot = b->opts->no_pivot,
		    .no_new_keyring = b->opts->no_new_keyring,
		    .seccomp = &sh,
		};
		volt_init_run(&ia);
	}
	close(volt_steal_fd(&sync_child));
	if (volt_ns_restore_parent(&ns, err) < 0 || drive_init(b, &ns, pid, sync_parent, err) < 0) {
		volt_child_kill_reap(pid, pidfd);
		close(pidfd);
		return -1;
	}
	if (pidfd_out)
		*pidfd_out = pidfd;
	else
		close(pidfd);
	return 0;
}

static int native_start(const struct volt_ctx *ctx, struct volt_container *c, struct volt_error *err)
{
	char msg[VOLT_ERROR_MSG_MAX];
	int r = volt_exec_sock_start(c->dirfd, c->state.id, msg, sizeof msg, err);
	unlinkat(c->dirfd, VOLT_EXEC_SOCK, 0); /* the init listens no more */
	if (r <= 0)
		return r;
	/* The init's reason: execve (or a startContainer hook) failed. */
	volt_err(err, 0, "%s", msg);
	err->errnum = strstr(msg, "permission denied") ? EACCES : ENOENT;
	return -1;
}

const struct volt_backend_ops volt_backend_native = {
    .name = "native",
    .create = native_create,
    .start = native_start,
    .exec = volt_native_exec,
};
