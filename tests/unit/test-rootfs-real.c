/* The rootfs setup on the real kernel (needs root): a busybox rootfs in a
 * tmpdir, each scenario in a forked child with its own mount namespace.
 * The child reports its checks through a pipe ("1 name" / "0 name"), the
 * parent prints TAP and checks the host afterwards. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/rootfs.h"
#include "tap.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* ---- child side: results go through the pipe ---- */

static int report_fd = -1;

static void report(int ok, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(buf, sizeof buf, "%d ", ok ? 1 : 0);
	n += vsnprintf(buf + n, sizeof buf - (size_t)n - 2, fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	buf[n++] = '\n';
	if (write(report_fd, buf, (size_t)n) < 0)
		_exit(99);
}

static long fs_type(const char *path)
{
	struct statfs s;
	return statfs(path, &s) == 0 ? (long)s.f_type : -1;
}

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return (int)r;
}

static int create_errno(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		return 0;
	}
	return errno;
}

/* ---- parent side: fixtures ---- */

struct fixture {
	char base[64];	   /* /tmp/volt-rootfs-XXXXXX: the bundle */
	char rootfs[128];  /* base/rootfs */
	char rootfs2[128]; /* base/rootfs2: /proc is a symlink */
	char hostro[128];  /* base/hostro: bind source */
	char escape[64];   /* /tmp/volt-escape-XXXXXX: must never be touched */
};

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, strlen(text));
	close(fd);
	return w == (ssize_t)strlen(text) ? 0 : -1;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t r;
	int rc = 0;
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) {
			rc = -1;
			break;
		}
	close(in);
	close(out);
	return r < 0 ? -1 : rc;
}

static int mkdirf(const char *fmt, const char *a, const char *b)
{
	char p[256];
	snprintf(p, sizeof p, fmt, a, b);
	return mkdir(p, 0755);
}

