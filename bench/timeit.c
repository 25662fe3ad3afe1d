/* timeit LOG CMD [ARG...]: run CMD once with stdin from /dev/null and its
 * stdout and stderr written to LOG, and print one line on stdout:
 *
 *     WALL_NS CPU_US MAXRSS_KB EXIT
 *
 * WALL_NS is the monotonic time from just before the spawn to the return of
 * wait4; CPU_US is user+sys time and MAXRSS_KB the peak RSS, both from the
 * rusage that wait4 reports for CMD. The kernel folds into that rusage the
 * children CMD itself reaped, so a runtime's container init and helper
 * processes count towards its CPU time, and its peak RSS is the largest of
 * the runtime process and those children. EXIT is CMD's status (128+N when
 * killed by signal N); timeit exits with it too, or with 125 when it could not
 * run CMD at all.
 *
 * Why a C helper: `date` or `time` around a command add a fork+exec of their
 * own to every sample, and only wait4 gives the per-child peak RSS. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static long long tv_us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000LL + tv->tv_usec;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s LOG CMD [ARG...]\n", argv[0]);
		return 125;
	}

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);

	struct timespec t0, t1;
	struct rusage ru;
	int status = 0;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ);
	if (rc != 0) {
		fprintf(stderr, "timeit: spawn %s: %s\n", argv[2], strerror(rc));
		return 125;
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
			return 125;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	posix_spawn_file_actions_destroy(&fa);

	int code = 125;
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);

	printf("%lld %lld %ld %d\n", ns_between(&t0, &t1), tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime),
	       ru.ru_maxrss, code);
	return code;
}
