/* Gather what applies to a live init: the kernel's view first, the saved
 * config (with named profiles applied, as create did) for the rest. */
#include "runtime/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/cgroup.h"
#include "runtime/profiles.h"

static const char *const ns_names[VOLT_INSPECT_NS] = {"pid", "net",  "mnt",    "ipc",
						      "uts", "user", "cgroup", "time"};

/* v1 reports "no limit" as the page-aligned maximum, not a fixed number. */
#define V1_UNLIMITED (1ULL << 62)

void volt_inspect_release(struct volt_inspect *in)
{
	oci_config_free(in->config);
	in->config = NULL;
}

const struct volt_ns_view *volt_inspect_ns(const struct volt_inspect *in, const char *name)
{
	for (size_t i = 0; i < VOLT_INSPECT_NS; i++)
		if (in->ns[i].name && strcmp(in->ns[i].name, name) == 0)
			return &in->ns[i];
	return NULL;
}

/* Read a small file whole (NUL-terminated); -1 with errno on failure. */
static ssize_t read_small(int dirfd, const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t used = 0;
	while (used + 1 < len) {
		ssize_t n = read(fd, buf + used, len - 1 - used);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

static void read_namespaces(int procfd, struct volt_inspect *in)
{
	for (size_t i = 0; i < VOLT_INSPECT_NS; i++) {
		struct volt_ns_view *v = &in->ns[i];
		v->name = ns_names[i];
		char path[32], self[64];
		snprintf(path, sizeof path, "ns/%s", v->name);
		ssize_t n = readlinkat(procfd, path, v->link, sizeof v->link - 1);
		if (n < 0)
			continue;
		v->link[n] = '\0';
		v->present = true;
		/* The runtime's own namespaces stand for the host's: it runs there. */
		snprintf(path, sizeof path, "/proc/self/ns/%s", v->name);
		n = readlink(path, self, sizeof self - 1);
		self[n < 0 ? 0 : n] = '\0';
		v->is_new = strcmp(self, v->link) != 0;
	}
}

static bool has_controller(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchrnul(p, ',');
		if ((size_t)(end - p) == len && memcmp(p, name, len) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static void read_limit(const char *dir, const char *file, uint64_t unlimited_from, struct volt_limit *l)
{
	char path[1024], buf[64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (read_small(AT_FDCWD, path, buf, sizeof buf) <= 0)
		return;
	l->known = true;
	if (strncmp(buf, "max", 3) == 0)
		return;
	l->value = strtoull(buf, NULL, 10);
	l->limited = l->value < unlimited_from;
}

static void read_limits(const struct volt_ctx *ctx, const char *cgroup_path, struct volt_inspect *in)
{
	struct volt_cgroup cg;
	struct volt_error ignored;
	if (!cgroup_path || volt_cgroup_open(&cg, ctx->cgroup_root, cgroup_path, &ignored) < 0)
		return;
	for (size_t i = 0; i < cg.n_hier; i++) {
		const struct volt_cgroup_hier *h = &cg.hier[i];
		char dir[1024];
		snprintf(dir, sizeof dir, "%s%s", h->mountpoint, cg.path);
		if (h->v2) {
			/* In the hybrid layout the cgroup2 mount carries no controllers. */
			if (cg.layout != VOLT_CGROUP_V2)
				continue;
			read_limit(dir, "memory.max", UINT64_MAX, &in->memory);
			read_limit(dir, "pids.max", UINT64_MAX, &in->pids);
			continue;
		}
		if (has_controller(h->controllers, "memory"))
			read_limit(dir, "memory.limit_in_bytes", V1_UNLIMITED, &in->memory);
		if (has_controller(h->controllers, "pids"))
			read_limit(dir, "pids.max", UINT64_MAX, &in->pids);
	}
}

static void load_config(int dirfd, struct volt_inspect *in)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d/" VOLT_CONFIG_COPY, dirfd);
	struct volt_error ignored;
	if (oci_config_load(path, &in->config, &ignored) < 0) {
		in->config = NULL;
		return;
	}
	/* The copy is the bundle's config; create rewrote it from the profile
	 * annotations, so do the same to see what the init got. */
	if (volt_profiles_apply(in->config, &ignored) < 0) {
		oci_config_free(in->config);
		if (oci_config_load(path, &in->config, &ignored) < 0)
			in->config = NULL;
	}
	if (in->config) {
		in->seccomp_profile = oci_map_get(&in->config->annotations, "org.volt.seccomp.profile");
		in->landlock_profile = oci_map_get(&in->config->annotations, "org.volt.landlock.profile");
		in->caps_profile = oci_map_get(&in->config->annotations, "org.volt.caps.profile");
	}
}

int volt_inspect_gather(const struct volt_ctx *ctx, const char *id, struct volt_inspect *in,
			struct volt_error *err)
{
	memset(in, 0, sizeof *in);
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, err) < 0)
		return -1;
	if (volt_container_status(&c) == VOLT_STATUS_STOPPED)
		return volt_err(err, -ESRCH, "container \"%s\" is not running", id);
	/* The pidfd pins the pid so it cannot be reused while we read /proc. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, c.state.pid, 0);
	char path[32];
	snprintf(path, sizeof path, "/proc/%d", c.state.pid);
	_cleanup_close_ int procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pidfd < 0 || procfd < 0 || volt_container_status(&c) == VOLT_STATUS_STOPPED)
		return volt_err(err, -ESRCH, "container \"%s\" is not running", id);
	in->pid = c.state.pid;

	char buf[8192];
	if (read_small(procfd, "status", buf, sizeof buf) < 0)
		return volt_err(err, errno, "container \"%s\": %s/status", id, path);
	if (volt_proc_status_parse(buf, &in->proc) < 0)
		return volt_err(err, -EINVAL, "container \"%s\": %s/status: no capability lines", id, path);
	read_namespaces(procfd, in);
	if (read_small(procfd, "uid_map", buf, sizeof buf) >= 0)
		volt_idmap_parse(buf, &in->uid_map);
	if (read_small(procfd, "gid_map", buf, sizeof buf) >= 0)
		volt_idmap_parse(buf, &in->gid_map);
	read_limits(ctx, c.state.cgroup_path, in);
	load_config(c.dirfd, in);
	/* Still the same process: what we read describes the container. */
	if (volt_container_status(&c) == VOLT_STATUS_STOPPED) {
		volt_inspect_release(in);
		return volt_err(err, -ESRCH, "container \"%s\" is not running", id);
	}
	return 0;
}