static int fixture_make(struct fixture *f)
{
	strcpy(f->base, "/tmp/volt-rootfs-XXXXXX");
	strcpy(f->escape, "/tmp/volt-escape-XXXXXX");
	if (!mkdtemp(f->base) || !mkdtemp(f->escape))
		return -1;
	snprintf(f->rootfs, sizeof f->rootfs, "%s/rootfs", f->base);
	snprintf(f->rootfs2, sizeof f->rootfs2, "%s/rootfs2", f->base);
	snprintf(f->hostro, sizeof f->hostro, "%s/hostro", f->base);
	char p[256];
	int rc = 0;
	rc |= mkdir(f->rootfs, 0755) | mkdir(f->rootfs2, 0755) | mkdir(f->hostro, 0755);
	const char *dirs[] = {"bin", "proc", "sys", "dev", "tmp", "etc", "masked", "hostro"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		rc |= mkdirf("%s/%s", f->rootfs, dirs[i]);
	snprintf(p, sizeof p, "%s/VOLT_ROOT_MARKER", f->rootfs);
	rc |= write_text(p, "root\n");
	snprintf(p, sizeof p, "%s/etc/masked-file", f->rootfs);
	rc |= write_text(p, "secret\n");
	snprintf(p, sizeof p, "%s/masked/secret", f->rootfs);
	rc |= write_text(p, "secret\n");
	snprintf(p, sizeof p, "%s/bin/busybox", f->rootfs);
	rc |= copy_file("/bin/busybox", p, 0755);
	snprintf(p, sizeof p, "%s/data", f->hostro);
	rc |= write_text(p, "hello\n");
	snprintf(p, sizeof p, "%s/MARKER", f->escape);
	rc |= write_text(p, "host\n");
	/* evil -> /tmp/volt-escape-X; the same path also exists inside the
	 * rootfs, so the link resolves there when followed in root. */
	snprintf(p, sizeof p, "%s/evil", f->rootfs);
	rc |= symlink(f->escape, p);
	snprintf(p, sizeof p, "%s%s", f->rootfs, f->escape);
	rc |= mkdir(p, 0755);
	char node[128];
	snprintf(node, sizeof node, "%s/node", f->escape);
	snprintf(p, sizeof p, "%s/dev/evil", f->rootfs);
	rc |= symlink(node, p);
	char cons[128];
	snprintf(cons, sizeof cons, "%s/console", f->escape);
	snprintf(p, sizeof p, "%s/dev/console", f->rootfs);
	rc |= symlink(cons, p);
	snprintf(p, sizeof p, "%s/proc", f->rootfs2);
	rc |= symlink(f->escape, p);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fixture_free(struct fixture *f)
{
	nftw(f->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	nftw(f->escape, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int mountinfo_lines(void)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -1;
	int n = 0, ch;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

static bool escape_intact(const struct fixture *f)
{
	char p[128], buf[16];
	snprintf(p, sizeof p, "%s/MARKER", f->escape);
	struct stat a, b;
	return read_file(p, buf, sizeof buf) > 0 && strcmp(buf, "host\n") == 0 && stat(f->escape, &a) == 0 &&
	       stat("/tmp", &b) == 0 && a.st_dev == b.st_dev;
}

static bool escape_empty_besides_marker(const struct fixture *f)
{
	DIR *d = opendir(f->escape);
	if (!d)
		return false;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 1;
}

/* Run fn in a child with fresh namespaces; its reports become checks. */
static void run_child(const char *label, int ns, void (*fn)(const struct fixture *), const struct fixture *f)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		check(0, label);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		if (unshare(ns) < 0) {
			report(0, "%s: unshare: %s", label, strerror(errno));
			_exit(1);
		}
		fn(f);
		_exit(0);
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	char line[1300];
	while (in && fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = '\0';
		char name[1400];
		snprintf(name, sizeof name, "%s: %s", label, line + 2);
		check(line[0] == '1', name);
	}
	if (in)
		fclose(in);
	int st = 0;
	waitpid(pid, &st, 0);
	char name[128];
	snprintf(name, sizeof name, "%s: child exited cleanly", label);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, name);
}

/* ---- scenarios ---- */

#define STRV(...)                                                                                            \
	{                                                                                                    \
		.v = (char *[]){__VA_ARGS__, NULL}, .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)    \
	}

static bool host_has_v1_memory(void)
{
	struct statfs s;
	return statfs("/sys/fs/cgroup/memory", &s) == 0 && s.f_type == CGROUP_SUPER_MAGIC;
}

static void scenario_main(const struct fixture *f)
{
	struct oci_mount mounts[] = {
	    {"/proc", "proc", "proc", STRV("nosuid", "noexec", "nodev")},
	    {"/dev", "tmpfs", "tmpfs", STRV("nosuid", "strictatime", "mode=755", "size=65536k")},
	    {"/dev/pts", "devpts", "devpts",
	     STRV("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
	    {"/dev/shm", "tmpfs", "shm", STRV("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
	    {"/dev/mqueue", "mqueue", "mqueue", STRV("nosuid", "noexec", "nodev")},
	    {"/sys", "sysfs", "sysfs", STRV("nosuid", "noexec", "nodev", "ro")},
	    {"/sys/fs/cgroup", "cgroup", "cgroup", STRV("nosuid", "noexec", "nodev", "relatime", "ro")},
	    {"/hostro", "bind", (char *)f->hostro, STRV("rbind", "ro", "nosuid")},
	    {"/etc/hostfile", NULL, "hostro/data", STRV("bind", "ro")},
	    {"/tmp", "tmpfs", "tmpfs", STRV("nosuid", "nodev", "size=1m")},
	};
	struct oci_device devs[] = {
	    {.path = "/dev/volt-null",
	     .type = 'c',
	     .major = 1,
	     .minor = 3,
	     .has_file_mode = true,
	     .file_mode = 0620,
	     .has_uid = true,
	     .uid = 0,
	     .has_gid = true,
	     .gid = 0},
	};
	struct oci_kv sysctl[] = {{"kernel.domainname", "volt-test"}};
	struct oci_namespace nss[] = {{OCI_NS_MOUNT, NULL}, {OCI_NS_UTS, NULL}, {OCI_NS_CGROUP, NULL}};
	struct oci_config c = {
	    .root = {.path = "rootfs", .readonly = true},
	    .mounts = mounts,
	    .n_mounts = sizeof mounts / sizeof mounts[0],
	    .has_linux = true,
	    .linux =
		{
		    .namespaces = nss,
		    .n_namespaces = 3,
		    .devices = devs,
		    .n_devices = 1,
		    .sysctl = {sysctl, 1},
		    .masked_paths = STRV("/proc/kcore", "/masked", "/does/not/exist", "/etc/masked-file"),
		    .readonly_paths = STRV("/proc/sys", "/proc/nope"),
		},
	};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base};
	struct volt_error err = {0};
	bool kcore = access("/proc/kcore", F_OK) == 0; /* not every kernel has it */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r == 0, "prepare%s%s", r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	r = volt_rootfs_pivot(&c, &o, &err);
	report(r == 0, "pivot%s%s", r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	r = volt_rootfs_finalize(&c, &o, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(r == 0, "finalize%s%s", r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	report(ms < 50, "setup took %.2f ms (< 50)", ms);

	char buf[256], cwd[64];
	report(access("/VOLT_ROOT_MARKER", F_OK) == 0, "/ is the rootfs (marker file)");
	report(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "cwd is /");
	report(access(f->base, F_OK) < 0, "host tmpdir not visible");
	report(read_file("/hostro/data", buf, sizeof buf) > 0 && !strcmp(buf, "hello\n"), "bind readable");
	report(create_errno("/hostro/new") == EROFS, "ro bind: create fails with EROFS");
	report(read_file("/etc/hostfile", buf, sizeof buf) > 0 && !strcmp(buf, "hello\n"),
	       "file bind with bundle-relative source");
	int fd = open("/etc/hostfile", O_WRONLY | O_CLOEXEC);
	report(fd < 0 && errno == EROFS, "ro file bind: write open fails with EROFS");
	if (fd >= 0)
		close(fd);

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	report(fd >= 0 && write(fd, "xyz", 3) == 3 && read(fd, buf, sizeof buf) == 0, "/dev/null works");
	if (fd >= 0)
		close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	report(fd >= 0 && read(fd, buf, 8) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8), "/dev/zero works");
	if (fd >= 0)
		close(fd);
	struct stat st;
	const char *defaults[] = {"/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
	bool all = true;
	for (size_t i = 0; i < 4; i++)
		all &= stat(defaults[i], &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0666;
	report(all, "default devices full/random/urandom/tty are 0666 char devices");
	report(stat("/dev/volt-null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
		   (st.st_mode & 07777) == 0620,
	       "linux.devices entry: char 1:3 mode 0620");
	ssize_t l = readlink("/dev/ptmx", buf, sizeof buf - 1);
	report(l == 8 && !memcmp(buf, "pts/ptmx", 8), "/dev/ptmx -> pts/ptmx");
	l = readlink("/dev/fd", buf, sizeof buf - 1);
	report(l == 13 && !memcmp(buf, "/proc/self/fd", 13), "/dev/fd -> /proc/self/fd");
	report(fs_type("/dev/pts") == DEVPTS_SUPER_MAGIC, "/dev/pts is devpts");
	report(fs_type("/dev/shm") == TMPFS_MAGIC && fs_type("/dev") == TMPFS_MAGIC,
	       "/dev and /dev/shm are tmpfs");
	report(fs_type("/dev/mqueue") == MQUEUE_MAGIC, "/dev/mqueue is mqueue");
	report(fs_type("/sys") == SYSFS_MAGIC && create_errno("/sys/x") == EROFS, "/sys is read-only sysfs");
	report(fs_type("/proc") == PROC_SUPER_MAGIC, "/proc is procfs");
	if (host_has_v1_memory()) {
		report(fs_type("/sys/fs/cgroup") == TMPFS_MAGIC &&
			   fs_type("/sys/fs/cgroup/memory") == CGROUP_SUPER_MAGIC &&
			   access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0,
		       "v1 cgroup hierarchies mounted in a tmpfs (cgroup ns)");
		report(mkdir("/sys/fs/cgroup/memory/volt-x", 0755) < 0 && errno == EROFS,
		       "cgroup mounts are read-only");
	}

	if (kcore)
		report(read_file("/proc/kcore", buf, sizeof buf) == 0, "masked file /proc/kcore reads empty");
	report(read_file("/etc/masked-file", buf, sizeof buf) == 0, "masked file reads empty");
	report(access("/masked/secret", F_OK) < 0 && errno == ENOENT && fs_type("/masked") == TMPFS_MAGIC,
	       "masked dir is an empty tmpfs");
	report(create_errno("/masked/x") == EROFS, "masked dir is read-only");
	report(read_file("/proc/sys/kernel/domainname", buf, sizeof buf) > 0 && !strcmp(buf, "volt-test\n"),
	       "sysctl kernel.domainname applied");
	fd = open("/proc/sys/kernel/domainname", O_WRONLY | O_CLOEXEC);
	report(fd < 0 && errno == EROFS, "readonly path /proc/sys is read-only");
	if (fd >= 0)
		close(fd);
	report(create_errno("/newfile") == EROFS, "root.readonly: / is read-only");
	report(create_errno("/tmp/newfile") == 0, "/tmp tmpfs stays writable");

	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		execl("/bin/busybox", "busybox", "ls", "/dev/pts", "/proc/self", NULL);
		_exit(127);
	}
	int wst = 0;
	waitpid(pid, &wst, 0);
	report(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "busybox runs inside");
}

/* A tmpfs on /evil, where evil -> /tmp/volt-escape-X (a host dir). */
static void scenario_escape_mount(const struct fixture *f)
{
	struct oci_mount mounts[] = {{"/evil", "tmpfs", "tmpfs", STRV("size=1m")},
				     {"/evil/sub/dir", "tmpfs", "tmpfs", STRV("size=1m")}};
	struct oci_config c = {.root = {.path = "rootfs"}, .mounts = mounts, .n_mounts = 2};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r == 0, "prepare%s%s", r ? ": " : "", r ? err.msg : "");
	char inside[256];
	snprintf(inside, sizeof inside, "%s%s", f->rootfs, f->escape);
	report(fs_type(inside) == TMPFS_MAGIC, "mount landed inside the rootfs");
	report(escape_intact(f), "host dir not mounted over");
}

static void scenario_escape_masked(const struct fixture *f)
{
	struct oci_mount mounts[] = {{"/proc", "proc", "proc", STRV("nosuid")}};
	struct oci_config c = {.root = {.path = "rootfs"},
			       .mounts = mounts,
			       .n_mounts = 1,
			       .linux = {.masked_paths = STRV("/evil")}};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	if (r == 0)
		r = volt_rootfs_pivot(&c, &o, &err);
	report(r == 0, "prepare+pivot%s%s", r ? ": " : "", r ? err.msg : "");
	r = volt_rootfs_finalize(&c, &o, &err);
	report(r < 0 && err.errnum == ELOOP && strstr(err.msg, "linux.maskedPaths[0] /evil"),
	       "symlink masked path refused (%s)", err.msg);
}

static void scenario_escape_device(const struct fixture *f)
{
	struct oci_device d1[] = {{.path = "/dev/evil", .type = 'c', .major = 1, .minor = 3}};
	struct oci_config c = {.root = {.path = "rootfs"}, .linux = {.devices = d1, .n_devices = 1}};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && err.errnum == ELOOP && strstr(err.msg, "linux.devices[0].path /dev/evil"),
	       "device node path that is a symlink refused (%s)", err.msg);
	struct oci_device d2[] = {{.path = "/evil/null", .type = 'c', .major = 1, .minor = 3}};
	c.linux.devices = d2;
	r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && err.errnum == ELOOP, "device below a symlinked dir refused (%s)", err.msg);
}

static void scenario_escape_console(const struct fixture *f)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *pts = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
	report(pts != NULL, "open a pty");
	if (!pts)
		return;
	struct oci_config c = {.root = {.path = "rootfs"}};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base, .console_pts = pts};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && err.errnum == ELOOP && strstr(err.msg, "/dev/console"),
	       "/dev/console symlink refused (%s)", err.msg);
}

static void scenario_escape_proc(const struct fixture *f)
{
	struct oci_mount mounts[] = {{"/proc", "proc", "proc", STRV("nosuid")}};
	struct oci_config c = {.root = {.path = "rootfs2"}, .mounts = mounts, .n_mounts = 1};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs2, .bundle = f->base};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && err.errnum == ELOOP && strstr(err.msg, "mounts[0].destination /proc"),
	       "/proc symlink refused (%s)", err.msg);
	report(fs_type(f->escape) != PROC_SUPER_MAGIC, "no proc on the host dir");
}

static int write_proc(const char *path, const char *text)
{
	return write_text(path, text);
}

/* Inside a new user namespace: no mknod (devices are bound from the host),
 * a bind of a nosuid/nodev/noexec mount that the user namespace cannot
 * drop, and no /proc after pivot_root (masked paths use the fallback). */
static void scenario_userns(const struct fixture *f)
{
	char locked[160];
	snprintf(locked, sizeof locked, "%s/locked", f->base);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mkdir(locked, 0755) < 0 ||
	    mount("tmpfs", locked, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m") < 0) {
		report(0, "set up a locked mount: %s", strerror(errno));
		return;
	}
	if (unshare(CLONE_NEWUSER) < 0 || write_proc("/proc/self/uid_map", "0 0 1\n") < 0 ||
	    write_proc("/proc/self/setgroups", "deny\n") < 0 ||
	    write_proc("/proc/self/gid_map", "0 0 1\n") < 0 || unshare(CLONE_NEWNS) < 0) {
		report(0, "enter a user namespace: %s", strerror(errno));
		return;
	}
	struct oci_mount mounts[] = {
	    {"/dev", "tmpfs", "tmpfs", STRV("nosuid", "mode=755")},
	    {"/hostro", "bind", locked, STRV("bind", "ro")},
	};
	struct oci_device devs[] = {{.path = "/dev/kmsg", .type = 'c', .major = 1, .minor = 11}};
	bool kmsg = access("/dev/kmsg", F_OK) == 0;
	struct oci_config c = {
	    .root = {.path = "rootfs", .readonly = true},
	    .mounts = mounts,
	    .n_mounts = 2,
	    .linux = {.masked_paths = STRV("/etc/masked-file"), .devices = devs, .n_devices = kmsg},
	};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base, .has_new_userns = true};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	if (r == 0)
		r = volt_rootfs_pivot(&c, &o, &err);
	if (r == 0)
		r = volt_rootfs_finalize(&c, &o, &err);
	report(r == 0, "prepare+pivot+finalize%s%s", r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	char buf[64];
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	report(fd >= 0 && write(fd, "x", 1) == 1 && read(fd, buf, sizeof buf) == 0,
	       "/dev/null bound from host works");
	if (fd >= 0)
		close(fd);
	struct statvfs sv;
	report(create_errno("/hostro/x") == EROFS, "ro bind of a locked mount is read-only");
	report(statvfs("/hostro", &sv) == 0 && (sv.f_flag & ST_NODEV) && (sv.f_flag & ST_NOSUID) &&
		   (sv.f_flag & ST_NOEXEC),
	       "locked nodev/nosuid/noexec kept");
	report(read_file("/etc/masked-file", buf, sizeof buf) == 0, "masked file without /proc (fallback)");
	report(create_errno("/newfile") == EROFS, "root.readonly in a user namespace");
	struct stat st;
	if (kmsg)
		report(stat("/dev/kmsg", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 11),
		       "linux.devices entry bound from the host");
}

static void scenario_no_pivot(const struct fixture *f)
{
	struct oci_mount mounts[] = {{"/proc", "proc", "proc", STRV("nosuid")}};
	struct oci_config c = {.root = {.path = "rootfs"},
			       .mounts = mounts,
			       .n_mounts = 1,
			       .linux = {.rootfs_propagation = "shared"}};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base, .no_pivot = true};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	if (r == 0)
		r = volt_rootfs_pivot(&c, &o, &err);
	if (r == 0)
		r = volt_rootfs_finalize(&c, &o, &err);
	report(r == 0, "prepare+move+chroot+finalize%s%s", r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	report(access("/VOLT_ROOT_MARKER", F_OK) == 0, "/ is the rootfs (marker file)");
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	char line[512];
	bool shared = false;
	while (mi && fgets(line, sizeof line, mi)) {
		char mnt[256];
		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && !strcmp(mnt, "/"))
			shared = strstr(line, " shared:") != NULL;
	}
	if (mi)
		fclose(mi);
	report(shared, "rootfsPropagation shared applied to /");
}

