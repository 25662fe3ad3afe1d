/* Ptys, the console-socket wire format, and the tty proxy of `run`. Needs
 * /dev/ptmx; run as root is fine. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "runtime/terminal.h"
#include "tap.h"

static int is_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	return f >= 0 && (f & FD_CLOEXEC);
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_open_and_size(void)
{
	struct volt_error err = {0};
	int m = -1, s = -1;
	char *path = NULL;
	int r = volt_pty_open(&m, &s, &path, &err);
	unsigned n = 0;
	char want[64] = "";
	if (r == 0 && ioctl(m, TIOCGPTN, &n) == 0)
		snprintf(want, sizeof want, "/dev/pts/%u", n);
	check(r == 0 && path && strcmp(path, want) == 0, "pty_open: slave path is /dev/pts/N of the master");
	check(r == 0 && is_cloexec(m) && is_cloexec(s) && isatty(s),
	      "pty_open: both fds CLOEXEC, slave is a tty");

	struct winsize ws = {0};
	r = volt_pty_set_size(m, 24, 132, &err);
	check(r == 0 && ioctl(s, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 24 && ws.ws_col == 132,
	      "set_size then TIOCGWINSZ reads 24x132");
	check(volt_pty_set_size(m, 70000, 80, &err) < 0 && strstr(err.msg, "70000x80"),
	      "set_size rejects 70000 rows");
	check(volt_pty_set_size(-1, 24, 80, &err) < 0, "set_size on a bad fd fails");

	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(m);
		struct volt_error e = {0};
		if (volt_pty_make_controlling(s, &e) < 0)
			_exit(10);
		if (!isatty(0) || !isatty(1) || !isatty(2))
			_exit(11);
		if (is_cloexec(0) || is_cloexec(1) || is_cloexec(2))
			_exit(12);
		int t = open("/dev/tty", O_RDWR | O_NOCTTY);
		if (t < 0)
			_exit(13);
		if (tcgetsid(0) != getpid())
			_exit(14);
		_exit(0);
	}
	int st = wait_status(pid);
	if (st != 0)
		printf("# child status %d\n", st);
	check(st == 0, "make_controlling: child owns the tty on 0-2 and can open /dev/tty");
	close(m);
	close(s);
	free(path);
}

/* Receive by hand to check the wire format, not just our own reader. */
static void test_console_wire(void)
{
	struct volt_error err = {0};
	int sv[2], m, s;
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	volt_pty_open(&m, &s, NULL, &err);
	int r = volt_console_send(sv[0], m, &err);
	close(sv[0]);

	char buf[256];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	ssize_t n = recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC);
	int ncmsg = 0, nfd = 0, fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		ncmsg++;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			nfd += (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
		}
	}
	unsigned ptn;
	check(r == 0 && n > 0 && ncmsg == 1 && nfd == 1,
	      "console_send: one message, one cmsg, one fd, payload");
	check(fd >= 0 && ioctl(fd, TIOCGPTN, &ptn) == 0, "console_send: the fd is a pty master (TIOCGPTN)");
	check(recv(sv[1], buf, sizeof buf, 0) == 0, "console_send: nothing else on the socket");
	close(fd);
	close(sv[1]);
	close(m);
	close(s);
}

