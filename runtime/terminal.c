/* Ptys, the --console-socket handoff and the foreground tty proxy of `run`. */
#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "oci/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* What runc puts in the message: the name of the master's device. */
#define CONSOLE_PAYLOAD "/dev/ptmx"

static int pty_slave_path(int master, int slave, char **out, struct volt_error *err)
{
	char buf[PATH_MAX];
	if (ptsname_r(master, buf, sizeof buf) == 0) {
		*out = strdup(buf);
	} else {
		/* ptsname_r stats /dev/pts/N; in a fresh mount ns trust what we opened. */
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", slave);
		ssize_t n = readlink(proc, buf, sizeof buf - 1);
		if (n < 0)
			return volt_err(err, errno, "pty: cannot find the slave's path");
		buf[n] = '\0';
		*out = strdup(buf);
	}
	if (!*out)
		return volt_err(err, ENOMEM, "pty: slave path");
	return 0;
}

int volt_pty_open(int *master, int *slave, char **slave_path, struct volt_error *err)
{
	_cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return volt_err(err, errno, "open /dev/ptmx");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return volt_err(err, errno, "pty: unlock (TIOCSPTLCK)");

	/* TIOCGPTPEER opens the peer of this very master, immune to a /dev/pts
	 * that belongs to another devpts instance or was swapped underneath us. */
	_cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		char name[PATH_MAX];
		if (ptsname_r(m, name, sizeof name) != 0)
			return volt_err(err, errno, "pty: ptsname");
		s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (s < 0)
			return volt_err(err, errno, "pty: open %s", name);
	}
	_cleanup_free_ char *path = NULL;
	if (slave_path && pty_slave_path(m, s, &path, err) < 0)
		return -1;

	*master = volt_steal_fd(&m);
	*slave = volt_steal_fd(&s);
	if (slave_path)
		*slave_path = volt_steal_ptr(&path);
	return 0;
}

int volt_pty_set_size(int fd, uint32_t height, uint32_t width, struct volt_error *err)
{
	if (height > USHRT_MAX || width > USHRT_MAX)
		return volt_err(err, ERANGE, "consoleSize %ux%u", height, width);
	struct winsize ws = {.ws_row = (unsigned short)height, .ws_col = (unsigned short)width};
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return volt_err(err, errno, "consoleSize %ux%u: TIOCSWINSZ", height, width);
	return 0;
}

int volt_pty_make_controlling(int slave, struct volt_error *err)
{
	/* EPERM: already a process group leader; fine if we lead a session too. */
	if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid()))
		return volt_err(err, errno, "terminal: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return volt_err(err, errno, "terminal: TIOCSCTTY");
	for (int fd = 0; fd <= 2; fd++) {
		/* dup2 onto itself would keep O_CLOEXEC; clear it explicitly. */
		int r = fd == slave ? fcntl(fd, F_SETFD, 0) : dup2(slave, fd);
		if (r < 0)
			return volt_err(err, errno, "terminal: dup2 onto fd %d", fd);
	}
	return 0;
}

int volt_console_connect(const char *path, struct volt_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || !*path)
		return volt_err(err, EINVAL, "console-socket: empty path");
	if (strlen(path) >= sizeof sa.sun_path)
		return volt_err(err, ENAMETOOLONG, "console-socket %s", path);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return volt_err(err, errno, "console-socket %s: socket", path);
	int r;
	while ((r = connect(fd, (struct sockaddr *)&sa, sizeof sa)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return volt_err(err, errno, "console-socket %s: connect", path);
	return volt_steal_fd(&fd);
}

int volt_console_send(int sock, int master, struct volt_error *err)
{
	char payload[] = CONSOLE_PAYLOAD;
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload - 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof master);

	ssize_t n;
	while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return volt_err(err, errno, "console-socket: sendmsg");
	if ((size_t)n != iov.iov_len)
		return volt_err(err, EIO, "console-socket: short send");
	return 0;
}

int volt_console_recv(int sock, int *fd, struct volt_error *err)
{
	char payload[4096];
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
	/* Room for a few fds so a misbehaving sender is detected, not truncated. */
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof u.buf,
	};
	ssize_t n;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return volt_err(err, errno, "console-socket: recvmsg");

	int got = -1, count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
			if (count++ == 0)
				got = f;
			else
				close(f);
		}
	}
	if (count != 1 || (msg.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		if (n == 0 && count == 0)
			return volt_err(err, 0, "console-socket: peer closed without sending a terminal");
		return volt_err(err, 0, "console-socket: expected exactly one fd, got %d%s", count,
				(msg.msg_flags & MSG_CTRUNC) ? " (truncated)" : "");
	}
	*fd = got;
	return 0;
}

/* Copy our terminal's size (stdin, else stdout) to the pty. */
static void forward_winsize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* One direction of the copy: a buffer filled from `from` and drained to `to`. */
struct pump {
	char buf[8192];
	size_t len, off;
	bool open;     /* source still readable */
	bool sink_bad; /* destination failed: discard from now on */
};

