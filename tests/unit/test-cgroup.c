/* cgroup managers without root or a real cgroupfs: path computation, and
 * detection + create/enter/procs/kill/destroy on fake trees (the seam
 * described in runtime/cgroup-detect.c) for v1, hybrid and v2. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"
#include "cgroup-test-util.h"

static bool get(const char *dir, const char *file, char *buf, size_t size)
{
	char p[1024];
	fmt(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n >= 0;
}

static bool file_is(const char *dir, const char *file, const char *want)
{
	char buf[256];
	return get(dir, file, buf, sizeof buf) && strcmp(buf, want) == 0;
}

static bool exists(const char *a, const char *b)
{
	char p[1024];
	struct stat st;
	fmt(p, sizeof p, "%s%s", a, b);
	return stat(p, &st) == 0;
}

static void mkhier(const char *root, const char *name, const char *marker)
{
	char p[1024];
	fmt(p, sizeof p, "%s/%s", root, name);
	mkdir(p, 0755);
	put(p, VOLT_CGROUP_FAKE_MARKER, marker);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rm_tree(const char *p)
{
	nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_paths(void)
{
	static const struct {
		const char *in, *id, *want;
	} ok_cases[] = {
	    {NULL, "abc", "/volt/abc"},
	    {"", "abc", "/volt/abc"},
	    {"/foo/bar", "x", "/foo/bar"},
	    {"foo/bar", "x", "/foo/bar"},
	    {"//a/./b/", "x", "/a/b"},
	    {"machine.slice:volt:abc", "x", "/machine.slice/volt-abc.scope"},
	    {":volt:abc", "x", "/system.slice/volt-abc.scope"},
	    {"user.slice::abc", "x", "/user.slice/abc.scope"},
	    {"system.slice:p:sub.slice", "x", "/system.slice/sub.slice"},
	    {"a:b", "x", "/a:b"},
	};
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		char out[512], name[256];
		struct volt_error err = {0};
		int r = volt_cg_compute_path(out, sizeof out, ok_cases[i].in, ok_cases[i].id, &err);
		fmt(name, sizeof name, "path %s -> %s", ok_cases[i].in ? ok_cases[i].in : "(null)",
		    ok_cases[i].want);
		check_detail(r == 0 && strcmp(out, ok_cases[i].want) == 0, name, r < 0 ? err.msg : out);
	}
	static const char *const bad[] = {"../../etc", "/a/../../b", "a/..", "..:p:n", "/", "//./"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[512], name[256];
		struct volt_error err = {0};
		int r = volt_cg_compute_path(out, sizeof out, bad[i], "x", &err);
		fmt(name, sizeof name, "hostile path \"%s\" rejected naming linux.cgroupsPath", bad[i]);
		check_detail(r < 0 && strstr(err.msg, "linux.cgroupsPath"), name, r < 0 ? err.msg : out);
	}
	char out[512];
	struct volt_error err = {0};
	check(volt_cg_compute_path(out, sizeof out, NULL, "a/b", &err) < 0 &&
		  volt_cg_compute_path(out, sizeof out, NULL, "..", &err) < 0,
	      "default path rejects ids that are not one name");
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	check_detail(volt_cg_compute_path(out, sizeof out, longname, "x", &err) < 0 &&
			 err.errnum == ENAMETOOLONG,
		     "over-long cgroup name rejected", err.msg);
}

static const char *const v1_hiers[][2] = {
    {"cpu", "cpu"},	  {"cpuacct", "cpuacct"}, {"cpuset", "cpuset"},	       {"freezer", "freezer"},
    {"memory", "memory"}, {"pids", "pids"},	  {"systemd", "name=systemd"},
};
#define N_V1 (sizeof v1_hiers / sizeof v1_hiers[0])

static void make_v1(const char *root)
{
	for (size_t i = 0; i < N_V1; i++)
		mkhier(root, v1_hiers[i][0], v1_hiers[i][1]);
	char p[1024];
	fmt(p, sizeof p, "%s/cpuset", root);
	put(p, "cpuset.cpus", "0-3\n");
	put(p, "cpuset.mems", "0\n");
}

static bool in_every(const char *root, const char *path, bool want)
{
	for (size_t i = 0; i < N_V1; i++) {
		char p[1024];
		fmt(p, sizeof p, "%s/%s", root, v1_hiers[i][0]);
		if (exists(p, path) != want)
			return false;
	}
	return true;
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void test_v1(const char *root)
{
	struct volt_cgroup cg;
	struct volt_error err = {0};
	make_v1(root);
	int r = volt_cgroup_init(&cg, root, NULL, "t1", &err);
	check_detail(r == 0 && cg.layout == VOLT_CGROUP_V1 && cg.n_hier == N_V1 && cg.fake &&
			 strcmp(cg.ops->name, "v1") == 0,
		     "v1 fake tree detected with every hierarchy", err.msg);
	if (r < 0)
		return;
	bool ctl_ok = true;
	for (size_t i = 0; i < cg.n_hier; i++)
		ctl_ok &= volt_cg_hier_has(&cg.hier[i], v1_hiers[i][1]) && !cg.hier[i].v2;
	check(ctl_ok, "v1 hierarchies carry their controllers (incl. name=systemd)");

	r = cg.ops->create(&cg, &err);
	check_detail(r == 0 && in_every(root, "/volt/t1", true),
		     "v1 create makes the leaf in every hierarchy", err.msg);
	char cs[1024];
	fmt(cs, sizeof cs, "%s/cpuset/volt", root);
	bool cpus = file_is(cs, "cpuset.cpus", "0-3\n") && file_is(cs, "cpuset.mems", "0\n");
	fmt(cs, sizeof cs, "%s/cpuset/volt/t1", root);
	cpus &= file_is(cs, "cpuset.cpus", "0-3\n") && file_is(cs, "cpuset.mems", "0\n");
	check(cpus, "v1 cpuset cpus/mems copied from the parent at every level");

	pid_t me = getpid();
	char spid[32];
	fmt(spid, sizeof spid, "%d", (int)me);
	r = cg.ops->enter(&cg, me, &err);
	bool all = r == 0;
	for (size_t i = 0; i < N_V1 && all; i++) {
		char p[1024];
		fmt(p, sizeof p, "%s/%s/volt/t1", root, v1_hiers[i][0]);
		all &= file_is(p, "cgroup.procs", spid);
	}
	check_detail(all, "v1 enter writes the pid into every hierarchy", err.msg);

	pid_t *pids = NULL;
	size_t n = 0;
	r = cg.ops->procs(&cg, &pids, &n, &err);
	check_detail(r == 0 && n == 1 && pids[0] == me, "v1 procs is the union over hierarchies", err.msg);
	free(pids);

	struct volt_cgroup again;
	volt_cgroup_init(&again, root, "/volt/t1", "x", &err);
	r = again.ops->create(&again, &err);
	check_detail(r < 0 && err.errnum == EEXIST && strstr(err.msg, "in use"),
		     "create on a leaf with processes fails", err.msg);

	/* kill_all: a real child listed in one hierarchy, freezer around it */
	pid_t child = sleeper();
	fmt(spid, sizeof spid, "%d\n", (int)child);
	char p[1024];
	for (size_t i = 0; i < N_V1; i++) {
		fmt(p, sizeof p, "%s/%s/volt/t1", root, v1_hiers[i][0]);
		put(p, "cgroup.procs", strcmp(v1_hiers[i][0], "memory") == 0 ? spid : "");
	}
	fmt(p, sizeof p, "%s/freezer/volt/t1", root);
	put(p, "freezer.state", "THAWED\n");
	r = volt_cgroup_kill_all(&cg, SIGTERM, &err);
	int st = 0;
	waitpid(child, &st, 0);
	check_detail(r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		     "kill_all signals every listed pid", err.msg);
	check(file_is(p, "freezer.state", "THAWED"), "kill_all thaws the freezer it froze");

	fmt(p, sizeof p, "%s/memory/volt/t1", root);
	put(p, "cgroup.procs", "");
	r = again.ops->create(&again, &err);
	check_detail(r == 0, "create reuses an empty leftover leaf", err.msg);

	r = volt_cgroup_kill_and_destroy(&cg, &err);
	check_detail(r == 0 && in_every(root, "/volt/t1", false) && in_every(root, "/volt", true),
		     "v1 kill_and_destroy removes the leaf everywhere, keeps parents", err.msg);
	r = cg.ops->destroy(&cg, &err);
	check_detail(r == 0, "destroy of a missing cgroup is fine", err.msg);

	/* half-made: a file where a directory must go in "pids" */
	fmt(p, sizeof p, "%s/pids", root);
	put(p, "rb", "");
	struct volt_cgroup rb;
	volt_cgroup_init(&rb, root, "/rb/x", "x", &err);
	r = rb.ops->create(&rb, &err);
	char cpu[1024], mem[1024];
	fmt(cpu, sizeof cpu, "%s/cpu", root);
	fmt(mem, sizeof mem, "%s/memory", root);
	check_detail(r < 0 && err.errnum == ENOTDIR && !exists(cpu, "/rb") && !exists(mem, "/rb"),
		     "failed create removes what it made in earlier hierarchies", err.msg);

	struct volt_cgroup op;
	r = volt_cgroup_open(&op, root, "/volt/t1", &err);
	check_detail(r == 0 && op.layout == VOLT_CGROUP_V1 && strcmp(op.path, "/volt/t1") == 0,
		     "open re-detects a saved path", err.msg);
	check(volt_cgroup_open(&op, root, "volt/t1", &err) < 0, "open wants an absolute path");
}

