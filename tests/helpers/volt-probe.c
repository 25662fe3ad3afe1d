/* volt-probe: a static helper that tests run inside containers to report what
 * the process sees. Each subcommand prints facts one per line on stdout so a
 * bats test can compare $output or ${lines[N]} directly.
 *
 * Exit status: 0 when the fact was obtained (or the operation succeeded),
 * 1 when the operation failed (the errno name, e.g. EROFS, is printed on
 * stdout instead), 2 on bad usage. `exit N` and `signal-self N` are the
 * exceptions by design.
 *
 * It is linked statically and must not rely on anything in the rootfs: no
 * NSS lookups (getpwnam & co), no locale files, no dynamic loader. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static int usage(const char *why)
{
	fprintf(stderr,
		"volt-probe: %s\n"
		"usage: volt-probe ids|fds|cwd|hostname|domainname|mounts|cgroup|pid|ppid|umask|env|\n"
		"       oom-score-adj|tty|nice|pause|status FIELD|rlimit NAME|ns NAME|exit N|\n"
		"       signal-self SIG|sleep SECS|write PATH [DATA]|read PATH|stat PATH|owner PATH|\n"
		"       rdev PATH|mknod [PATH]|syscall NAME\n",
		why);
	return EXIT_USAGE;
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "EUNKNOWN";
}

/* Report an operation's outcome: "ok" or the errno name. */
static int outcome(int rc, int e)
{
	if (rc < 0) {
		printf("%s\n", errno_name(e));
		return EXIT_FAILED;
	}
	printf("ok\n");
	return EXIT_OK;
}

static int fail_errno(void)
{
	return outcome(-1, errno);
}

static int copy_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno();
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	int e = errno;
	close(fd);
	if (n < 0)
		return outcome(-1, e);
	return EXIT_OK;
}

static int cmd_ids(void)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);
	if (n < 0)
		return fail_errno();
	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
	return EXIT_OK;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return fail_errno();
	int self = dirfd(d), fds[4096];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < sizeof(fds) / sizeof(fds[0])) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int fd = atoi(de->d_name);
		if (fd != self)
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, n, sizeof(fds[0]), cmp_int);
	for (size_t i = 0; i < n; i++)
		printf("%s%d", i ? " " : "", fds[i]);
	printf("\n");
	return EXIT_OK;
}

static int cmd_cwd(void)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)))
		return fail_errno();
	printf("%s\n", buf);
	return EXIT_OK;
}

static int cmd_uname_field(bool domain)
{
	struct utsname u;
	if (uname(&u) < 0)
		return fail_errno();
	printf("%s\n", domain ? u.domainname : u.nodename);
	return EXIT_OK;
}

/* Print the value of one "Field:\tvalue" line of a /proc status-like file. */
static int cmd_status(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return fail_errno();
	char line[4096];
	size_t len = strlen(field);
	int rc = EXIT_FAILED;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, len) != 0 || line[len] != ':')
			continue;
		char *v = line + len + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		printf("%s\n", v);
		rc = EXIT_OK;
		break;
	}
	fclose(f);
	if (rc != EXIT_OK)
		printf("ENOENT\n");
	return rc;
}

static const struct {
	const char *name;
	int res;
} rlimits[] = {
    {"CPU", RLIMIT_CPU},	   {"FSIZE", RLIMIT_FSIZE},
    {"DATA", RLIMIT_DATA},	   {"STACK", RLIMIT_STACK},
    {"CORE", RLIMIT_CORE},	   {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},	   {"NOFILE", RLIMIT_NOFILE},
    {"MEMLOCK", RLIMIT_MEMLOCK},   {"AS", RLIMIT_AS},
    {"LOCKS", RLIMIT_LOCKS},	   {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
    {"RTPRIO", RLIMIT_RTPRIO},	   {"RTTIME", RLIMIT_RTTIME},
};

static void print_rlim(rlim_t v, const char *sep)
{
	if (v == RLIM_INFINITY)
		printf("unlimited%s", sep);
	else
		printf("%llu%s", (unsigned long long)v, sep);
}

/* NAME may be NOFILE, nofile or RLIMIT_NOFILE. */
static int cmd_rlimit(const char *name)
{
	if (strncasecmp(name, "RLIMIT_", 7) == 0)
		name += 7;
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		if (strcasecmp(name, rlimits[i].name) != 0)
			continue;
		struct rlimit rl;
		if (getrlimit(rlimits[i].res, &rl) < 0)
			return fail_errno();
		print_rlim(rl.rlim_cur, " ");
		print_rlim(rl.rlim_max, "\n");
		return EXIT_OK;
	}
	return usage("unknown rlimit name");
}

