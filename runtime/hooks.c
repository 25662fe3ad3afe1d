/* OCI hooks. Each hook is forked and exec'd with the state JSON on a pipe as
 * stdin; the parent feeds the pipe from a poll loop that also watches the
 * child's pidfd and the deadline, so neither a hook that never reads stdin
 * nor one that never exits can block us. This also runs inside the
 * container init (maybe PID 1 of a pid namespace): no signal handlers are
 * relied on and only our own child is reaped. */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/cleanup.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *hook_kind_name(enum oci_hook_kind k)
{
	const char *n = oci_hook_kind_name(k);
	return n ? n : "unknown";
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child side, between fork and execve: async-signal-safe calls only. */
static __attribute__((noreturn)) void exec_hook(const struct oci_hook *h, char *const argv[],
						char *const envp[], int stdin_fd, int errpipe)
{
	/* Move our two fds above 2 first, in case the caller ran with 0-2 closed. */
	int in = fcntl(stdin_fd, F_DUPFD_CLOEXEC, 3);
	int ep = fcntl(errpipe, F_DUPFD_CLOEXEC, 3);
	int e;
	if (in < 0 || ep < 0) {
		e = errno;
		goto fail;
	}
	if (dup2(in, STDIN_FILENO) < 0) {
		e = errno;
		goto fail;
	}

	/* Hooks start with a clean signal state whatever the runtime was doing. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);

	/* Everything but 0-2 closes at exec; errpipe stays usable until then. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (int fd = 3; fd < max; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}

	execve(h->path, argv, envp);
	e = errno;
fail:
	if (ep < 0)
		ep = errpipe;
	while (write(ep, &e, sizeof e) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Feed state to the hook's stdin and wait for it, killing it at the deadline.
 * Returns 0 with *status filled, or <0 (timeout/system error) with err set. */
static int feed_and_wait(pid_t pid, int stdin_w, const char *state, size_t len, int timeout_s, int *status,
			 const char *what, struct volt_error *err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t deadline = timeout_s > 0 ? now_ms() + (int64_t)timeout_s * 1000 : -1;
	size_t off = 0;
	bool writing = true;

	if (len == 0) {
		close(stdin_w);
		writing = false;
	}
	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		int pid_ix = -1, in_ix = -1;
		if (pidfd >= 0) {
			p[n] = (struct pollfd){.fd = pidfd, .events = POLLIN};
			pid_ix = (int)n++;
		} else {
			/* No pidfd (old kernel, or SIGCHLD ignored oddities): tick and poll waitpid. */
			pid_t r = waitpid(pid, status, WNOHANG);
			if (r == pid)
				break;
			if (r < 0 && errno != EINTR) {
				int e = errno;
				if (writing)
					close(stdin_w);
				return volt_err(err, e, "%s: waitpid", what);
			}
		}
		if (writing) {
			p[n] = (struct pollfd){.fd = stdin_w, .events = POLLOUT};
			in_ix = (int)n++;
		}

		int wait_ms = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				if (writing)
					close(stdin_w);
				kill(pid, SIGKILL);
				while (waitpid(pid, status, 0) < 0 && errno == EINTR)
					;
				return volt_err(err, 0, "%s: timed out after %d s", what, timeout_s);
			}
			wait_ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (pidfd < 0 && (wait_ms < 0 || wait_ms > 20))
			wait_ms = 20;

		int r = poll(p, n, wait_ms);
		if (r < 0 && errno != EINTR) {
			int e = errno;
			if (writing)
				close(stdin_w);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return volt_err(err, e, "%s: poll", what);
		}
		if (r <= 0)
			continue;
		if (in_ix >= 0 && p[in_ix].revents) {
			/* SIGPIPE is blocked by the caller; EPIPE means the hook closed stdin. */
			ssize_t w = write(stdin_w, state + off, len - off);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EINTR && errno != EAGAIN) || off == len) {
				close(stdin_w);
				writing = false;
			}
		}
		if (pid_ix >= 0 && p[pid_ix].revents) {
			while (waitpid(pid, status, 0) < 0) {
				if (errno != EINTR) {
					int e = errno;
					if (writing)
						close(stdin_w);
					return volt_err(err, e, "%s: waitpid", what);
				}
			}
			break;
		}
	}
	if (writing)
		close(stdin_w);
	return 0;
}

