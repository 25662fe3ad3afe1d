/* Foreground run and exec: forward signals to the process, proxy its pty,
 * and turn its wait status into our exit status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/terminal.h"

/* Signals a foreground `run`/`exec` passes on to the container's process. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGTSTP};

void cli_sigfwd_begin(struct cli_sigfwd *f)
{
	sigset_t mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, &f->old);
	f->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
}

void cli_sigfwd_end(struct cli_sigfwd *f)
{
	sigprocmask(SIG_SETMASK, &f->old, NULL);
	if (f->sfd >= 0)
		close(f->sfd);
	f->sfd = -1;
}

int cli_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int cli_wait_process(const struct volt_ctx *ctx, pid_t pid, int pidfd, int master, struct cli_sigfwd *f)
{
	if (master >= 0) {
		struct volt_error err;
		if (volt_tty_proxy(master, pidfd, &err) < 0)
			cli_fail(ctx, &err);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = f->sfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(f->sfd, &si, sizeof si) == sizeof si)
				syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
		}
		if (p[0].revents)
			break;
	}
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		struct volt_error err;
		volt_err(&err, errno, "wait for process %d", pid);
		cli_fail(ctx, &err);
		return 255;
	}
	return cli_exit_code(status);
}

int cli_take_master(int sock)
{
	if (sock < 0)
		return -1;
	struct volt_error ignored;
	int fd = -1;
	struct pollfd p = {.fd = sock, .events = POLLIN};
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && volt_console_recv(sock, &fd, &ignored) == 0)
		return fd;
	return -1;
}
