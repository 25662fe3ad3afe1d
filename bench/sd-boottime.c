/* sd-boottime GUEST_KB IMAGES MARKER LOG CMD [ARG...]: run a VM monitor CMD
 * once with its stdout and stderr on a pipe (copied to LOG), and print:
 *
 *     MARKER_NS WALL_NS MAXRSS_KB EXTRA_KB EXTRA_AT_MARKER_KB EXIT
 *
 * MARKER_NS is the monotonic time from just before the spawn to the moment
 * MARKER first shows in CMD's output (-1 if never): the guest's init wrote it
 * to its console, so this is "monitor start -> guest init" as the host sees
 * it, kernel load and monitor setup included. WALL_NS is spawn -> wait4.
 * MAXRSS_KB is wait4's ru_maxrss: the monitor's peak RSS, guest RAM it
 * touched included. EXTRA_KB is the monitor's overhead without the guest:
 * the largest, over samples taken every 50 ms and when the marker arrives,
 * of the process's total Rss minus the Rss of its guest RAM mappings (those
 * in /proc/PID/smaps whose size is at least GUEST_KB) and of file mappings
 * whose path contains IMAGES (the kernel and initramfs, mapped read-only
 * while they are copied into the guest: page cache, not the monitor's
 * memory). EXTRA_AT_MARKER_KB is the same at the marker, with the guest
 * running its init. EXIT is CMD's status.
 *
 * A static C helper because L1 has only busybox, and only wait4 gives the
 * peak RSS of exactly the monitor process. Built by bench/stardust.sh. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Total Rss minus the Rss of mappings of at least guest_kb; -1 when the
 * process is gone. */
static long long extra_kb(pid_t pid, long long guest_kb, const char *images)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long long total = 0, guest = 0, size = 0, v;
	int image = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		/* A mapping's header line: "lo-hi perms offset dev inode [path]". */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ')) {
			image = *images && strstr(line, images) != NULL;
			continue;
		}
		if (sscanf(line, "Size: %lld kB", &v) == 1)
			size = v;
		else if (sscanf(line, "Rss: %lld kB", &v) == 1) {
			total += v;
			if (size >= guest_kb || image)
				guest += v;
		}
	}
	fclose(f);
	return total ? total - guest : -1;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: sd-boottime GUEST_KB IMAGES MARKER LOG CMD [ARG...]\n");
		return 125;
	}
	long long guest_kb = atoll(argv[1]);
	const char *images = argv[2], *marker = argv[3];
	FILE *log = fopen(argv[4], "we");
	int pfd[2];
	if (!log || pipe(pfd) < 0) {
		perror("sd-boottime: log or pipe");
		return 125;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addclose(&fa, pfd[1]);
	pid_t pid;
	long long t0 = now_ns();
	int rc = posix_spawnp(&pid, argv[5], &fa, NULL, argv + 5, environ);
	if (rc) {
		fprintf(stderr, "sd-boottime: %s: %s\n", argv[5], strerror(rc));
		return 125;
	}
	close(pfd[1]);

	/* A sliding window the size of the marker catches it across reads. */
	size_t mlen = strlen(marker);
	char buf[4096 + 256], tail[256] = "";
	size_t tlen = 0;
	long long t_marker = -1, extra = -1, at_marker = -1, next_sample = t0;
	for (;;) {
		long long t = now_ns();
		if (t >= next_sample) {
			long long e = extra_kb(pid, guest_kb, images);
			if (e > extra)
				extra = e;
			next_sample = t + 50000000LL;
		}
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(pfd[0], buf + tlen, 4096);
		if (n <= 0)
			break;
		fwrite(buf + tlen, 1, (size_t)n, log);
		if (t_marker < 0) {
			memcpy(buf, tail, tlen);
			size_t len = tlen + (size_t)n;
			if (mlen && memmem(buf, len, marker, mlen)) {
				t_marker = now_ns() - t0;
				at_marker = extra_kb(pid, guest_kb, images);
				if (at_marker > extra)
					extra = at_marker;
			}
			/* The console may come a byte per write: keep up to
			 * mlen - 1 bytes, however short the read. */
			tlen = mlen > 1 ? mlen - 1 : 0;
			if (tlen > len)
				tlen = len;
			if (tlen > sizeof(tail))
				tlen = sizeof(tail);
			memcpy(tail, buf + len - tlen, tlen);
		}
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("sd-boottime: wait4");
			return 125;
		}
	long long wall = now_ns() - t0;
	fclose(log);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%lld %lld %ld %lld %lld %d\n", t_marker, wall, ru.ru_maxrss, extra, at_marker, code);
	return code;
}
