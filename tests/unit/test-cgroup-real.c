/* cgroup managers on the real kernel (needs root): (1) the host's layout under
 * /sys/fs/cgroup (hybrid on the dev VM), (2) pure v2, on a cgroup2 mount made
 * in a private mount namespace. Each runs create / enter / procs / kill_all
 * (freezer) / kill_and_destroy with a process that forks inside the cgroup.
 * Every cgroup made here is removed, also when a check fails. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"
#include "cgroup-test-util.h"

static int usr1_fd = -1;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n >= 0;
}

/* Does /proc/pid/cgroup put pid at path in the hierarchy with controller
 * ctl ("" = the cgroup2 "0::" line)? */
static bool proc_cgroup_has(pid_t pid, const char *ctl, const char *path)
{
	char p[64], buf[4096];
	fmt(p, sizeof p, "/proc/%d/cgroup", (int)pid);
	if (!read_text(p, buf, sizeof buf))
		return false;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		struct volt_cgroup_hier h = {.v2 = false};
		fmt(h.controllers, sizeof h.controllers, "%s", c1 + 1);
		bool match = *ctl ? volt_cg_hier_has(&h, ctl) : (c1 == line + 1 && line[0] == '0' && !c1[1]);
		if (match)
			return strcmp(c2 + 1, path) == 0;
	}
	return false;
}

static char proc_state(pid_t pid)
{
	char p[64], buf[512];
	fmt(p, sizeof p, "/proc/%d/stat", (int)pid);
	if (!read_text(p, buf, sizeof buf))
		return '?';
	char *rp = strrchr(buf, ')');
	return rp && rp[1] ? rp[2] : '?';
}

static void on_usr1(int sig)
{
	(void)sig;
	if (write(usr1_fd, "u", 1) < 0) {
		/* nothing to do in a handler */
	}
}

/* The container stand-in: waits to be moved, then forks one child; both
 * report SIGUSR1 on a pipe and otherwise sleep. */
static pid_t spawn(int *go_fd, int *usr1_read)
{
	int go[2], u[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(u, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(u[0]);
		usr1_fd = u[1];
		signal(SIGUSR1, on_usr1);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (fork() < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[0]);
	close(u[1]);
	*go_fd = go[1];
	*usr1_read = u[0];
	return pid;
}

static bool wait_usr1(int fd, int count)
{
	long long deadline = now_us() + 2000000;
	while (count > 0 && now_us() < deadline) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) == 1) {
			char c;
			if (read(fd, &c, 1) == 1)
				count--;
		}
	}
	return count == 0;
}

static bool leaf_gone_everywhere(const struct volt_cgroup *cg)
{
	for (size_t h = 0; h < cg->n_hier; h++) {
		char p[1024];
		struct stat st;
		if (volt_cg_leaf_path(cg, h, NULL, p, sizeof p) < 0 || stat(p, &st) == 0)
			return false;
	}
	return true;
}

static void remove_parent(const struct volt_cgroup *cg, const char *parent)
{
	for (size_t h = 0; h < cg->n_hier; h++) {
		char p[1024];
		fmt(p, sizeof p, "%s%s", cg->hier[h].mountpoint, parent);
		rmdir(p); /* fails while another run uses it: fine */
	}
}