static void test_hybrid(const char *root)
{
	struct volt_cgroup cg;
	struct volt_error err = {0};
	make_v1(root);
	mkhier(root, "unified", "cgroup2");
	char u[1024];
	fmt(u, sizeof u, "%s/unified", root);
	put(u, "cgroup.controllers", "hugetlb\n");
	int r = volt_cgroup_init(&cg, root, "/h/c", "x", &err);
	size_t v2 = 0, nv2 = 0;
	for (size_t i = 0; i < cg.n_hier; i++)
		if (cg.hier[i].v2) {
			v2 = i;
			nv2++;
		}
	check_detail(r == 0 && cg.layout == VOLT_CGROUP_HYBRID && cg.n_hier == N_V1 + 1 && nv2 == 1 &&
			 strcmp(cg.hier[v2].mountpoint, u) == 0 && strcmp(cg.ops->name, "v1") == 0,
		     "hybrid fake tree detected (v1 + cgroup2 beside)", err.msg);
	if (r < 0)
		return;
	r = cg.ops->create(&cg, &err);
	check_detail(r == 0 && in_every(root, "/h/c", true) && exists(u, "/h/c") &&
			 !exists(u, "/cgroup.subtree_control"),
		     "hybrid create covers the cgroup2 mount too, delegating nothing", err.msg);
	r = cg.ops->enter(&cg, getpid(), &err);
	char spid[32], leaf[1024];
	fmt(spid, sizeof spid, "%d", (int)getpid());
	fmt(leaf, sizeof leaf, "%s/h/c", u);
	check_detail(r == 0 && file_is(leaf, "cgroup.procs", spid), "hybrid enter joins the cgroup2 leaf",
		     err.msg);
	for (size_t i = 0; i < N_V1; i++) {
		fmt(leaf, sizeof leaf, "%s/%s/h/c", root, v1_hiers[i][0]);
		put(leaf, "cgroup.procs", "");
	}
	/* hybrid SIGKILL goes through cgroup.kill of the cgroup2 side */
	fmt(leaf, sizeof leaf, "%s/h/c", u);
	put(leaf, "cgroup.procs", "");
	put(leaf, "cgroup.kill", "");
	r = volt_cgroup_kill_all(&cg, SIGKILL, &err);
	check_detail(r == 0 && file_is(leaf, "cgroup.kill", "1"), "hybrid SIGKILL writes cgroup.kill",
		     err.msg);
	r = volt_cgroup_kill_and_destroy(&cg, &err);
	check_detail(r == 0 && in_every(root, "/h/c", false) && !exists(u, "/h/c"),
		     "hybrid destroy removes every leaf", err.msg);
}