static int write_some(int fd, struct pump *p)
{
	ssize_t w = write(fd, p->buf + p->off, p->len - p->off);
	if (w < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		p->sink_bad = true; /* reader gone (EPIPE/EIO): keep draining the source */
		p->len = p->off = 0;
		return 0;
	}
	p->off += (size_t)w;
	if (p->off == p->len)
		p->len = p->off = 0;
	return 0;
}

/* After the process exits, output may still be in flight through the pty's
 * flip buffers, and another holder of the slave may keep master from ever
 * reporting EIO: stop after this long without data. */
#define DRAIN_IDLE_MS 200

struct proxy_state {
	int master, pidfd, sfd;
	struct pump in, out;
	bool exited;
};

static int proxy_loop(struct proxy_state *st, struct volt_error *err)
{
	for (;;) {
		struct pollfd p[5];
		nfds_t n = 0;
		int ix_in = -1, ix_m = -1, ix_out = -1, ix_sig = -1, ix_pid = -1;

		bool read_stdin = st->in.open && !st->exited && st->in.len == 0;
		bool read_master = st->out.open && st->out.len == 0;
		if (!st->out.open && st->out.len == 0 && (st->exited || st->pidfd < 0))
			return 0;

		if (read_stdin) {
			p[n] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
			ix_in = (int)n++;
		}
		short mev = (short)((read_master ? POLLIN : 0) | (st->in.len ? POLLOUT : 0));
		if (mev && (read_master || st->out.open)) {
			p[n] = (struct pollfd){.fd = st->master, .events = mev};
			ix_m = (int)n++;
		}
		if (st->out.len) {
			p[n] = (struct pollfd){.fd = STDOUT_FILENO, .events = POLLOUT};
			ix_out = (int)n++;
		}
		p[n] = (struct pollfd){.fd = st->sfd, .events = POLLIN};
		ix_sig = (int)n++;
		if (st->pidfd >= 0 && !st->exited) {
			p[n] = (struct pollfd){.fd = st->pidfd, .events = POLLIN};
			ix_pid = (int)n++;
		}

		int r = poll(p, n, st->exited ? DRAIN_IDLE_MS : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return volt_err(err, errno, "tty proxy: poll");
		}
		if (r == 0)
			return 0; /* exited and nothing more came out of the pty */

		if (ix_sig >= 0 && p[ix_sig].revents) {
			struct signalfd_siginfo si;
			while (read(st->sfd, &si, sizeof si) == (ssize_t)sizeof si)
				if (si.ssi_signo == SIGWINCH)
					forward_winsize(st->master);
		}
		if (ix_pid >= 0 && p[ix_pid].revents)
			st->exited = true;

		if (ix_in >= 0 && p[ix_in].revents) {
			ssize_t k = read(STDIN_FILENO, st->in.buf, sizeof st->in.buf);
			if (k > 0 && !st->in.sink_bad)
				st->in.len = (size_t)k, st->in.off = 0;
			else if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
				st->in.open = false; /* EOF: stop reading; the pty keeps its own state */
		}
		if (ix_m >= 0 && p[ix_m].revents) {
			if ((p[ix_m].revents & POLLOUT) && st->in.len)
				write_some(st->master, &st->in);
			if (read_master && (p[ix_m].revents & (POLLIN | POLLHUP | POLLERR))) {
				ssize_t k = read(st->master, st->out.buf, sizeof st->out.buf);
				if (k > 0) {
					if (!st->out.sink_bad)
						st->out.len = (size_t)k, st->out.off = 0;
				} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
					st->out.open = false; /* EIO: every slave holder closed */
				}
			}
		}
		if (ix_out >= 0 && p[ix_out].revents)
			write_some(STDOUT_FILENO, &st->out);
		if (st->in.len && !st->out.open)
			st->in.len = 0; /* nobody left to read our input */
	}
}

int volt_tty_proxy(int master, int pidfd, struct volt_error *err)
{
	/* SIGWINCH to learn of resizes, SIGPIPE so a closed stdout is an error
	 * code instead of our death; both read from a signalfd, nothing global. */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGPIPE);
	int e = pthread_sigmask(SIG_BLOCK, &mask, &old);
	if (e != 0)
		return volt_err(err, e, "tty proxy: sigprocmask");
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return volt_err(err, e, "tty proxy: signalfd");
	}

	struct termios saved;
	bool raw = false;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	int mflags = fcntl(master, F_GETFL);
	if (mflags >= 0)
		fcntl(master, F_SETFL, mflags | O_NONBLOCK);
	forward_winsize(master);

	struct proxy_state *st = calloc(1, sizeof *st);
	int r;
	if (!st) {
		r = volt_err(err, ENOMEM, "tty proxy");
	} else {
		st->master = master;
		st->pidfd = pidfd;
		st->sfd = sfd;
		st->in.open = st->out.open = true;
		r = proxy_loop(st, err);
		free(st);
	}

	if (mflags >= 0)
		fcntl(master, F_SETFL, mflags);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	/* Swallow signals we caught so unblocking cannot deliver a SIGPIPE. */
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	close(sfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}
