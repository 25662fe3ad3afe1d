#include "exec-sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "oci/cleanup.h"
#include "oci/state.h"

/* sun_path is short; reach the state dir through its fd instead. */
static void exec_sock_addr(int dirfd, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/" VOLT_EXEC_SOCK, dirfd);
}

int volt_exec_sock_listen(int dirfd, struct volt_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return volt_err(err, errno, "socket");
	struct sockaddr_un sa;
	exec_sock_addr(dirfd, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return volt_err(err, errno, "bind %s", VOLT_EXEC_SOCK);
	if (listen(fd, 4) < 0)
		return volt_err(err, errno, "listen %s", VOLT_EXEC_SOCK);
	return volt_steal_fd(&fd);
}

int volt_exec_sock_connect(int dirfd, const char *id, struct volt_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return volt_err(err, errno, "socket");
	struct sockaddr_un sa;
	exec_sock_addr(dirfd, &sa);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return volt_err(err, errno, "container \"%s\": nothing is waiting on its %s", id,
				VOLT_EXEC_SOCK);
	return volt_steal_fd(&fd);
}

int volt_exec_sock_start(int dirfd, const char *id, char *msg, size_t msg_size, struct volt_error *err)
{
	_cleanup_close_ int fd = volt_exec_sock_connect(dirfd, id, err);
	if (fd < 0)
		return -1;
	if (send(fd, "S", 1, MSG_NOSIGNAL) != 1)
		return volt_err(err, errno, "container \"%s\": signal start", id);
	size_t len = 0;
	for (;;) {
		ssize_t n = recv(fd, msg + len, msg_size - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return volt_err(err, errno, "container \"%s\": start", id);
		if (n == 0 || (len += (size_t)n) >= msg_size - 1)
			break;
	}
	msg[len] = '\0';
	return len ? 1 : 0;
}