/* The whole lifecycle on one layout. tag names the checks. */
static void cycle(const char *tag, const char *root, const char *parent, enum volt_cgroup_layout want)
{
	struct volt_cgroup cg;
	struct volt_error err = {0};
	char name[256], path[128];
	fmt(path, sizeof path, "%s/%d", parent, (int)getpid());

	long long t0 = now_us();
	int r = volt_cgroup_init(&cg, root, path, "unused", &err);
	long long t1 = now_us();
	fmt(name, sizeof name, "%s: init detects layout %d (%s) in %lld us", tag, (int)want,
	    want == VOLT_CGROUP_V2	 ? "v2"
	    : want == VOLT_CGROUP_HYBRID ? "hybrid"
					 : "v1",
	    t1 - t0);
	check_detail(r == 0 && cg.layout == want, name, r < 0 ? err.msg : NULL);
	if (r < 0)
		return;

	t0 = now_us();
	r = cg.ops->create(&cg, &err);
	t1 = now_us();
	fmt(name, sizeof name, "%s: create %s in %zu hierarchies (%lld us)", tag, cg.path, cg.n_hier,
	    t1 - t0);
	check_detail(r == 0, name, err.msg);
	if (r < 0)
		return;

	int go = -1, u = -1;
	pid_t child = spawn(&go, &u);
	if (child < 0) {
		check_detail(false, "fork", strerror(errno));
		cg.ops->destroy(&cg, &err);
		remove_parent(&cg, parent);
		return;
	}
	t0 = now_us();
	r = cg.ops->enter(&cg, child, &err);
	t1 = now_us();
	fmt(name, sizeof name, "%s: enter pid in every hierarchy (%lld us)", tag, t1 - t0);
	check_detail(r == 0, name, err.msg);
	if (write(go, "g", 1) != 1)
		check_detail(false, "release child", strerror(errno));

	bool lines = true;
	ssize_t has_v2 = -1;
	for (size_t h = 0; h < cg.n_hier; h++)
		if (cg.hier[h].v2)
			has_v2 = (ssize_t)h;
	if (cg.layout != VOLT_CGROUP_V2) {
		lines &= proc_cgroup_has(child, "memory", cg.path);
		lines &= proc_cgroup_has(child, "pids", cg.path);
	}
	if (has_v2 >= 0)
		lines &= proc_cgroup_has(child, "", cg.path);
	fmt(name, sizeof name, "%s: /proc/<child>/cgroup lists %s (%s)", tag, cg.path,
	    cg.layout == VOLT_CGROUP_V2 ? "0::"
	    : has_v2 >= 0		? "memory, pids, 0::"
					: "memory, pids");
	check(lines, name);

	/* wait for the grandchild */
	pid_t *pids = NULL;
	size_t n = 0;
	long long deadline = now_us() + 1000000;
	do {
		free(pids);
		pids = NULL;
		n = 0;
		r = cg.ops->procs(&cg, &pids, &n, &err);
	} while (r == 0 && n < 2 && now_us() < deadline && usleep(1000) == 0);
	bool has_child = false;
	for (size_t i = 0; i < n; i++)
		has_child |= pids[i] == child;
	free(pids);
	fmt(name, sizeof name, "%s: procs lists the child and its fork", tag);
	check_detail(r == 0 && n == 2 && has_child, name, err.msg);

	struct volt_cgroup again;
	r = volt_cgroup_init(&again, root, path, "unused", &err);
	if (r == 0)
		r = again.ops->create(&again, &err);
	fmt(name, sizeof name, "%s: create on the busy cgroup fails with EEXIST", tag);
	check_detail(r < 0 && err.errnum == EEXIST, name, err.msg);

	r = volt_cgroup_kill_all(&cg, SIGUSR1, &err);
	bool got = r == 0 && wait_usr1(u, 2);
	fmt(name, sizeof name, "%s: kill_all(SIGUSR1) reaches both processes through the freezer", tag);
	check_detail(got, name, r < 0 ? err.msg : NULL);

	char state[64] = "", fp[1024] = "";
	bool thawed = true;
	for (size_t h = 0; h < cg.n_hier; h++) {
		if (!cg.hier[h].v2 && volt_cg_hier_has(&cg.hier[h], "freezer")) {
			volt_cg_leaf_path(&cg, h, "freezer.state", fp, sizeof fp);
			thawed = read_text(fp, state, sizeof state) && strncmp(state, "THAWED", 6) == 0;
			break;
		}
		if (cg.hier[h].v2 && cg.layout == VOLT_CGROUP_V2) {
			volt_cg_leaf_path(&cg, h, "cgroup.freeze", fp, sizeof fp);
			thawed = read_text(fp, state, sizeof state) && state[0] == '0';
		}
	}
	fmt(name, sizeof name, "%s: thawed afterwards (%s)", tag, fp);
	check_detail(thawed, name, state);

	t0 = now_us();
	r = volt_cgroup_kill_and_destroy(&cg, &err);
	t1 = now_us();
	char st = proc_state(child);
	for (int i = 0; i < 200 && st != 'Z'; i++) { /* exit_notify may trail the rmdir by a moment */
		usleep(1000);
		st = proc_state(child);
	}
	fmt(name, sizeof name, "%s: kill_and_destroy (%lld us) removes the leaf in every hierarchy", tag,
	    t1 - t0);
	check_detail(r == 0 && leaf_gone_everywhere(&cg), name, err.msg);
	/* we have not reaped the child yet: a zombie must not block rmdir */
	fmt(name, sizeof name, "%s: destroy succeeded while the child was an unreaped zombie (state %c)", tag,
	    st);
	check(r == 0 && st == 'Z', name);

	int status = 0;
	if (r < 0)
		kill(child, SIGKILL);
	waitpid(child, &status, 0);
	fmt(name, sizeof name, "%s: the child died of SIGKILL", tag);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, name);
	close(go);
	close(u);

	if (r < 0) /* leave nothing behind, even after a failed check */
		volt_cgroup_kill_and_destroy(&cg, &err);
	remove_parent(&cg, parent);
}

