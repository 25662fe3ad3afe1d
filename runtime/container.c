/* Lifecycle operations over the state directory, shared by every backend. */
#include "container.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cgroup.h"
#include "hooks.h"
#include "oci/cleanup.h"
#include "oci/names.h"
#include "profiles.h"
#include "seccomp-audit.h"
#include "userns-auto.h"

pid_t volt_clone_pidfd(unsigned long long flags, int *pidfd)
{
	struct clone_args ca = {
	    .flags = flags | CLONE_PIDFD,
	    .pidfd = (unsigned long long)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	return (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
}

void volt_child_kill_reap(pid_t pid, int pidfd)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

unsigned long long volt_proc_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char state = ' ';
	unsigned long long start = 0;
	/* after ")": state(3) ... starttime(22) */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &start) != 2)
		return 0;
	if (zombie)
		*zombie = state == 'Z' || state == 'X';
	return start;
}

void volt_container_close(struct volt_container *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	volt_state_release(&c->state);
}

int volt_container_open(const struct volt_ctx *ctx, const char *id, struct volt_container *c,
			struct volt_error *err)
{
	memset(c, 0, sizeof *c);
	c->dirfd = -1;
	if (volt_id_validate(id, err) < 0)
		return -1;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", ctx->root, id);
	c->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (c->dirfd < 0) {
		if (errno == ENOENT)
			return volt_err(err, -ENOENT, "container \"%s\" does not exist", id);
		return volt_err(err, errno, "open state of container \"%s\"", id);
	}
	if (volt_state_read(c->dirfd, &c->state, err) < 0)
		return volt_err_ctx(err, "container \"%s\"", id);
	return 0;
}

enum volt_status volt_container_status(const struct volt_container *c)
{
	bool zombie = false;
	unsigned long long st = volt_proc_start_time(c->state.pid, &zombie);
	if (st == 0 || zombie || st != c->state.pid_start)
		return VOLT_STATUS_STOPPED;
	if (c->state.started && volt_cgroup_path_frozen(VOLT_CGROUP_ROOT, c->state.cgroup_path))
		return VOLT_STATUS_PAUSED;
	return c->state.started ? VOLT_STATUS_RUNNING : VOLT_STATUS_CREATED;
}

int volt_write_pid_file(const char *path, pid_t pid, struct volt_error *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return volt_err(err, -ENAMETOOLONG, "--pid-file %s", path);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return volt_err(err, errno, "--pid-file %s", path);
	char buf[16];
	int n = snprintf(buf, sizeof buf, "%d", pid);
	if (write(fd, buf, (size_t)n) != n || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return volt_err(err, e, "--pid-file %s", path);
	}
	return 0;
}

/* The name of uid from /etc/passwd, read directly: the binary is static and
 * NSS is not worth loading for one field. Empty if not found. */
static void volt_user_name(uid_t uid, char *buf, size_t len)
{
	buf[0] = '\0';
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char *name = strtok(line, ":");
		strtok(NULL, ":");
		char *id = strtok(NULL, ":");
		if (name && id && strtoul(id, NULL, 10) == uid) {
			snprintf(buf, len, "%s", name);
			return;
		}
	}
}

static const char *state_files[] = {VOLT_STATE_FILE, VOLT_STATE_FILE ".tmp", VOLT_CONFIG_COPY,
				    VOLT_EXEC_SOCK,  VOLT_SECCOMP_LOG,	     "stardust.img"};

/* Remove <root>/<id> and what Volt put in it. */
static void remove_state_dir(const struct volt_ctx *ctx, int dirfd, const char *id)
{
	for (size_t i = 0; i < sizeof state_files / sizeof state_files[0]; i++)
		unlinkat(dirfd, state_files[i], 0);
	_cleanup_close_ int rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0)
		unlinkat(rootfd, id, AT_REMOVEDIR);
}