static int run_one(const struct oci_hook *h, enum oci_hook_kind kind, size_t idx, const char *state,
		   struct volt_error *err)
{
	static char *const empty_env[] = {NULL};
	char what[PATH_MAX + 64];
	snprintf(what, sizeof what, "hooks.%s[%zu] (%s)", hook_kind_name(kind), idx, h->path ? h->path : "");
	if (!h->path)
		return volt_err(err, EINVAL, "%s: no path", what);

	/* argv/envp are ready before fork: the child must not allocate. */
	char *path_argv[] = {h->path, NULL};
	char *const *argv = h->args.n > 0 && h->args.v ? h->args.v : path_argv;
	char *const *envp = h->env.n > 0 && h->env.v ? h->env.v : empty_env;

	int in[2], ep[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return volt_err(err, errno, "%s: pipe", what);
	_cleanup_close_ int in_r = in[0];
	int in_w = in[1]; /* closed by feed_and_wait */
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int e = errno;
		close(in_w);
		return volt_err(err, e, "%s: pipe", what);
	}
	_cleanup_close_ int ep_r = ep[0];
	_cleanup_close_ int ep_w = ep[1];

	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in_w);
		return volt_err(err, e, "%s: fork", what);
	}
	if (pid == 0)
		exec_hook(h, argv, envp, in_r, ep_w);

	close(volt_steal_fd(&in_r));
	close(volt_steal_fd(&ep_w));
	fcntl(in_w, F_SETFL, O_NONBLOCK);

	int status = 0;
	size_t len = state ? strlen(state) : 0;
	int timeout = h->has_timeout ? h->timeout : 0;
	if (feed_and_wait(pid, in_w, state ? state : "", len, timeout, &status, what, err) < 0)
		return -1;

	int exec_errno = 0;
	ssize_t r;
	while ((r = read(ep_r, &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof exec_errno)
		return volt_err(err, exec_errno, "%s: cannot execute", what);
	if (WIFSIGNALED(status))
		return volt_err(err, 0, "%s: killed by signal %d", what, WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return volt_err(err, 0, "%s: exited with status %d", what, WEXITSTATUS(status));
	return 0;
}

/* Writing to a pipe whose reader has gone raises SIGPIPE at the writing
 * thread; keep it blocked while hooks run and swallow one we caused. */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t s, pend;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigpending(&pend);
	g->was_pending = sigismember(&pend, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &s, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t s, pend;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigpending(&pend);
	if (!g->was_pending && sigismember(&pend, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};
		int saved = errno;
		while (sigtimedwait(&s, NULL, &zero) < 0 && errno == EINTR)
			;
		errno = saved;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

int volt_hooks_run(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
		   struct volt_error *err)
{
	if (!list)
		return 0;
	struct sigpipe_guard g;
	sigpipe_block(&g);
	int r = 0;
	for (size_t i = 0; i < list->n && r == 0; i++)
		r = run_one(&list->v[i], kind, i, state_json, err);
	sigpipe_restore(&g);
	return r;
}

void volt_hooks_run_warn(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
			 const struct volt_logger *log)
{
	if (!list)
		return;
	struct sigpipe_guard g;
	sigpipe_block(&g);
	for (size_t i = 0; i < list->n; i++) {
		struct volt_error e = {0};
		if (run_one(&list->v[i], kind, i, state_json, &e) < 0)
			volt_warn(log, "%s", e.msg);
	}
	sigpipe_restore(&g);
}