static int cmd_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	printf("%04o\n", (unsigned)m);
	return EXIT_OK;
}

static int cmd_env(void)
{
	for (char **e = environ; e && *e; e++)
		printf("%s\n", *e);
	return EXIT_OK;
}

/* A signal as a number, "TERM" or "SIGTERM". Returns 0 when unknown. */
static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return (n > 0 && n < NSIG) ? (int)n : 0;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && strcasecmp(abbrev, s) == 0)
			return sig;
	}
	return 0;
}

static void print_signal(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		printf("SIG%s\n", abbrev);
	else
		printf("SIG%d\n", sig);
}

static int cmd_signal_self(const char *s)
{
	int sig = parse_signal(s);
	if (!sig)
		return usage("bad signal");
	fflush(stdout);
	if (kill(getpid(), sig) < 0)
		return fail_errno();
	/* Still alive: the signal is ignored here (e.g. a default action
	 * on a PID namespace init). Say so, since that is the fact. */
	printf("survived ");
	print_signal(sig);
	return EXIT_OK;
}

static int cmd_sleep(const char *s)
{
	char *end;
	double secs = strtod(s, &end);
	if (*end || secs < 0)
		return usage("bad duration");
	fflush(stdout);
	struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return EXIT_OK;
}

static int cmd_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno();
	size_t len = strlen(data);
	ssize_t n = write(fd, data, len);
	int e = errno;
	if (close(fd) < 0 && n >= 0) {
		e = errno;
		n = -1;
	}
	if (n >= 0 && (size_t)n != len) {
		n = -1;
		e = EIO;
	}
	return outcome(n < 0 ? -1 : 0, e);
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "link";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "sock";
	}
	return "unknown";
}

enum stat_what { STAT_MODE, STAT_OWNER, STAT_RDEV };

static int cmd_stat(const char *path, enum stat_what what)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return fail_errno();
	switch (what) {
	case STAT_MODE:
		printf("%s %04o\n", type_name(st.st_mode), (unsigned)(st.st_mode & 07777));
		break;
	case STAT_OWNER:
		printf("%u %u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
		break;
	case STAT_RDEV:
		printf("%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
		break;
	}
	return EXIT_OK;
}

/* Create a char device 1:3 (null) and remove it again: the question is only
 * whether the container may make device nodes. */
static int cmd_mknod(const char *path)
{
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) < 0)
		return fail_errno();
	unlink(path);
	return outcome(0, 0);
}

static int cmd_tty(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (!isatty(fd)) {
			printf("%d notty\n", fd);
			continue;
		}
		char name[PATH_MAX];
		int e = ttyname_r(fd, name, sizeof(name));
		printf("%d tty %s\n", fd, e ? errno_name(e) : name);
	}
	return EXIT_OK;
}

static int cmd_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, 0);
	if (n == -1 && errno)
		return fail_errno();
	printf("%d\n", n);
	return EXIT_OK;
}

static int cmd_ns(const char *name)
{
	char path[64], target[128];
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return fail_errno();
	target[n] = '\0';
	printf("%s\n", target);
	return EXIT_OK;
}

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

/* Catch every catchable signal, so that even as a PID namespace init (where
 * default-action signals are dropped) a signal is seen and reported. Tests
 * can wait for SigCgt in /proc/PID/status before signalling. */
