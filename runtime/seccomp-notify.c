#include "seccomp-notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "oci/cleanup.h"

int volt_seccomp_connect_listener(const char *path, struct volt_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return volt_err(err, -ENAMETOOLONG, "linux.seccomp.listenerPath %s: too long", path);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return volt_err(err, errno, "linux.seccomp.listenerPath: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return volt_err(err, errno, "linux.seccomp.listenerPath %s", path);
	return volt_steal_fd(&fd);
}

/* A JSON string literal of s (quotes included), malloc'd. */
static char *json_quote(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(len * 6 + 3), *o = out;
	if (!out)
		return NULL;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			o += sprintf(o, "\\u%04x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

int volt_seccomp_send_listener(int sock, int listener_fd, const char *metadata, const struct volt_state *st,
			       struct volt_error *err)
{
	_cleanup_free_ char *state = NULL;
	if (volt_state_to_json(st, VOLT_STATUS_CREATED, false, &state, err) < 0)
		return -1;
	_cleanup_free_ char *meta = json_quote(metadata ? metadata : "");
	if (!meta)
		return volt_err(err, -ENOMEM, "linux.seccomp.listenerMetadata");
	_cleanup_free_ char *msg = NULL;
	int len = asprintf(
	    &msg, "{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":%s,\"state\":%s}",
	    st->oci_version ? st->oci_version : "1.2.0", (int)st->pid, meta, state);
	if (len < 0)
		return volt_err(err, -ENOMEM, "linux.seccomp.listenerPath");
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {.iov_base = msg, .iov_len = (size_t)len};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &listener_fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return volt_err(err, errno, "linux.seccomp.listenerPath: send the listener fd");
	/* A stream may take the state in pieces; the fd went with the first. */
	for (size_t off = (size_t)n; off < (size_t)len; off += (size_t)n) {
		n = send(sock, msg + off, (size_t)len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return volt_err(err, errno, "linux.seccomp.listenerPath: send the container state");
	}
	return 0;
}
