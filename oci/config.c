/* config.json: the top level (version, root, mounts, hooks, annotations),
 * loading and the small name tables. The process and linux sections live in
 * config-process.c, config-linux.c, config-resources.c, config-seccomp.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config-parse.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A config.json beyond this is a mistake, not a container. */
enum { CONFIG_MAX_SIZE = 64 << 20 };

static const char *const hook_names[OCI_HOOK__COUNT] = {
    [OCI_HOOK_PRESTART] = "prestart",
    [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
    [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
    [OCI_HOOK_START_CONTAINER] = "startContainer",
    [OCI_HOOK_POSTSTART] = "poststart",
    [OCI_HOOK_POSTSTOP] = "poststop",
};

static const struct {
	const char *name;
	int flag;
} ns_table[OCI_NS__COUNT] = {
    [OCI_NS_PID] = {"pid", CLONE_NEWPID},	   [OCI_NS_NETWORK] = {"network", CLONE_NEWNET},
    [OCI_NS_MOUNT] = {"mount", CLONE_NEWNS},	   [OCI_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [OCI_NS_UTS] = {"uts", CLONE_NEWUTS},	   [OCI_NS_USER] = {"user", CLONE_NEWUSER},
    [OCI_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [OCI_NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
	return (unsigned)k < OCI_HOOK__COUNT ? hook_names[k] : NULL;
}

const char *oci_ns_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS__COUNT ? ns_table[t].name : NULL;
}

int oci_ns_clone_flag(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS__COUNT ? ns_table[t].flag : 0;
}

const char *oci_map_get(const struct oci_map *m, const char *key)
{
	/* Last wins, as with duplicate JSON keys. */
	for (size_t i = m->n; i > 0; i--)
		if (strcmp(m->v[i - 1].key, key) == 0)
			return m->v[i - 1].value;
	return NULL;
}

const struct oci_namespace *oci_config_namespace(const struct oci_config *c, enum oci_ns_type t)
{
	if (!c->has_linux)
		return NULL;
	for (size_t i = 0; i < c->linux.n_namespaces; i++)
		if (c->linux.namespaces[i].type == t)
			return &c->linux.namespaces[i];
	return NULL;
}

static bool parse_digits(const char **s, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 1000000)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*s = p;
	*out = v;
	return true;
}

/* 1.0.0 .. 1.3.x, with an optional -prerelease or +build suffix. */
static bool supported_version(const char *v)
{
	unsigned major, minor, patch;
	if (!parse_digits(&v, &major) || *v++ != '.' || !parse_digits(&v, &minor) || *v++ != '.' ||
	    !parse_digits(&v, &patch))
		return false;
	if (*v && *v != '-' && *v != '+')
		return false;
	return major == 1 && minor <= 3;
}

static int parse_version(const struct jp_ctx *c, yajl_val root, struct oci_config *cfg)
{
	struct jp p = JP_KEY(NULL, "ociVersion");
	if (jp_f_str(c, NULL, root, "ociVersion", true, &cfg->oci_version) < 0)
		return -1;
	if (!supported_version(cfg->oci_version))
		return jp_fail(c, &p, "unsupported version \"%s\" (supported: 1.0.0 to 1.3.x)",
			       cfg->oci_version);
	return 0;
}

static int parse_root(const struct jp_ctx *c, yajl_val root, struct oci_root *out)
{
	struct jp p = JP_KEY(NULL, "root");
	yajl_val v = jp_get(root, "root");
	if (!v)
		return jp_fail(c, &p, "missing required field");
	if (jp_object(c, &p, v) < 0 || jp_f_str(c, &p, v, "path", true, &out->path) < 0 ||
	    jp_f_bool(c, &p, v, "readonly", false, &out->readonly) < 0)
		return -1;
	if (!out->path[0])
		return jp_fail(c, &p, "path must not be empty");
	return 0;
}

static int parse_mount(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_mount *m)
{
	if (jp_object(c, p, v) < 0 || jp_f_str(c, p, v, "destination", true, &m->destination) < 0 ||
	    jp_f_str(c, p, v, "type", false, &m->type) < 0 ||
	    jp_f_str(c, p, v, "source", false, &m->source) < 0 ||
	    jp_f_strv(c, p, v, "options", false, &m->options) < 0)
		return -1;
	if (!m->destination[0]) {
		struct jp dp = JP_KEY(p, "destination");
		return jp_fail(c, &dp, "must not be empty");
	}
	/* runtime-spec 1.1 asks runtimes to take a relative destination as relative to "/". */
	if (m->destination[0] != '/') {
		size_t n = strlen(m->destination);
		char *abs = volt_arena_alloc(c->a, n + 2);
		if (!abs)
			return jp_nomem(c, p);
		abs[0] = '/';
		memcpy(abs + 1, m->destination, n + 1);
		m->destination = abs;
	}
	return 0;
}

static int parse_mounts(const struct jp_ctx *c, yajl_val root, struct oci_config *cfg)
{
	struct jp p = JP_KEY(NULL, "mounts");
	yajl_val v = jp_get(root, "mounts");
	if (!v)
		return 0;
	if (jp_array(c, &p, v, sizeof *cfg->mounts, (void **)&cfg->mounts, &cfg->n_mounts) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct jp ep = JP_IDX(&p, i);
		if (parse_mount(c, &ep, v->u.array.values[i], &cfg->mounts[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_hook(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_hook *h)
{
	if (jp_object(c, p, v) < 0 || jp_f_str(c, p, v, "path", true, &h->path) < 0 ||
	    jp_f_strv(c, p, v, "args", false, &h->args) < 0 || jp_f_strv(c, p, v, "env", false, &h->env) < 0)
		return -1;
	if (h->path[0] != '/') {
		struct jp pp = JP_KEY(p, "path");
		return jp_fail(c, &pp, "must be an absolute path");
	}
	int r = jp_f_int(c, p, v, "timeout", false, &h->timeout);
	if (r < 0)
		return -1;
	h->has_timeout = r > 0;
	if (h->has_timeout && h->timeout <= 0) {
		struct jp tp = JP_KEY(p, "timeout");
		return jp_fail(c, &tp, "must be greater than 0 (got %d)", h->timeout);
	}
	return 0;
}

static int parse_hooks(const struct jp_ctx *c, yajl_val root, struct oci_config *cfg)
{
	struct jp p = JP_KEY(NULL, "hooks");
	yajl_val v = jp_get(root, "hooks");
	if (!v)
		return 0;
	if (jp_object(c, &p, v) < 0)
		return -1;
	for (int k = 0; k < OCI_HOOK__COUNT; k++) {
		struct jp kp = JP_KEY(&p, hook_names[k]);
		struct oci_hook_list *l = &cfg->hooks[k];
		yajl_val a = jp_get(v, hook_names[k]);
		if (!a)
			continue;
		if (jp_array(c, &kp, a, sizeof *l->v, (void **)&l->v, &l->n) < 0)
			return -1;
		for (size_t i = 0; i < l->n; i++) {
			struct jp ep = JP_IDX(&kp, i);
			if (parse_hook(c, &ep, a->u.array.values[i], &l->v[i]) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_tree(const struct jp_ctx *c, yajl_val root, struct oci_config *cfg)
{
	if (!YAJL_IS_OBJECT(root))
		return volt_err(c->err, 0, "config.json: expected a JSON object at the top level");
	if (parse_version(c, root, cfg) < 0 || parse_root(c, root, &cfg->root) < 0)
		return -1;
	yajl_val v = jp_get(root, "process");
	if (v) {
		struct jp p = JP_KEY(NULL, "process");
		if (oci_cfg_process(c, &p, v, &cfg->process) < 0)
			return -1;
		cfg->has_process = true;
	}
	if (jp_f_str(c, NULL, root, "hostname", false, &cfg->hostname) < 0 ||
	    jp_f_str(c, NULL, root, "domainname", false, &cfg->domainname) < 0 ||
	    parse_mounts(c, root, cfg) < 0 || parse_hooks(c, root, cfg) < 0 ||
	    jp_f_map(c, NULL, root, "annotations", false, &cfg->annotations) < 0)
		return -1;
	v = jp_get(root, "linux");
	if (v) {
		struct jp p = JP_KEY(NULL, "linux");
		if (oci_cfg_linux(c, &p, v, &cfg->linux) < 0)
			return -1;
		cfg->has_linux = true;
	}
	return 0;
}

char *oci_cfg_terminate(const char *json, size_t len, const char *what, struct volt_error *err)
{
	if (memchr(json, '\0', len)) {
		volt_err(err, 0, "%s: invalid JSON: NUL byte in document", what);
		return NULL;
	}
	char *buf = malloc(len + 1);
	if (!buf) {
		volt_err(err, ENOMEM, "%s", what);
		return NULL;
	}
	memcpy(buf, json, len);
	buf[len] = '\0';
	return buf;
}

/* text is NUL-terminated; file names the source in errors (NULL: "config.json"). */
static int parse_text(const char *text, const char *file, struct oci_config **out, struct volt_error *err)
{
	*out = NULL;
	yajl_val root = jp_parse(text, file ? file : "config.json", err);
	if (!root)
		return -1;
	struct oci_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg) {
		yajl_tree_free(root);
		return volt_err(err, ENOMEM, "config.json");
	}
	struct jp_ctx c = {.a = &cfg->arena, .err = err};
	int r = parse_tree(&c, root, cfg);
	yajl_tree_free(root);
	if (r < 0) {
		oci_config_free(cfg);
		if (file)
			volt_err_ctx(err, "%s", file);
		return -1;
	}
	*out = cfg;
	return 0;
}

int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct volt_error *err)
{
	*out = NULL;
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "config.json", err);
	if (!text)
		return -1;
	return parse_text(text, NULL, out, err);
}

static char *read_file(const char *path, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "%s", path), NULL;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "%s", path), NULL;
	if (!S_ISREG(st.st_mode))
		return volt_err(err, EINVAL, "%s: not a regular file", path), NULL;
	if (st.st_size > CONFIG_MAX_SIZE)
		return volt_err(err, EFBIG, "%s", path), NULL;
	/* One spare byte so the read that sees EOF needs no realloc, one for the NUL. */
	size_t cap = (size_t)st.st_size + 2, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return volt_err(err, ENOMEM, "%s", path), NULL;
	for (;;) {
		/* Usually one read; the loop covers a file that grew meanwhile. */
		if (len + 1 == cap) {
			if (cap > CONFIG_MAX_SIZE)
				return volt_err(err, EFBIG, "%s", path), NULL;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return volt_err(err, ENOMEM, "%s", path), NULL;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return volt_err(err, errno, "%s", path), NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (memchr(buf, '\0', len))
		return volt_err(err, 0, "%s: invalid JSON: NUL byte in document", path), NULL;
	buf[len] = '\0';
	return volt_steal_ptr(&buf);
}

int oci_config_load(const char *path, struct oci_config **out, struct volt_error *err)
{
	*out = NULL;
	_cleanup_free_ char *text = read_file(path, err);
	if (!text)
		return -1;
	return parse_text(text, path, out, err);
}

int oci_config_load_text(const char *path, struct oci_config **out, char **text, struct volt_error *err)
{
	*out = NULL;
	*text = read_file(path, err);
	if (!*text)
		return -1;
	if (parse_text(*text, path, out, err) < 0) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

void oci_config_free(struct oci_config *c)
{
	if (!c)
		return;
	volt_arena_free(&c->arena);
	free(c);
}