static int cmd_pause(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL); /* glibc-reserved ones fail: fine */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fflush(stdout);
	while (!caught)
		pause();
	print_signal(caught);
	return EXIT_OK;
}

/* Run fn in a child so a syscall's side effects (ptrace, unshare) stay there. */
static int in_child(long (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno();
	if (pid == 0)
		_exit(fn() < 0 ? errno : 0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return fail_errno();
	if (!WIFEXITED(st))
		return outcome(-1, ECHILD);
	return outcome(WEXITSTATUS(st) ? -1 : 0, WEXITSTATUS(st));
}

static long do_ptrace(void)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}
static long do_unshare(void)
{
	return unshare(CLONE_NEWUTS);
}
static long do_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}
static long do_unshare_net(void)
{
	return unshare(CLONE_NEWNET);
}

static int sys_mount(void)
{
	/* A bogus filesystem type: the privilege check comes before the type
	 * lookup, so a denied call says EPERM and a permitted one ENODEV, with no
	 * mount made (the probe may be run on the host). */
	int rc = mount("volt-probe", "/", "volt-probe-nofs", MS_NOSUID, NULL);
	return outcome(rc, errno);
}

static int sys_sethostname(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return fail_errno();
	int rc = sethostname(u.nodename, strlen(u.nodename));
	return outcome(rc, errno);
}

static int cmd_syscall(const char *name)
{
	/* Arguments are chosen so that a permitted call is harmless even on the
	 * host: the privilege checks come first in the kernel, so a denied call
	 * reports EPERM while a permitted one fails on the bogus argument
	 * (ENOENT, EINVAL, ENODEV) or does nothing lasting. */
	long rc;
	if (!strcmp(name, "mount"))
		return sys_mount();
	if (!strcmp(name, "umount"))
		rc = umount2("/", MNT_EXPIRE | MNT_DETACH); /* invalid combination: EINVAL if allowed */
	else if (!strcmp(name, "reboot"))
		rc = syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL if allowed */
	else if (!strcmp(name, "ptrace"))
		return in_child(do_ptrace);
	else if (!strcmp(name, "unshare"))
		return in_child(do_unshare);
	else if (!strcmp(name, "unshare-user"))
		return in_child(do_unshare_user);
	else if (!strcmp(name, "unshare-net"))
		return in_child(do_unshare_net);
	else if (!strcmp(name, "chroot"))
		rc = chroot("/");
	else if (!strcmp(name, "pivot_root"))
		rc = syscall(SYS_pivot_root, "/volt-probe-nonexistent", "/volt-probe-nonexistent");
	else if (!strcmp(name, "sethostname"))
		return sys_sethostname();
	else if (!strcmp(name, "swapon"))
		rc = swapon("/volt-probe-nonexistent", 0);
	else if (!strcmp(name, "kexec_load"))
		rc = syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL); /* too many segments */
	else if (!strcmp(name, "init_module"))
		rc = syscall(SYS_init_module, NULL, 0UL, "");
	else if (!strcmp(name, "delete_module"))
		rc = syscall(SYS_delete_module, "volt_probe_nonexistent", O_NONBLOCK);
	else if (!strcmp(name, "keyctl"))
		rc = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
	else if (!strcmp(name, "add_key"))
		rc = syscall(SYS_add_key, "volt-probe-bogus-type", "x", NULL, 0, -3);
	else if (!strcmp(name, "bpf")) {
		char attr[128] = {0};
		rc = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr));
		if (rc >= 0)
			close((int)rc);
	} else if (!strcmp(name, "userfaultfd")) {
		rc = syscall(SYS_userfaultfd, O_CLOEXEC);
		if (rc >= 0)
			close((int)rc);
	} else if (!strcmp(name, "perf_event_open")) {
		char attr[128] = {0};
		rc = syscall(SYS_perf_event_open, attr, 0, -1, -1, 0UL);
		if (rc >= 0)
			close((int)rc);
	} else if (!strcmp(name, "syslog"))
		rc = syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	else if (!strcmp(name, "setuid"))
		rc = setuid(getuid());
	else
		return usage("unknown syscall name");
	return outcome(rc < 0 ? -1 : 0, errno);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("missing subcommand");
	const char *cmd = argv[1];
	const char *arg = argc > 2 ? argv[2] : NULL;
	int rc;