/* Save the config create applied: exec, start and delete read it back. */
static int save_config(const char *text, int dirfd, struct volt_error *err)
{
	_cleanup_close_ int out =
	    openat(dirfd, VOLT_CONFIG_COPY, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return volt_err(err, errno, "save config");
	size_t len = strlen(text);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(out, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return volt_err(err, n < 0 ? errno : EIO, "save config");
		off += (size_t)n;
	}
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int resolve_paths(const struct volt_create_opts *o, const struct oci_config *c, char *bundle,
			 char *rootfs, struct volt_error *err)
{
	const char *b = o->bundle ? o->bundle : ".";
	if (!realpath(b, bundle))
		return volt_err(err, errno, "--bundle %s", b);
	char tmp[PATH_MAX];
	const char *rp = c->root.path;
	if (rp[0] != '/') {
		if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", bundle, rp) >= sizeof tmp)
			return volt_err(err, -ENAMETOOLONG, "root.path %s", rp);
		rp = tmp;
	}
	if (!realpath(rp, rootfs))
		return volt_err(err, errno, "root.path %s", rp);
	struct stat st;
	if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return volt_err(err, -ENOTDIR, "root.path %s", rp);
	return 0;
}

int volt_container_create(const struct volt_ctx *ctx, const struct volt_create_opts *o, pid_t *pid_out,
			  int *pidfd_out, struct volt_error *err)
{
	if (volt_id_validate(o->id, err) < 0)
		return -1;
	char bundle[PATH_MAX], rootfs[PATH_MAX], cfgpath[PATH_MAX + 16];
	const char *b = o->bundle ? o->bundle : ".";
	snprintf(cfgpath, sizeof cfgpath, "%s/config.json", b);
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_free_ char *cfgtext = NULL;
	if (oci_config_load_text(cfgpath, &c, &cfgtext, err) < 0)
		return -1;
	if (!c->has_process)
		return volt_err(err, -EINVAL, "process: missing required field");
	if (resolve_paths(o, c, bundle, rootfs, err) < 0)
		return -1;
	if (volt_profiles_apply(c, err) < 0)
		return -1;

	if (mkdir_p(ctx->root, 0700) < 0)
		return volt_err(err, errno, "state root %s", ctx->root);
	_cleanup_close_ int rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return volt_err(err, errno, "state root %s", ctx->root);
	/* mkdir is the lock that makes ids unique. */
	if (mkdirat(rootfd, o->id, 0700) < 0) {
		if (errno == EEXIST)
			return volt_err(err, -EEXIST, "container \"%s\" already exists", o->id);
		return volt_err(err, errno, "create state of container \"%s\"", o->id);
	}
	_cleanup_close_ int dirfd = openat(rootfd, o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd < 0) {
		volt_err(err, errno, "open state of container \"%s\"", o->id);
		unlinkat(rootfd, o->id, AT_REMOVEDIR);
		return -1;
	}

	struct volt_state st = {0};
	char created[64];
	volt_rfc3339_now(created, sizeof created);
	char owner[64];
	volt_user_name(geteuid(), owner, sizeof owner);
	st.oci_version = c->oci_version;
	st.id = (char *)o->id;
	st.bundle = bundle;
	st.rootfs = rootfs;
	st.created = created;
	st.owner = owner;
	st.annotations = c->annotations;
	st.has_poststart = c->hooks[OCI_HOOK_POSTSTART].n > 0;
	st.has_poststop = c->hooks[OCI_HOOK_POSTSTOP].n > 0;
	st.backend = (char *)(ctx->backend ? ctx->backend : "native");

	struct volt_cgroup cg;
	bool cg_made = false;
	int pidfd = -1;
	const struct volt_backend_ops *be = volt_backend_find(st.backend);
	if (!be) {
		volt_err(err, -EINVAL, "unknown backend \"%s\"", st.backend);
		goto fail;
	}
	if (volt_userns_auto_apply(ctx->root, o->id, c, err) < 0)
		goto fail;
	if (volt_cgroup_init(&cg, ctx->cgroup_root, c->linux.cgroups_path, o->id, err) < 0)
		goto fail;
	if (cg.ops->create(&cg, err) < 0)
		goto fail;
	cg_made = true;
	struct oci_resources host_res = c->linux.resources;
	if (be->host_resources)
		be->host_resources(c, &host_res);
	if (cg.ops->apply(&cg, &host_res, "linux.resources", err) < 0)
		goto fail;
	st.cgroup_path = cg.path;
	if (save_config(cfgtext, dirfd, err) < 0)
		goto fail;

	struct volt_backend_create bc = {
	    .ctx = ctx,
	    .opts = o,
	    .config = c,
	    .bundle = bundle,
	    .rootfs = rootfs,
	    .dirfd = dirfd,
	    .cgroup = &cg,
	    .state = &st,
	};
	if (be->create(&bc, &pidfd, err) < 0)
		goto fail;
	st.pid_start = volt_proc_start_time(st.pid, NULL);
	volt_debug(&ctx->log, "create %s: init pid %d, cgroup %s (%s), rootfs %s", o->id, st.pid, cg.path,
		   cg.ops->name, rootfs);
	if (volt_state_write(dirfd, &st, err) < 0)
		goto fail_kill;
	if (o->pid_file && volt_write_pid_file(o->pid_file, st.pid, err) < 0)
		goto fail_kill;
	*pid_out = st.pid;
	if (pidfd_out)
		*pidfd_out = pidfd;
	else
		close(pidfd);
	return 0;

fail_kill:
	volt_child_kill_reap(st.pid, pidfd);
	close(pidfd);
fail:;
	struct volt_error ignored;
	if (cg_made)
		volt_cgroup_kill_and_destroy(&cg, &ignored);
	volt_userns_auto_release(ctx->root, o->id);
	remove_state_dir(ctx, dirfd, o->id);
	return -1;
}

static int load_config_copy(const struct volt_container *c, struct oci_config **cfg, struct volt_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d/" VOLT_CONFIG_COPY, c->dirfd);
	return oci_config_load(path, cfg, err);
}

int volt_container_start(const struct volt_ctx *ctx, const char *id, struct volt_error *err)
{
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, err) < 0)
		return -1;
	enum volt_status s = volt_container_status(&c);
	if (s != VOLT_STATUS_CREATED)
		return volt_err(err, -EINVAL, "cannot start container \"%s\": it is %s, not created", id,
				volt_status_name(s));
	const struct volt_backend_ops *be = volt_backend_find(c.state.backend);
	if (!be)
		return volt_err(err, -EINVAL, "container \"%s\": unknown backend %s", id, c.state.backend);
	volt_debug(&ctx->log, "start %s: releasing init %d", id, c.state.pid);
	int r = be->start(ctx, &c, err);
	c.state.started = true;
	struct volt_error werr;
	if (volt_state_write(c.dirfd, &c.state, &werr) < 0 && r == 0) {
		*err = werr;
		return -1;
	}
	if (r < 0)
		return r;
	_cleanup_config_ struct oci_config *cfg = NULL;
	if (c.state.has_poststart && load_config_copy(&c, &cfg, &werr) == 0) {
		_cleanup_free_ char *json = NULL;
		if (volt_state_to_json(&c.state, VOLT_STATUS_RUNNING, false, &json, &werr) == 0)
			volt_hooks_run_warn(&cfg->hooks[OCI_HOOK_POSTSTART], OCI_HOOK_POSTSTART, json,
					    &ctx->log);
	}
	return 0;
}

