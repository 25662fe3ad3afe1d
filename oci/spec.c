#include "spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

/* Each helper ORs its yajl status into *st so the generator is written as a
 * straight list and checked once at the end. */
struct gen {
	yajl_gen g;
	int st;
};

static void str(struct gen *g, const char *s)
{
	g->st |= yajl_gen_string(g->g, (const unsigned char *)s, strlen(s));
}

static void kstr(struct gen *g, const char *k, const char *v)
{
	str(g, k);
	str(g, v);
}

static void kbool(struct gen *g, const char *k, bool v)
{
	str(g, k);
	g->st |= yajl_gen_bool(g->g, v);
}

static void kint(struct gen *g, const char *k, long long v)
{
	str(g, k);
	g->st |= yajl_gen_integer(g->g, v);
}

static void open_map(struct gen *g, const char *k)
{
	if (k)
		str(g, k);
	g->st |= yajl_gen_map_open(g->g);
}

static void close_map(struct gen *g)
{
	g->st |= yajl_gen_map_close(g->g);
}

static void kstrv(struct gen *g, const char *k, const char *const *v)
{
	str(g, k);
	g->st |= yajl_gen_array_open(g->g);
	for (; *v; v++)
		str(g, *v);
	g->st |= yajl_gen_array_close(g->g);
}

static void mount(struct gen *g, const char *dest, const char *type, const char *src, const char *const *opts)
{
	open_map(g, NULL);
	kstr(g, "destination", dest);
	kstr(g, "type", type);
	kstr(g, "source", src);
	if (opts)
		kstrv(g, "options", opts);
	close_map(g);
}

static void process(struct gen *g)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
					  "TERM=xterm", NULL};
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};

	open_map(g, "process");
	kbool(g, "terminal", true);
	open_map(g, "user");
	kint(g, "uid", 0);
	kint(g, "gid", 0);
	close_map(g);
	kstrv(g, "args", args);
	kstrv(g, "env", env);
	kstr(g, "cwd", "/");
	open_map(g, "capabilities");
	kstrv(g, "bounding", caps);
	kstrv(g, "effective", caps);
	kstrv(g, "permitted", caps);
	close_map(g);
	str(g, "rlimits");
	g->st |= yajl_gen_array_open(g->g);
	open_map(g, NULL);
	kstr(g, "type", "RLIMIT_NOFILE");
	kint(g, "hard", 1024);
	kint(g, "soft", 1024);
	close_map(g);
	g->st |= yajl_gen_array_close(g->g);
	kbool(g, "noNewPrivileges", true);
	close_map(g);
}

static void mounts(struct gen *g, bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
	static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_bind[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	/* In a user namespace gid 5 (tty) is usually unmapped, so devpts would refuse it. */
	static const char *const pts_rootless[] = {"nosuid",	    "noexec",	 "newinstance",
						   "ptmxmode=0666", "mode=0620", NULL};

	str(g, "mounts");
	g->st |= yajl_gen_array_open(g->g);
	mount(g, "/proc", "proc", "proc", NULL);
	mount(g, "/dev", "tmpfs", "tmpfs", dev);
	mount(g, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
	mount(g, "/dev/shm", "tmpfs", "shm", shm);
	mount(g, "/dev/mqueue", "mqueue", "mqueue", mq);
	/* A fresh sysfs needs a network namespace owned by our user namespace. */
	if (rootless)
		mount(g, "/sys", "none", "/sys", sys_bind);
	else
		mount(g, "/sys", "sysfs", "sysfs", sys);
	mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
	g->st |= yajl_gen_array_close(g->g);
}

static void idmap(struct gen *g, const char *k, unsigned host_id)
{
	str(g, k);
	g->st |= yajl_gen_array_open(g->g);
	open_map(g, NULL);
	kint(g, "containerID", 0);
	kint(g, "hostID", host_id);
	kint(g, "size", 1);
	close_map(g);
	g->st |= yajl_gen_array_close(g->g);
}

static void linux_section(struct gen *g, bool rootless)
{
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const readonly[] = {"/proc/bus",	      "/proc/fs", "/proc/irq", "/proc/sys",
					       "/proc/sysrq-trigger", NULL};
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
	static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "cgroup", "user", NULL};

	open_map(g, "linux");
	if (rootless) {
		idmap(g, "uidMappings", (unsigned)geteuid());
		idmap(g, "gidMappings", (unsigned)getegid());
	} else {
		/* Deny every device by default; the runtime allows its default set. */
		open_map(g, "resources");
		str(g, "devices");
		g->st |= yajl_gen_array_open(g->g);
		open_map(g, NULL);
		kbool(g, "allow", false);
		kstr(g, "access", "rwm");
		close_map(g);
		g->st |= yajl_gen_array_close(g->g);
		close_map(g);
	}
	str(g, "namespaces");
	g->st |= yajl_gen_array_open(g->g);
	for (const char *const *t = rootless ? ns_rootless : ns; *t; t++) {
		open_map(g, NULL);
		kstr(g, "type", *t);
		close_map(g);
	}
	g->st |= yajl_gen_array_close(g->g);
	kstrv(g, "maskedPaths", masked);
	kstrv(g, "readonlyPaths", readonly);
	close_map(g);
}

int oci_spec_generate(bool rootless, char **json_out, struct volt_error *err)
{
	*json_out = NULL;
	struct gen g = {.g = yajl_gen_alloc(NULL)};
	if (!g.g)
		return volt_err(err, ENOMEM, "spec: yajl_gen_alloc");
	yajl_gen_config(g.g, yajl_gen_beautify, 1);
	yajl_gen_config(g.g, yajl_gen_indent_string, "\t");

	open_map(&g, NULL);
	kstr(&g, "ociVersion", "1.2.0");
	process(&g);
	open_map(&g, "root");
	kstr(&g, "path", "rootfs");
	kbool(&g, "readonly", true);
	close_map(&g);
	kstr(&g, "hostname", "volt");
	mounts(&g, rootless);
	linux_section(&g, rootless);
	close_map(&g);

	const unsigned char *buf;
	size_t len;
	if (g.st != yajl_gen_status_ok || yajl_gen_get_buf(g.g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g.g);
		return volt_err(err, 0, "spec: generating JSON failed");
	}
	char *out = malloc(len + 2);
	if (!out) {
		yajl_gen_free(g.g);
		return volt_err(err, ENOMEM, "spec");
	}
	memcpy(out, buf, len);
	/* yajl's beautified output ends with a newline already; make sure of it. */
	if (len == 0 || out[len - 1] != '\n')
		out[len++] = '\n';
	out[len] = '\0';
	yajl_gen_free(g.g);
	*json_out = out;
	return 0;
}
