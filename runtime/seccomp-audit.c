#include "seccomp-audit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cleanup.h"

static int recv_listener(int sock)
{
	char data[4096];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static void log_call(int logfd, const struct seccomp_data *d)
{
	char line[128];
	char *name = seccomp_syscall_resolve_num_arch(d->arch, d->nr);
	int n;
	if (d->arch == seccomp_arch_native())
		n = snprintf(line, sizeof line, "%s\n", name ? name : "?");
	else
		n = snprintf(line, sizeof line, "%s/0x%x\n", name ? name : "?", d->arch);
	if (!name)
		n = snprintf(line, sizeof line, "syscall-%d/0x%x\n", d->nr, d->arch);
	free(name);
	/* O_APPEND: one write is one whole line, even with readers around. */
	if (write(logfd, line, (size_t)n) < 0) {
		/* Nowhere to report it: the call still goes on. */
	}
}

static _Noreturn void agent(int sock, int logfd)
{
	int listener = recv_listener(sock);
	close(sock);
	if (listener < 0)
		_exit(0);
	for (;;) {
		struct pollfd p = {.fd = listener, .events = POLLIN};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (!(p.revents & POLLIN))
			_exit(0); /* POLLHUP: no process uses the filter any more */
		/* The kernel wants the request zeroed. */
		struct seccomp_notif req;
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue; /* the caller died meanwhile */
			_exit(1);	  /* unanswered calls then fail instead of hanging */
		}
		log_call(logfd, &req.data);
		struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int volt_seccomp_audit_start(int state_dirfd, struct volt_error *err)
{
	_cleanup_close_ int logfd = openat(state_dirfd, VOLT_SECCOMP_LOG,
					   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		return volt_err(err, errno, "seccomp audit: create %s", VOLT_SECCOMP_LOG);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return volt_err(err, errno, "seccomp audit: socketpair");
	_cleanup_close_ int ours = sv[0];
	_cleanup_close_ int theirs = sv[1];
	pid_t pid = fork();
	if (pid < 0)
		return volt_err(err, errno, "seccomp audit: fork");
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		signal(SIGPIPE, SIG_IGN);
		/* Hold nothing of the caller's: an inherited pipe would keep a
		 * reader (conmon, a test harness) waiting for EOF. */
		int s = fcntl(theirs, F_DUPFD, 10), l = fcntl(logfd, F_DUPFD, 10);
		if (s < 0 || l < 0 || dup2(s, 3) < 0 || dup2(l, 4) < 0)
			_exit(1);
		syscall(SYS_close_range, 5, ~0U, 0);
		int null = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3; fd++)
			if (null >= 0 && null != fd)
				dup2(null, fd);
		agent(3, 4);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return volt_steal_fd(&ours);
}
