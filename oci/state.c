#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"

const char *volt_status_name(enum volt_status s)
{
	switch (s) {
	case VOLT_STATUS_CREATING:
		return "creating";
	case VOLT_STATUS_CREATED:
		return "created";
	case VOLT_STATUS_RUNNING:
		return "running";
	case VOLT_STATUS_PAUSED:
		return "paused";
	case VOLT_STATUS_STOPPED:
		return "stopped";
	}
	return "unknown";
}

void volt_state_release(struct volt_state *s)
{
	volt_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

void volt_rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
	gen_str(g, k);
	gen_str(g, v ? v : "");
}

static void gen_annotations(yajl_gen g, const struct oci_map *m)
{
	gen_str(g, "annotations");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < m->n; i++)
		gen_kv(g, m->v[i].key, m->v[i].value);
	yajl_gen_map_close(g);
}

static int gen_finish(yajl_gen g, char **out, struct volt_error *err)
{
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return volt_err(err, EINVAL, "cannot serialise state");
	*out = strndup((const char *)buf, len);
	if (!*out)
		return volt_err(err, ENOMEM, "serialise state");
	return 0;
}

int volt_state_to_json(const struct volt_state *s, enum volt_status status, bool pretty, char **out,
		       struct volt_error *err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return volt_err(err, ENOMEM, "yajl_gen_alloc");
	yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_map_open(g);
	gen_kv(g, "ociVersion", s->oci_version);
	gen_kv(g, "id", s->id);
	gen_str(g, "pid");
	yajl_gen_integer(g, status == VOLT_STATUS_STOPPED ? 0 : s->pid);
	gen_kv(g, "status", volt_status_name(status));
	gen_kv(g, "bundle", s->bundle);
	gen_kv(g, "rootfs", s->rootfs);
	gen_kv(g, "created", s->created);
	gen_kv(g, "owner", s->owner);
	gen_annotations(g, &s->annotations);
	yajl_gen_map_close(g);
	int r = gen_finish(g, out, err);
	yajl_gen_free(g);
	return r;
}

int volt_state_write(int dirfd, const struct volt_state *s, struct volt_error *err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return volt_err(err, ENOMEM, "yajl_gen_alloc");
	yajl_gen_map_open(g);
	gen_kv(g, "ociVersion", s->oci_version);
	gen_kv(g, "id", s->id);
	gen_str(g, "pid");
	yajl_gen_integer(g, s->pid);
	gen_str(g, "pidStart");
	yajl_gen_integer(g, (long long)s->pid_start);
	gen_kv(g, "bundle", s->bundle);
	gen_kv(g, "rootfs", s->rootfs);
	gen_kv(g, "created", s->created);
	gen_kv(g, "owner", s->owner);
	gen_annotations(g, &s->annotations);
	gen_kv(g, "backend", s->backend);
	gen_kv(g, "cgroupPath", s->cgroup_path);
	gen_str(g, "started");
	yajl_gen_bool(g, s->started);
	gen_str(g, "hasPoststart");
	yajl_gen_bool(g, s->has_poststart);
	gen_str(g, "hasPoststop");
	yajl_gen_bool(g, s->has_poststop);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);

	int r = 0;
	_cleanup_close_ int fd =
	    openat(dirfd, VOLT_STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = volt_err(err, errno, "write state");
	else if (write(fd, buf, len) != (ssize_t)len)
		r = volt_err(err, errno ? errno : EIO, "write state");
	else if (renameat(dirfd, VOLT_STATE_FILE ".tmp", dirfd, VOLT_STATE_FILE) < 0)
		r = volt_err(err, errno, "rename state");
	yajl_gen_free(g);
	return r;
}

static const char *tree_str(yajl_val root, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	return v ? YAJL_GET_STRING(v) : NULL;
}

static long long tree_int(yajl_val root, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(root, path, yajl_t_number);
	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

int volt_state_read(int dirfd, struct volt_state *s, struct volt_error *err)
{
	memset(s, 0, sizeof *s);
	_cleanup_close_ int fd = openat(dirfd, VOLT_STATE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "read state");
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return volt_err(err, errno, "read state");
	size_t size = (size_t)sb.st_size;
	_cleanup_free_ char *buf = malloc(size + 1);
	if (!buf)
		return volt_err(err, -ENOMEM, "read state");
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return volt_err(err, errno, "read state");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	char ebuf[256];
	yajl_val root = yajl_tree_parse(buf, ebuf, sizeof ebuf);
	if (!root || !YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return volt_err(err, -EINVAL, "state.json is corrupt");
	}
	struct volt_arena *a = &s->arena;
	s->oci_version = volt_arena_strdup(a, tree_str(root, "ociVersion"));
	s->id = volt_arena_strdup(a, tree_str(root, "id"));
	s->pid = (pid_t)tree_int(root, "pid");
	s->pid_start = (unsigned long long)tree_int(root, "pidStart");
	s->bundle = volt_arena_strdup(a, tree_str(root, "bundle"));
	s->rootfs = volt_arena_strdup(a, tree_str(root, "rootfs"));
	s->created = volt_arena_strdup(a, tree_str(root, "created"));
	s->owner = volt_arena_strdup(a, tree_str(root, "owner"));
	s->backend = volt_arena_strdup(a, tree_str(root, "backend"));
	s->cgroup_path = volt_arena_strdup(a, tree_str(root, "cgroupPath"));
	const char *sp[] = {"started", NULL};
	s->started = YAJL_IS_TRUE(yajl_tree_get(root, sp, yajl_t_true));
	const char *hp[] = {"hasPoststart", NULL}, *hq[] = {"hasPoststop", NULL};
	s->has_poststart = YAJL_IS_TRUE(yajl_tree_get(root, hp, yajl_t_true));
	s->has_poststop = YAJL_IS_TRUE(yajl_tree_get(root, hq, yajl_t_true));
	const char *ap[] = {"annotations", NULL};
	yajl_val ann = yajl_tree_get(root, ap, yajl_t_object);
	if (ann && ann->u.object.len) {
		size_t len = ann->u.object.len;
		s->annotations.v = volt_arena_calloc(a, len, sizeof *s->annotations.v);
		for (size_t i = 0; s->annotations.v && i < len; i++) {
			yajl_val v = ann->u.object.values[i];
			if (!YAJL_IS_STRING(v))
				continue;
			struct oci_kv *kv = &s->annotations.v[s->annotations.n++];
			kv->key = volt_arena_strdup(a, ann->u.object.keys[i]);
			kv->value = volt_arena_strdup(a, YAJL_GET_STRING(v));
		}
	}
	yajl_tree_free(root);
	if (!s->id || !s->pid)
		return volt_err(err, -EINVAL, "state.json is incomplete");
	return 0;
}