static void test_console_recv(void)
{
	struct volt_error err = {0};
	int sv[2], m, s, fd = -1;
	unsigned ptn;
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	volt_pty_open(&m, &s, NULL, &err);
	volt_console_send(sv[0], m, &err);
	int r = volt_console_recv(sv[1], &fd, &err);
	check(r == 0 && fd >= 0 && ioctl(fd, TIOCGPTN, &ptn) == 0 && is_cloexec(fd),
	      "console_recv: gets the master, CLOEXEC");
	if (fd >= 0)
		close(fd);

	/* two fds in one message is refused, and neither leaks */
	int two[2] = {m, s};
	union {
		char b[CMSG_SPACE(sizeof two)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	char p = 'x';
	struct iovec iov = {.iov_base = &p, .iov_len = 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof two);
	memcpy(CMSG_DATA(c), two, sizeof two);
	sendmsg(sv[0], &msg, 0);
	fd = -1;
	r = volt_console_recv(sv[1], &fd, &err);
	check(r < 0 && fd == -1 && strstr(err.msg, "exactly one fd, got 2"), "console_recv: two fds refused");

	close(sv[0]);
	r = volt_console_recv(sv[1], &fd, &err);
	check(r < 0 && strstr(err.msg, "peer closed"), "console_recv: peer closed without fd is an error");
	close(sv[1]);
	close(m);
	close(s);
}

static void test_console_connect(void)
{
	struct volt_error err = {0};
	char dir[] = "/tmp/volt-test-term-XXXXXX";
	if (!mkdtemp(dir)) {
		check(0, "console_connect: mkdtemp");
		return;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/console.sock", dir);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(l, (struct sockaddr *)&sa, sizeof sa);
	listen(l, 1);
	int c = volt_console_connect(sa.sun_path, &err);
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	int m, s, fd = -1;
	volt_pty_open(&m, &s, NULL, &err);
	int r = c >= 0 && is_cloexec(c) ? volt_console_send(c, m, &err) : -1;
	if (r == 0)
		r = volt_console_recv(a, &fd, &err);
	check(c >= 0 && a >= 0 && r == 0 && fd >= 0, "console_connect + send + recv over a real socket");
	close(fd);
	close(a);
	close(c);
	close(l);
	close(m);
	close(s);
	unlink(sa.sun_path);
	char missing[128];
	snprintf(missing, sizeof missing, "%s/nope.sock", dir);
	check(volt_console_connect(missing, &err) < 0 && strstr(err.msg, missing),
	      "console_connect: missing socket");
	rmdir(dir);
}

/* Child of the proxy: owns the inner pty. mode 0: print hello. mode 1: echo
 * two input lines with the window size seen at that moment. */
static __attribute__((noreturn)) void inner(int slave, int mode)
{
	struct volt_error e = {0};
	if (volt_pty_make_controlling(slave, &e) < 0)
		_exit(20);
	if (mode == 0) {
		if (write(1, "hello\n", 6) != 6)
			_exit(21);
		_exit(0);
	}
	if (mode == 2) {
		/* A background process keeps the slave open after we exit. */
		signal(SIGHUP, SIG_IGN); /* the daemon must survive our exit */
		if (fork() == 0) {
			execl("/bin/sleep", "sleep", "3", (char *)NULL);
			_exit(24);
		}
		if (write(1, "bye\n", 4) != 4)
			_exit(21);
		_exit(0);
	}
	for (int i = 0; i < 2; i++) {
		char line[128], out[256];
		ssize_t n = read(0, line, sizeof line - 1);
		if (n <= 0)
			_exit(22);
		line[n] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		struct winsize ws = {0};
		ioctl(0, TIOCGWINSZ, &ws);
		int k = snprintf(out, sizeof out, "got:%s size=%ux%u\n", line, ws.ws_row, ws.ws_col);
		if (write(1, out, (size_t)k) != k)
			_exit(23);
	}
	_exit(0);
}

/* The `run` side: proxy between our stdio and a fresh pty around inner(). */
static __attribute__((noreturn)) void proxy_side(int stdin_fd, int stdout_fd, int mode)
{
	alarm(10);
	dup2(stdin_fd, 0);
	dup2(stdout_fd, 1);
	struct volt_error e = {0};
	int m, s;
	if (volt_pty_open(&m, &s, NULL, &e) < 0)
		_exit(30);
	pid_t g = fork();
	if (g == 0) {
		close(m);
		inner(s, mode);
	}
	close(s);
	int pidfd = (int)syscall(SYS_pidfd_open, g, 0);
	struct termios before, after;
	int tty = isatty(0) && tcgetattr(0, &before) == 0;
	int r = volt_tty_proxy(m, pidfd, &e);
	if (tty && (tcgetattr(0, &after) < 0 || before.c_lflag != after.c_lflag ||
		    before.c_iflag != after.c_iflag || before.c_oflag != after.c_oflag))
		_exit(31);
	if (wait_status(g) != 0)
		_exit(32);
	_exit(r == 0 ? 0 : 33);
}

/* Read from fd until it contains needle or EOF/timeout; returns the text. */
static size_t read_until(int fd, char *buf, size_t cap, size_t len, const char *needle)
{
	while (len + 1 < cap && !strstr(buf, needle)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return len;
}

static void test_proxy_devnull(int mode, const char *want, const char *name)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		proxy_side(devnull, out[1], mode);
	close(out[1]);
	close(devnull);
	char buf[4096] = "";
	size_t len = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t n = read_until(out[0], buf, sizeof buf, len, "\1never");
		if (n == len)
			break;
		len = n;
	}
	int st = wait_status(pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (st != 0)
		printf("# proxy child status %d\n", st);
	check(st == 0 && strstr(buf, want) && dt < 1.5, name);
	close(out[0]);
}

static void test_proxy_tty(void)
{
	struct volt_error err = {0};
	int om, os, out[2];
	if (volt_pty_open(&om, &os, NULL, &err) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		check(0, "tty_proxy on a tty: setup");
		return;
	}
	volt_pty_set_size(om, 33, 77, &err);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(om);
		proxy_side(os, out[1], 1);
	}
	close(out[1]);
	close(os);
	char buf[4096] = "";
	if (write(om, "abc\r", 4) != 4)
		check(0, "write to outer pty");
	size_t len = read_until(out[0], buf, sizeof buf, 0, "got:abc size=33x77");
	check(strstr(buf, "got:abc size=33x77") != NULL,
	      "tty_proxy: stdin reaches the pty, window size forwarded");

	struct termios t;
	check(tcgetattr(om, &t) == 0 && !(t.c_lflag & (ICANON | ECHO)),
	      "tty_proxy: our stdin tty is raw meanwhile");

	volt_pty_set_size(om, 40, 100, &err);
	kill(pid, SIGWINCH);
	if (write(om, "def\r", 4) != 4)
		check(0, "write to outer pty");
	read_until(out[0], buf, sizeof buf, len, "got:def size=40x100");
	check(strstr(buf, "got:def size=40x100") != NULL, "tty_proxy: SIGWINCH forwards the new size");

	int st = wait_status(pid);
	if (st != 0)
		printf("# proxy child status %d\n", st);
	check(st == 0, "tty_proxy: returns 0 and restores the tty's modes");
	check(tcgetattr(om, &t) == 0 && (t.c_lflag & ICANON), "tty_proxy: canonical mode back after return");
	close(out[0]);
	close(om);
}

int main(void)
{
	if (access("/dev/ptmx", R_OK | W_OK) != 0) {
		printf("1..0 # skip no /dev/ptmx\n");
		return 0;
	}
	test_open_and_size();
	test_console_wire();
	test_console_recv();
	test_console_connect();
	test_proxy_devnull(0, "hello\r\n", "tty_proxy: child output reaches stdout, stdin /dev/null");
	test_proxy_devnull(2, "bye\r\n", "tty_proxy: returns soon after exit while a daemon holds the slave");
	test_proxy_tty();
	return tap_done();
}