static void host_layout(void)
{
	struct statfs sfs;
	struct stat st;
	if (statfs("/sys/fs/cgroup", &sfs) < 0) {
		skip("host layout", "no /sys/fs/cgroup");
		return;
	}
	enum volt_cgroup_layout want = VOLT_CGROUP_V2;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		want = VOLT_CGROUP_V1;
		if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC &&
		    stat("/sys/fs/cgroup/unified", &st) == 0)
			want = VOLT_CGROUP_HYBRID;
	}
	cycle("host", "/sys/fs/cgroup", "/volt-test", want);
}

/* Pure v2 on this hybrid host: a fresh cgroup2 mount (the same unified
 * hierarchy) in a private mount namespace, in a child process. Results come
 * back as two ints on a pipe so the TAP numbering continues. */
static void pure_v2(void)
{
	int res[2];
	if (pipe(res) < 0) {
		skip("pure v2", "pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(res[0]);
		int before = tap_n_checks, failed_before = tap_n_failed;
		char dir[] = "/tmp/volt-cg2.XXXXXX";
		char saved[512] = "";
		bool have_saved = false;
		if (unshare(CLONE_NEWNS) < 0) {
			skip("pure v2", "unshare(CLONE_NEWNS) failed");
		} else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			skip("pure v2", "cannot make / private");
		} else if (!mkdtemp(dir)) {
			skip("pure v2", "mkdtemp failed");
		} else {
			if (mount("none", dir, "cgroup2", 0, NULL) < 0) {
				skip("pure v2", "mount -t cgroup2 failed");
			} else {
				/* create delegates controllers at the root: put it back */
				char sc[600];
				fmt(sc, sizeof sc, "%s/cgroup.subtree_control", dir);
				have_saved = read_text(sc, saved, sizeof saved);
				cycle("v2", dir, "/volt-test-v2", VOLT_CGROUP_V2);
				if (have_saved) {
					char now[512] = "";
					read_text(sc, now, sizeof now);
					for (char *t = strtok(now, " \n"); t; t = strtok(NULL, " \n")) {
						if (strstr(saved, t))
							continue;
						char op[80];
						fmt(op, sizeof op, "-%s", t);
						int fd = open(sc, O_WRONLY | O_CLOEXEC);
						if (fd >= 0) {
							if (write(fd, op, strlen(op)) < 0) {
								/* another run still uses it */
							}
							close(fd);
						}
					}
				}
				umount2(dir, MNT_DETACH);
			}
			rmdir(dir);
		}
		fflush(stdout);
		int out[2] = {tap_n_checks - before, tap_n_failed - failed_before};
		_exit(write(res[1], out, sizeof out) == sizeof out ? 0 : 1);
	}
	close(res[1]);
	int in[2] = {0, 1};
	if (pid < 0 || read(res[0], in, sizeof in) != sizeof in) {
		check(false, "pure v2 child reported");
	} else {
		tap_n_checks += in[0];
		tap_n_failed += in[1];
	}
	close(res[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		skip("real cgroups", "needs root");
		return tap_done();
	}
	host_layout();
	pure_v2();
	return tap_done();
}
