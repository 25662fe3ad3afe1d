/* volt-subreaper CMD [ARG...]: run CMD as a child with PR_SET_CHILD_SUBREAPER
 * set, reap every orphan that gets reparented to us as soon as it dies, and
 * exit with CMD's status (128+N if it was killed by signal N).
 *
 * Why: container inits started directly by tests (volt-run run -d, create)
 * outlive the volt-run that forked them and become orphans. On the test
 * machines PID 1 reaps orphans only about once a second, so a dead container
 * would linger as a zombie; under this subreaper it is reaped at once.
 *
 * SIGTERM and SIGHUP are forwarded to CMD; SIGINT and SIGQUIT are ignored here
 * because a terminal already delivers them to CMD's process group. Orphans
 * still running when CMD exits are left to PID 1. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Reap every dead child; returns 1 once the main child has been reaped. */
static int reap(pid_t main_child, int *status)
{
	int done = 0, st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == main_child) {
			*status = st;
			done = 1;
		}
	}
	return done;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CMD [ARG...]\n", argv[0]);
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "subreaper: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 1;
	}

	sigset_t handled, old;
	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGHUP);
	sigprocmask(SIG_BLOCK, &handled, &old);

	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "subreaper: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);

	int status = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&handled, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "subreaper: sigwaitinfo: %s\n", strerror(errno));
			return 1;
		}
		if (sig == SIGCHLD) {
			if (reap(child, &status))
				break;
		} else {
			kill(child, sig);
		}
	}
	/* Zombies that died together with the main child. */
	reap(child, &status);
	return exit_code(status);
}
