#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "console.h"
#include "hooks.h"
#include "oci/cleanup.h"
#include "process.h"
#include "rootfs.h"
#include "security.h"
#include "sync.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static int run_hooks(struct volt_init_args *a, enum oci_hook_kind k, enum volt_status st,
		     struct volt_error *err)
{
	const struct oci_hook_list *l = &a->config->hooks[k];
	if (l->n == 0)
		return 0;
	_cleanup_free_ char *json = NULL;
	if (volt_state_to_json(a->state, st, false, &json, err) < 0)
		return -1;
	return volt_hooks_run(l, k, json, err);
}

/* Up to READY: namespaces, filesystem, hooks, terminal, the executable. */
static int init_prepare(struct volt_init_args *a, char **exec_path, struct volt_security *sec,
			struct volt_error *err)
{
	const struct oci_config *c = a->config;
	struct volt_sync_msg m;
	if (volt_sync_expect(a->sync_fd, VOLT_SYNC_GO, &m, err) < 0)
		return -1;
	a->state->pid = m.pid;

	if (volt_ns_enter_child(a->ns, err) < 0)
		return -1;
	if (a->ns->new_ns[OCI_NS_USER] && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return volt_err(err, errno, "become root in the user namespace");
	if (c->hostname && *c->hostname) {
		if (!a->ns->new_ns[OCI_NS_UTS])
			return volt_err(err, -EINVAL, "hostname: needs a new uts namespace");
		if (sethostname(c->hostname, strlen(c->hostname)) < 0)
			return volt_err(err, errno, "hostname %s", c->hostname);
	}
	if (c->domainname && *c->domainname) {
		if (!a->ns->new_ns[OCI_NS_UTS])
			return volt_err(err, -EINVAL, "domainname: needs a new uts namespace");
		if (setdomainname(c->domainname, strlen(c->domainname)) < 0)
			return volt_err(err, errno, "domainname %s", c->domainname);
	}
	if (!a->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
	    errno != ENOSYS)
		return volt_err(err, errno, "join a new session keyring");

	/* Through the host's /proc, before any mount of the bundle's can stand
	 * in for it. */
	if (c->process.has_oom_score_adj) {
		char buf[16];
		int n = snprintf(buf, sizeof buf, "%d", c->process.oom_score_adj);
		_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			return volt_err(err, errno, "process.oomScoreAdj %d", c->process.oom_score_adj);
	}
	struct volt_rootfs_opts ro = {
	    .rootfs = a->rootfs,
	    .bundle = a->bundle,
	    .no_pivot = a->no_pivot,
	    .has_new_userns = a->ns->new_ns[OCI_NS_USER],
	    .has_new_netns = a->ns->new_ns[OCI_NS_NETWORK],
	};
	if (volt_rootfs_prepare(c, &ro, err) < 0)
		return -1;
	if (c->hooks[OCI_HOOK_PRESTART].n || c->hooks[OCI_HOOK_CREATE_RUNTIME].n) {
		if (volt_sync_send(a->sync_fd, VOLT_SYNC_HOOKS, 0, NULL) < 0)
			return volt_err(err, errno, "sync with runtime");
		if (volt_sync_expect(a->sync_fd, VOLT_SYNC_HOOKS_DONE, &m, err) < 0)
			return -1;
	}
	if (run_hooks(a, OCI_HOOK_CREATE_CONTAINER, VOLT_STATUS_CREATING, err) < 0)
		return -1;
	if (volt_rootfs_pivot(c, &ro, err) < 0)
		return -1;
	if (c->process.terminal) {
		if (volt_console_setup(a->console_fd, &c->process, true, err) < 0)
			return -1;
		close(a->console_fd);
		a->console_fd = -1;
	}
	if (volt_rootfs_finalize(c, &ro, err) < 0)
		return -1;
	if (volt_process_find_exec(&c->process, exec_path, err) < 0)
		return -1;
	return volt_security_prepare(c, sec, err);
}

/* Block until `start` connects to exec.sock; the connection is close-on-exec,
 * so `start` reads EOF once execve succeeded, or an error message. */
static int wait_for_start(struct volt_init_args *a)
{
	for (;;) {
		int conn = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		char b;
		ssize_t n = recv(conn, &b, 1, 0);
		if (n == 1 && b == 'S')
			return conn;
		close(conn);
	}
}

_Noreturn void volt_init_run(struct volt_init_args *a)
{
	struct volt_error err = {0};
	_cleanup_free_ char *path = NULL;
	struct volt_security sec = {.audit_fd = -1, .landlock_fd = -1};
	if (a->seccomp)
		volt_seccomp_host_fill(a->seccomp, &sec);
	/* Until execve, nothing in the container may open our /proc/PID/fd
	 * (host fds are still open here); execve makes the workload dumpable. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Die with the runtime while it still owns us (create is in progress). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (init_prepare(a, &path, &sec, &err) < 0) {
		volt_sync_send(a->sync_fd, VOLT_SYNC_ERROR, 0, &err);
		_exit(1);
	}
	/* `create` exits once we are ready: we must outlive it from here on. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (volt_sync_send(a->sync_fd, VOLT_SYNC_READY, 0, NULL) < 0)
		_exit(1);
	close(a->sync_fd);

	int conn = wait_for_start(a);
	if (conn < 0)
		_exit(1);
	close(a->listen_fd);
	int status = 1;
	if (run_hooks(a, OCI_HOOK_START_CONTAINER, VOLT_STATUS_CREATED, &err) < 0)
		goto fail;
	if (volt_process_apply(&a->config->process, a->preserve_fds, &sec, a->state, &err) < 0)
		goto fail;
	volt_process_exec(&a->config->process, path, &err);
	status = volt_process_exec_status(&err);
fail:
	send(conn, err.msg, strlen(err.msg), MSG_NOSIGNAL);
	_exit(status);
}