/* Bad options surface with the field named. */
static void scenario_errors(const struct fixture *f)
{
	struct oci_mount mounts[] = {{"/mnt/x", "bind", "/nonexistent-volt-src", STRV("bind")}};
	struct oci_config c = {.root = {.path = "rootfs"}, .mounts = mounts, .n_mounts = 1};
	struct volt_rootfs_opts o = {.rootfs = f->rootfs, .bundle = f->base};
	struct volt_error err = {0};
	int r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && err.errnum == ENOENT && strstr(err.msg, "mounts[0].source /nonexistent-volt-src"),
	       "missing bind source names the field (%s)", err.msg);
	c.n_mounts = 0;
	c.linux.rootfs_propagation = "sideways";
	r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && strstr(err.msg, "linux.rootfsPropagation"), "bad rootfsPropagation refused (%s)",
	       err.msg);
	struct oci_mount bad[] = {{"/mnt/y", "tmpfs", "tmpfs", STRV("frobnicate=1")}};
	c.linux.rootfs_propagation = NULL;
	c.mounts = bad;
	c.n_mounts = 1;
	r = volt_rootfs_prepare(&c, &o, &err);
	report(r < 0 && strstr(err.msg, "mounts[0].destination /mnt/y: mount tmpfs"),
	       "bad tmpfs data names the field (%s)", err.msg);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	struct fixture f;
	int rc = fixture_make(&f);
	check(rc == 0, "build the rootfs fixture");
	if (rc) {
		fixture_free(&f);
		return 1;
	}
	int before = mountinfo_lines();
	run_child("main", CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWCGROUP, scenario_main, &f);
	check(mountinfo_lines() == before, "host mount table unchanged after main");
	run_child("escape-mount", CLONE_NEWNS, scenario_escape_mount, &f);
	run_child("escape-masked", CLONE_NEWNS, scenario_escape_masked, &f);
	run_child("escape-device", CLONE_NEWNS, scenario_escape_device, &f);
	run_child("escape-console", CLONE_NEWNS, scenario_escape_console, &f);
	run_child("escape-proc", CLONE_NEWNS, scenario_escape_proc, &f);
	run_child("errors", CLONE_NEWNS, scenario_errors, &f);
	run_child("userns", CLONE_NEWNS, scenario_userns, &f);
	run_child("no-pivot", CLONE_NEWNS, scenario_no_pivot, &f);
	check(mountinfo_lines() == before, "host mount table unchanged after all scenarios");
	check(escape_intact(&f) && escape_empty_besides_marker(&f), "host escape dir untouched");
	struct statfs s;
	check(!host_has_v1_memory() ||
		  (statfs("/sys/fs/cgroup/memory", &s) == 0 && !(s.f_flags & ST_RDONLY) &&
		   access("/sys/fs/cgroup/memory", W_OK) == 0),
	      "host cgroup hierarchy still writable");
	fixture_free(&f);
	check(access(f.base, F_OK) < 0 && access(f.escape, F_OK) < 0, "tmpdirs removed");
	return tap_done();
}