static void test_v2(const char *root)
{
	struct volt_cgroup cg;
	struct volt_error err = {0};
	put(root, VOLT_CGROUP_FAKE_MARKER, "cgroup2\n");
	put(root, "cgroup.controllers", "cpu memory pids\n");
	put(root, "cgroup.subtree_control", "");
	int r = volt_cgroup_init(&cg, root, NULL, "c1", &err);
	check_detail(r == 0 && cg.layout == VOLT_CGROUP_V2 && cg.n_hier == 1 && cg.hier[0].v2 &&
			 strcmp(cg.ops->name, "v2") == 0,
		     "v2 fake tree detected", err.msg);
	if (r < 0)
		return;
	r = cg.ops->create(&cg, &err);
	char vd[1024], leaf[1024];
	fmt(vd, sizeof vd, "%s/volt", root);
	fmt(leaf, sizeof leaf, "%s/volt/c1", root);
	check_detail(r == 0 && exists(leaf, ""), "v2 create makes the leaf", err.msg);
	check(file_is(root, "cgroup.subtree_control", "+cpu +memory +pids") &&
		  file_is(vd, "cgroup.subtree_control", "+cpu +memory +pids") &&
		  !exists(leaf, "/cgroup.subtree_control"),
	      "v2 controllers delegated down to the leaf's parent, not in the leaf");
	r = cg.ops->enter(&cg, getpid(), &err);
	char spid[32];
	fmt(spid, sizeof spid, "%d", (int)getpid());
	check_detail(r == 0 && file_is(leaf, "cgroup.procs", spid), "v2 enter writes the leaf's cgroup.procs",
		     err.msg);
	pid_t *pids = NULL;
	size_t n = 0;
	r = cg.ops->procs(&cg, &pids, &n, &err);
	check_detail(r == 0 && n == 1 && pids[0] == getpid(), "v2 procs", err.msg);
	free(pids);

	/* v2 without cgroup.kill: freeze with cgroup.freeze, signal, thaw */
	pid_t child = sleeper();
	fmt(spid, sizeof spid, "%d\n", (int)child);
	put(leaf, "cgroup.procs", spid);
	put(leaf, "cgroup.freeze", "0\n");
	r = volt_cgroup_kill_all(&cg, SIGKILL, &err);
	int st = 0;
	waitpid(child, &st, 0);
	check_detail(r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
			 file_is(leaf, "cgroup.freeze", "0"),
		     "v2 kill_all without cgroup.kill freezes, kills, thaws", err.msg);
	put(leaf, "cgroup.procs", "");
	put(leaf, "cgroup.kill", "");
	r = volt_cgroup_kill_all(&cg, SIGKILL, &err);
	check_detail(r == 0 && file_is(leaf, "cgroup.kill", "1"), "v2 SIGKILL uses cgroup.kill when present",
		     err.msg);

	/* a sub-cgroup the container made is removed with it */
	char sub[1024];
	fmt(sub, sizeof sub, "%s/inner", leaf);
	mkdir(sub, 0755);
	r = volt_cgroup_kill_and_destroy(&cg, &err);
	check_detail(r == 0 && !exists(leaf, "") && exists(vd, ""),
		     "v2 destroy removes the leaf (and below), keeps parents", err.msg);
}

static void test_empty(const char *root)
{
	struct volt_cgroup cg;
	struct volt_error err = {0};
	int r = volt_cgroup_init(&cg, root, NULL, "x", &err);
	check_detail(r < 0 && strstr(err.msg, "no cgroup hierarchy"),
		     "a tree without hierarchies is an error", err.msg);
	r = volt_cgroup_init(&cg, "relative/root", NULL, "x", &err);
	check_detail(r < 0, "a relative root is an error", err.msg);
}

int main(void)
{
	char base[] = "/tmp/volt-test-cgroup.XXXXXX";
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_paths();
	const char *names[] = {"v1", "hybrid", "v2", "empty"};
	void (*fns[])(const char *) = {test_v1, test_hybrid, test_v2, test_empty};
	for (size_t i = 0; i < 4; i++) {
		char d[1024];
		fmt(d, sizeof d, "%s/%s", base, names[i]);
		mkdir(d, 0755);
		fns[i](d);
	}
	rm_tree(base);
	return tap_done();
}
