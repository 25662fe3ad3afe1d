#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int volt_sync_send(int fd, enum volt_sync_type type, pid_t pid, const struct volt_error *e)
{
	struct volt_sync_msg m = {.type = type, .pid = pid};
	if (e) {
		m.errnum = e->errnum;
		memcpy(m.msg, e->msg, sizeof m.msg);
	}
	ssize_t n;
	do
		n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof m ? 0 : -1;
}

int volt_sync_recv(int fd, struct volt_sync_msg *m, struct volt_error *err)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof *m, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return volt_err(err, errno, "sync with container init");
	if (n == 0)
		return volt_err(err, 0, "container init exited before it was ready");
	if (n != (ssize_t)sizeof *m)
		return volt_err(err, EPROTO, "sync with container init: short message");
	m->msg[sizeof m->msg - 1] = '\0';
	if (m->type == VOLT_SYNC_ERROR) {
		volt_err(err, 0, "%s", m->msg);
		err->errnum = m->errnum;
		return -1;
	}
	return 0;
}

int volt_sync_expect(int fd, enum volt_sync_type type, struct volt_sync_msg *m, struct volt_error *err)
{
	if (volt_sync_recv(fd, m, err) < 0)
		return -1;
	if (m->type != type)
		return volt_err(err, EPROTO, "sync with container init: unexpected message %u", m->type);
	return 0;
}
