#include "stardust/shim/image.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "oci/cleanup.h"
#include "oci/json-path.h"
#include "stardust/shim/vm-opts.h"

static void yajl_tree_freep(yajl_val *v)
{
	if (*v)
		yajl_tree_free(*v);
}

static void yajl_gen_freep(yajl_gen *g)
{
	if (*g)
		yajl_gen_free(*g);
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Where a value sits, for the rewrites. */
enum at { AT_OTHER, AT_TOP, AT_ROOT, AT_LINUX, AT_NAMESPACES, AT_MOUNTS, AT_MOUNT };

struct emit_ctx {
	bool drop_netns;
	const struct sd_guest_mounts *m;
};

void sd_guest_mounts_free(struct sd_guest_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].host);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static const struct sd_guest_mount *guest_mount(const struct emit_ctx *c, size_t index)
{
	for (size_t i = 0; c->m && i < c->m->n; i++)
		if (c->m->v[i].index == index)
			return &c->m->v[i];
	return NULL;
}

static bool is_bind(yajl_val mnt)
{
	yajl_val type = jp_get(mnt, "type"), opts = jp_get(mnt, "options");
	if (YAJL_IS_STRING(type) && strcmp(type->u.string, "bind") == 0)
		return true;
	for (size_t i = 0; YAJL_IS_ARRAY(opts) && i < opts->u.array.len; i++) {
		yajl_val o = opts->u.array.values[i];
		if (YAJL_IS_STRING(o) && (!strcmp(o->u.string, "bind") || !strcmp(o->u.string, "rbind")))
			return true;
	}
	return false;
}

/* The bind mounts of config.json whose source is a host file or directory. */
static int find_host_binds(yajl_val root, struct sd_guest_mounts *m, struct volt_error *err)
{
	yajl_val mounts = jp_get(root, "mounts");
	if (!YAJL_IS_ARRAY(mounts))
		return 0;
	m->v = calloc(mounts->u.array.len + 1, sizeof *m->v);
	if (!m->v)
		return volt_err(err, -ENOMEM, "mounts");
	for (size_t i = 0; i < mounts->u.array.len; i++) {
		yajl_val mnt = mounts->u.array.values[i], src = jp_get(mnt, "source");
		struct stat st;
		if (!YAJL_IS_OBJECT(mnt) || !is_bind(mnt) || !YAJL_IS_STRING(src) ||
		    src->u.string[0] != '/' || stat(src->u.string, &st) < 0 ||
		    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
			continue; /* the guest's libvolt reports what is wrong with it */
		struct sd_guest_mount *g = &m->v[m->n];
		if (!(g->host = strdup(src->u.string)))
			return volt_err(err, -ENOMEM, "mounts[%zu].source", i);
		g->index = i;
		g->dir = S_ISDIR(st.st_mode);
		m->n++;
	}
	return 0;
}

/* A linux.namespaces entry the guest leaves out when the VM has a network:
 * a new network namespace (no path). The VM is the isolation boundary, and
 * the process shares the guest's network, where eth0 is. */
static bool new_netns(yajl_val ns)
{
	if (!YAJL_IS_OBJECT(ns))
		return false;
	yajl_val type = jp_get(ns, "type"), path = jp_get(ns, "path");
	return YAJL_IS_STRING(type) && strcmp(type->u.string, "network") == 0 &&
	       (!path || (YAJL_IS_STRING(path) && !*path->u.string));
}

/* Re-emit v: the top level's "root" object gets path "rootfs"; with
 * drop_netns, linux.namespaces loses its new network namespace; mounts[index]
 * in c->m gets its copy's guest path as source. */
static void emit(yajl_gen g, yajl_val v, enum at at, size_t index, const struct emit_ctx *c)
{
	if (YAJL_IS_STRING(v))
		gen_str(g, v->u.string);
	else if (YAJL_IS_NUMBER(v))
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	else if (YAJL_IS_TRUE(v))
		yajl_gen_bool(g, 1);
	else if (YAJL_IS_FALSE(v))
		yajl_gen_bool(g, 0);
	else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++) {
			if (at == AT_NAMESPACES && c->drop_netns && new_netns(v->u.array.values[i]))
				continue;
			emit(g, v->u.array.values[i], at == AT_MOUNTS ? AT_MOUNT : AT_OTHER, i, c);
		}
		yajl_gen_array_close(g);
	} else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		bool has_root = false, has_path = false;
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];
			yajl_val child = v->u.object.values[i];
			gen_str(g, k);
			if (at == AT_ROOT && strcmp(k, "path") == 0) {
				gen_str(g, SD_GUEST_ROOTFS);
				has_path = true;
				continue;
			}
			const struct sd_guest_mount *gm = at == AT_MOUNT ? guest_mount(c, index) : NULL;
			if (gm && strcmp(k, "source") == 0) {
				char path[64];
				/* Relative: resolved against the bundle (runtime-spec). */
				snprintf(path, sizeof path, SD_GUEST_MOUNTS "/%zu", gm->index);
				gen_str(g, path);
				continue;
			}
			enum at child_at = AT_OTHER;
			if (at == AT_TOP && strcmp(k, "root") == 0 && YAJL_IS_OBJECT(child))
				child_at = AT_ROOT, has_root = true;
			else if (at == AT_TOP && strcmp(k, "linux") == 0)
				child_at = AT_LINUX;
			else if (at == AT_LINUX && strcmp(k, "namespaces") == 0)
				child_at = AT_NAMESPACES;
			else if (at == AT_TOP && strcmp(k, "mounts") == 0)
				child_at = AT_MOUNTS;
			emit(g, child, child_at, 0, c);
		}
		if (at == AT_ROOT && !has_path) {
			gen_str(g, "path");
			gen_str(g, SD_GUEST_ROOTFS);
		}
		if (at == AT_TOP && !has_root) {
			gen_str(g, "root");
			yajl_gen_map_open(g);
			gen_str(g, "path");
			gen_str(g, SD_GUEST_ROOTFS);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
	} else
		yajl_gen_null(g);
}