static int signal_init(const struct volt_container *c, int sig, struct volt_error *err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, c->state.pid, 0);
	if (pidfd < 0)
		return volt_err(err, -ESRCH, "container \"%s\" is not running", c->state.id);
	/* The pidfd pins the process: re-check it is still our init. */
	if (volt_container_status(c) == VOLT_STATUS_STOPPED)
		return volt_err(err, -ESRCH, "container \"%s\" is not running", c->state.id);
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return volt_err(err, errno, "kill container \"%s\"", c->state.id);
	return 0;
}

int volt_container_kill(const struct volt_ctx *ctx, const char *id, int sig, bool all, struct volt_error *err)
{
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, err) < 0)
		return -1;
	enum volt_status s = volt_container_status(&c);
	if (all) {
		struct volt_cgroup cg;
		if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, err) < 0)
			return -1;
		return volt_cgroup_kill_all(&cg, sig, err);
	}
	if (s == VOLT_STATUS_STOPPED)
		return volt_err(err, -ESRCH, "container \"%s\" is not running", id);
	return signal_init(&c, sig, err);
}

int volt_container_delete(const struct volt_ctx *ctx, const char *id, bool force, struct volt_error *err)
{
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, err) < 0)
		return -1;
	enum volt_status s = volt_container_status(&c);
	if ((s == VOLT_STATUS_RUNNING || s == VOLT_STATUS_PAUSED) && !force)
		return volt_err(err, -EBUSY, "cannot delete container \"%s\" that is not stopped: %s", id,
				volt_status_name(s));
	volt_debug(&ctx->log, "delete %s: status %s%s", id, volt_status_name(s), force ? ", forced" : "");
	if (s != VOLT_STATUS_STOPPED) {
		struct volt_error ignored;
		signal_init(&c, SIGKILL, &ignored);
	}
	struct volt_cgroup cg;
	if (c.state.cgroup_path && volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, err) == 0 &&
	    volt_cgroup_kill_and_destroy(&cg, err) < 0)
		return volt_err_ctx(err, "delete container \"%s\"", id);
	_cleanup_config_ struct oci_config *cfg = NULL;
	struct volt_error cerr;
	bool have_cfg = c.state.has_poststop && load_config_copy(&c, &cfg, &cerr) == 0;
	remove_state_dir(ctx, c.dirfd, id);
	volt_userns_auto_release(ctx->root, id);
	if (have_cfg && cfg->hooks[OCI_HOOK_POSTSTOP].n) {
		_cleanup_free_ char *json = NULL;
		if (volt_state_to_json(&c.state, VOLT_STATUS_STOPPED, false, &json, &cerr) == 0)
			volt_hooks_run_warn(&cfg->hooks[OCI_HOOK_POSTSTOP], OCI_HOOK_POSTSTOP, json,
					    &ctx->log);
	}
	return 0;
}

int volt_container_pause(const struct volt_ctx *ctx, const char *id, bool pause, struct volt_error *err)
{
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, err) < 0)
		return -1;
	enum volt_status s = volt_container_status(&c);
	enum volt_status want = pause ? VOLT_STATUS_RUNNING : VOLT_STATUS_PAUSED;
	if (s != want)
		return volt_err(err, -EINVAL, "container \"%s\" is not %s (it is %s)", id,
				volt_status_name(want), volt_status_name(s));
	struct volt_cgroup cg;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, err) < 0)
		return -1;
	return volt_cgroup_freeze(&cg, pause, err);
}
