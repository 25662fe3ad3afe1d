#include "stardust/shim/modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cleanup.h"

const char *const sd_guest_modules[] = {"virtio_mmio", "virtio_blk", "virtio_console", "crc32c_generic",
					"ext4"};
const size_t sd_guest_modules_n = sizeof sd_guest_modules / sizeof sd_guest_modules[0];

const char *const sd_guest_net_modules[] = {"failover", "net_failover", "virtio_net"};
const size_t sd_guest_net_modules_n = sizeof sd_guest_net_modules / sizeof sd_guest_net_modules[0];

void sd_module_list_free(struct sd_module_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->path[i]);
	l->n = 0;
}

void sd_module_name(const char *path, char *buf, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strcspn(base, ".");
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = base[i] == '-' ? '_' : base[i];
	buf[n] = '\0';
}

static void norm(const char *in, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", in);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* The modules.dep line of a module by name: its start, or NULL. */
static const char *dep_line(const char *dep, const char *name)
{
	for (const char *line = dep; line && *line;) {
		const char *colon = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		if (colon && (!nl || colon < nl)) {
			char path[512], mod[128];
			size_t len = (size_t)(colon - line);
			if (len < sizeof path) {
				memcpy(path, line, len);
				path[len] = '\0';
				sd_module_name(path, mod, sizeof mod);
				if (strcmp(mod, name) == 0)
					return line;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool in_builtin(const char *builtin, const char *name)
{
	if (!builtin)
		return false;
	for (const char *line = builtin; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char path[512], mod[128];
		if (len < sizeof path) {
			memcpy(path, line, len);
			path[len] = '\0';
			sd_module_name(path, mod, sizeof mod);
			if (strcmp(mod, name) == 0)
				return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool listed(const struct sd_module_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->path[i], path) == 0)
			return true;
	return false;
}

void sd_module_list_subtract(struct sd_module_list *l, const struct sd_module_list *minus)
{
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (listed(minus, l->path[i]))
			free(l->path[i]);
		else
			l->path[kept++] = l->path[i];
	}
	l->n = kept;
}

static int add(struct sd_module_list *l, const char *path, size_t len, struct volt_error *err)
{
	if (l->n == SD_MODULES_MAX)
		return volt_err(err, -E2BIG, "guest modules: more than %d", SD_MODULES_MAX);
	char *p = strndup(path, len);
	if (!p)
		return volt_err(err, -ENOMEM, "guest modules");
	if (listed(l, p)) {
		free(p);
		return 0;
	}
	l->path[l->n++] = p;
	return 0;
}

/* Depth-first, dependencies before the module; depth bounds a cyclic file. */
static int visit(const char *dep, const char *name, struct sd_module_list *out, int depth,
		 struct volt_error *err)
{
	if (depth > 16)
		return volt_err(err, -ELOOP, "modules.dep: dependency chain of %s too deep", name);
	const char *line = dep_line(dep, name);
	if (!line)
		return volt_err(err, -ENOENT, "modules.dep: no module %s (a dependency)", name);
	const char *colon = strchr(line, ':');
	const char *nl = strchr(colon, '\n');
	const char *end = nl ? nl : colon + strlen(colon);
	/* modules.dep lists dependencies so that the last is loaded first. */
	const char *deps[SD_MODULES_MAX];
	size_t nd = 0;
	for (const char *p = colon + 1; p < end;) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		if (nd == SD_MODULES_MAX)
			return volt_err(err, -E2BIG, "modules.dep: %s has too many dependencies", name);
		deps[nd++] = p;
		while (p < end && *p != ' ')
			p++;
	}
	for (size_t i = nd; i-- > 0;) {
		size_t len = strcspn(deps[i], " \n");
		char path[512], mod[128];
		if (len >= sizeof path)
			return volt_err(err, -ENAMETOOLONG, "modules.dep: a dependency of %s", name);
		memcpy(path, deps[i], len);
		path[len] = '\0';
		if (listed(out, path))
			continue;
		sd_module_name(path, mod, sizeof mod);
		if (visit(dep, mod, out, depth + 1, err) < 0)
			return -1;
	}
	return add(out, line, (size_t)(colon - line), err);
}

int sd_modules_resolve(const char *dep, const char *builtin, const char *const *names, size_t n,
		       struct sd_module_list *out, struct volt_error *err)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		char name[128];
		norm(names[i], name, sizeof name);
		if (!dep_line(dep, name)) {
			if (in_builtin(builtin, name))
				continue;
			sd_module_list_free(out);
			return volt_err(err, -ENOENT,
					"guest kernel: module %s is neither in modules.dep nor built in",
					name);
		}
		if (visit(dep, name, out, 0, err) < 0) {
			sd_module_list_free(out);
			return -1;
		}
	}
	return 0;
}