int sd_config_for_guest(const char *json, char **out, struct volt_error *err)
{
	return sd_config_for_guest_mounts(json, out, NULL, err);
}

int sd_config_for_guest_mounts(const char *json, char **out, struct sd_guest_mounts *m,
			       struct volt_error *err)
{
	_cleanup_(yajl_tree_freep) yajl_val root = jp_parse(json, "config.json", err);
	if (!root)
		return -1;
	if (!YAJL_IS_OBJECT(root))
		return volt_err(err, -EINVAL, "config.json: not a JSON object");
	/* The same test as vm-opts.c's: the annotation set turns networking on. */
	yajl_val ann = jp_get(root, "annotations");
	bool net = YAJL_IS_OBJECT(ann) && YAJL_IS_STRING(jp_get(ann, SD_ANN_NET_TAP));
	if (m && find_host_binds(root, m, err) < 0) {
		sd_guest_mounts_free(m);
		return -1;
	}
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return volt_err(err, -ENOMEM, "config.json: yajl_gen_alloc");
	struct emit_ctx c = {.drop_netns = net, .m = m};
	emit(g, root, AT_TOP, 0, &c);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return volt_err(err, -EINVAL, "config.json: could not re-encode");
	*out = strndup((const char *)buf, len);
	if (!*out)
		return volt_err(err, -ENOMEM, "config.json");
	return 0;
}

void sd_image_geometry(uint64_t used_bytes, uint64_t files, uint64_t *size_kib, uint64_t *inodes)
{
	/* Data plus a quarter for ext4's block groups and slack, plus 32 MiB
	 * for the process to write into (the image is sparse on the host). */
	uint64_t kib = (used_bytes + 1023) / 1024;
	kib += kib / 4 + 32 * 1024;
	kib += files / 4; /* an inode table entry is 256 bytes */
	*size_kib = (kib + 1023) / 1024 * 1024;
	*inodes = files + files / 4 + 4096;
}

struct usage_acc {
	uint64_t bytes, files;
};