#define NEEDS_ARG()                                                                                          \
	do {                                                                                                 \
		if (!arg)                                                                                    \
			return usage("missing argument");                                                    \
	} while (0)

	if (!strcmp(cmd, "ids"))
		rc = cmd_ids();
	else if (!strcmp(cmd, "fds"))
		rc = cmd_fds();
	else if (!strcmp(cmd, "cwd"))
		rc = cmd_cwd();
	else if (!strcmp(cmd, "hostname"))
		rc = cmd_uname_field(false);
	else if (!strcmp(cmd, "domainname"))
		rc = cmd_uname_field(true);
	else if (!strcmp(cmd, "mounts"))
		rc = copy_file("/proc/self/mountinfo");
	else if (!strcmp(cmd, "cgroup"))
		rc = copy_file("/proc/self/cgroup");
	else if (!strcmp(cmd, "status")) {
		NEEDS_ARG();
		rc = cmd_status(arg);
	} else if (!strcmp(cmd, "pid")) {
		printf("%d\n", (int)getpid());
		rc = EXIT_OK;
	} else if (!strcmp(cmd, "ppid")) {
		printf("%d\n", (int)getppid());
		rc = EXIT_OK;
	} else if (!strcmp(cmd, "rlimit")) {
		NEEDS_ARG();
		rc = cmd_rlimit(arg);
	} else if (!strcmp(cmd, "umask"))
		rc = cmd_umask();
	else if (!strcmp(cmd, "env"))
		rc = cmd_env();
	else if (!strcmp(cmd, "exit")) {
		NEEDS_ARG();
		fflush(stdout);
		return atoi(arg);
	} else if (!strcmp(cmd, "signal-self")) {
		NEEDS_ARG();
		rc = cmd_signal_self(arg);
	} else if (!strcmp(cmd, "sleep")) {
		NEEDS_ARG();
		rc = cmd_sleep(arg);
	} else if (!strcmp(cmd, "write")) {
		NEEDS_ARG();
		rc = cmd_write(arg, argc > 3 ? argv[3] : "volt-probe\n");
	} else if (!strcmp(cmd, "read")) {
		NEEDS_ARG();
		rc = copy_file(arg);
	} else if (!strcmp(cmd, "stat")) {
		NEEDS_ARG();
		rc = cmd_stat(arg, STAT_MODE);
	} else if (!strcmp(cmd, "owner")) {
		NEEDS_ARG();
		rc = cmd_stat(arg, STAT_OWNER);
	} else if (!strcmp(cmd, "rdev")) {
		NEEDS_ARG();
		rc = cmd_stat(arg, STAT_RDEV);
	} else if (!strcmp(cmd, "mknod"))
		rc = cmd_mknod(arg ? arg : "/tmp/volt-probe-mknod");
	else if (!strcmp(cmd, "oom-score-adj"))
		rc = copy_file("/proc/self/oom_score_adj");
	else if (!strcmp(cmd, "tty"))
		rc = cmd_tty();
	else if (!strcmp(cmd, "nice"))
		rc = cmd_nice();
	else if (!strcmp(cmd, "ns")) {
		NEEDS_ARG();
		rc = cmd_ns(arg);
	} else if (!strcmp(cmd, "syscall")) {
		NEEDS_ARG();
		rc = cmd_syscall(arg);
	} else if (!strcmp(cmd, "pause"))
		rc = cmd_pause();
	else
		return usage("unknown subcommand");
#undef NEEDS_ARG

	if (fflush(stdout) != 0)
		return EXIT_FAILED;
	return rc;
}