int sd_tree_usage(const char *dir, uint64_t *bytes, uint64_t *files, struct volt_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return volt_err(err, errno, "rootfs %s", dir);
	struct usage_acc acc = {0};
	/* Iterative DFS with a small explicit stack of paths keeps nftw's
	 * callback (and its global state) out. */
	size_t cap = 64, n = 0;
	char **stack = calloc(cap, sizeof *stack);
	if (!stack)
		return volt_err(err, -ENOMEM, "rootfs usage");
	int rc = 0;
	stack[n++] = strdup(dir);
	while (n && rc == 0) {
		_cleanup_free_ char *path = stack[--n];
		if (!path) {
			rc = volt_err(err, -ENOMEM, "rootfs usage");
			break;
		}
		_cleanup_closedir_ DIR *dd = opendir(path);
		if (!dd)
			continue; /* unreadable: mke2fs will say so */
		struct dirent *e;
		while ((e = readdir(dd))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			struct stat st;
			if (fstatat(dirfd(dd), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			acc.files++;
			acc.bytes += (uint64_t)st.st_size + 64; /* names and small-file slack */
			if (!S_ISDIR(st.st_mode))
				continue;
			if (n == cap) {
				char **bigger = realloc(stack, 2 * cap * sizeof *stack);
				if (!bigger) {
					rc = volt_err(err, -ENOMEM, "rootfs usage");
					break;
				}
				stack = bigger;
				cap *= 2;
			}
			if (asprintf(&stack[n], "%s/%s", path, e->d_name) < 0) {
				rc = volt_err(err, -ENOMEM, "rootfs usage");
				break;
			}
			n++;
		}
	}
	while (n)
		free(stack[--n]);
	free(stack);
	*bytes = acc.bytes;
	*files = acc.files + 1;
	return rc;
}

static int write_file(const char *path, const char *data, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return volt_err(err, errno, "%s", path);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		return volt_err(err, errno ? errno : EIO, "%s", path);
	return 0;
}

/* Each host bind-mount source bound at mounts/<index> of the staging:
 * mke2fs -d copies it through the bind. */
static int stage_mounts(const struct sd_guest_mounts *m, const char *scratch, struct volt_error *err)
{
	char path[4096];
	if (!m || !m->n)
		return 0;
	snprintf(path, sizeof path, "%s/" SD_GUEST_MOUNTS, scratch);
	if (mkdir(path, 0755) < 0)
		return volt_err(err, errno, "image staging %s", path);
	for (size_t i = 0; i < m->n; i++) {
		const struct sd_guest_mount *g = &m->v[i];
		snprintf(path, sizeof path, "%s/" SD_GUEST_MOUNTS "/%zu", scratch, g->index);
		int made = g->dir ? mkdir(path, 0755)
				  : close(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
		if (made < 0 || mount(g->host, path, NULL, MS_BIND | (g->dir ? MS_REC : 0), NULL) < 0)
			return volt_err(err, errno, "mounts[%zu].source %s: copy into the microVM's image",
					g->index, g->host);
	}
	return 0;
}

/* The child: private mounts, staging on a tmpfs, then mke2fs. Never returns. */
static _Noreturn void stage_and_mkfs(const char *config_json, const char *rootfs,
				     const struct sd_guest_mounts *m, const char *img, const char *scratch,
				     const char *size, const char *inodes, int errfd)
{
	struct volt_error err = {0};
	char path[4096];
	if (unshare(CLONE_NEWNS) < 0) {
		volt_err(&err, errno, "unshare(CLONE_NEWNS) for the image staging");
		goto fail;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("stardust-stage", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		volt_err(&err, errno, "mount the image staging on %s", scratch);
		goto fail;
	}
	snprintf(path, sizeof path, "%s/config.json", scratch);
	if (write_file(path, config_json, &err) < 0)
		goto fail;
	snprintf(path, sizeof path, "%s/" SD_GUEST_ROOTFS, scratch);
	if (mkdir(path, 0755) < 0 || mount(rootfs, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		volt_err(&err, errno, "bind %s into the image staging", rootfs);
		goto fail;
	}
	if (stage_mounts(m, scratch, &err) < 0)
		goto fail;
	dup2(errfd, STDOUT_FILENO);
	dup2(errfd, STDERR_FILENO);
	/* No journal: the disk lives as long as the VM, a crash loses it anyway. */
	char *argv[] = {"mke2fs",	"-q", "-F",	      "-t", "ext4",	     "-O",
			"^has_journal", "-N", (char *)inodes, "-d", (char *)scratch, (char *)img,
			(char *)size,	NULL};
	const char *paths[] = {"/usr/sbin/mke2fs", "/sbin/mke2fs", "/usr/bin/mke2fs"};
	for (size_t i = 0; i < 3; i++)
		execv(paths[i], argv);
	execvp("mke2fs", argv);
	volt_err(&err, errno, "mke2fs not found (install e2fsprogs)");
fail:
	dprintf(errfd, "%s", err.msg);
	_exit(127);
}

int sd_image_build(const char *config_json, const char *rootfs, const struct sd_guest_mounts *m,
		   const char *img, const char *scratch, struct volt_error *err)
{
	uint64_t bytes, files, kib, inodes;
	if (sd_tree_usage(rootfs, &bytes, &files, err) < 0)
		return -1;
	for (size_t i = 0; m && i < m->n; i++) {
		uint64_t b = 0, f = 1;
		struct stat st;
		if (m->v[i].dir && sd_tree_usage(m->v[i].host, &b, &f, err) < 0) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			return volt_err(err, -(err->errnum ? err->errnum : EIO), "mounts[%zu].source: %s",
					m->v[i].index, why);
		}
		if (!m->v[i].dir && stat(m->v[i].host, &st) == 0)
			b = (uint64_t)st.st_size;
		bytes += b;
		files += f;
	}
	sd_image_geometry(bytes, files, &kib, &inodes);
	char size_s[32], inodes_s[32];
	snprintf(size_s, sizeof size_s, "%lluk", (unsigned long long)kib);
	snprintf(inodes_s, sizeof inodes_s, "%llu", (unsigned long long)inodes);
	if (mkdir(scratch, 0700) < 0 && errno != EEXIST)
		return volt_err(err, errno, "image staging %s", scratch);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		rmdir(scratch);
		return volt_err(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		rmdir(scratch);
		return volt_err(err, errno, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		int fd = fcntl(p[1], F_DUPFD, 3); /* without CLOEXEC: mke2fs's stderr */
		stage_and_mkfs(config_json, rootfs, m, img, scratch, size_s, inodes_s, fd);
	}
	close(p[1]);
	char msg[512];
	size_t len = 0;
	/* Read to EOF even past what msg keeps, so mke2fs never blocks on us. */
	for (;;) {
		char chunk[512];
		ssize_t n = read(p[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t keep = sizeof msg - 1 - len < (size_t)n ? sizeof msg - 1 - len : (size_t)n;
		memcpy(msg + len, chunk, keep);
		len += keep;
	}
	close(p[0]);
	msg[len] = '\0';
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rmdir(scratch);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(img);
		while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			msg[--len] = '\0';
		return volt_err(err, -EIO, "bundle image %s (%s, %llu inodes): %s", img, size_s,
				(unsigned long long)inodes, len ? msg : "mke2fs failed");
	}
	return 0;
}
