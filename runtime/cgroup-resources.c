/* What the v1 and v2 resource writers share: unit conversions, the byte
 * suffix parser of `update`, the effective device rule list and the small
 * write-with-a-good-error helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

uint64_t volt_cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t volt_cg_blkio_to_io_weight(uint64_t weight)
{
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int volt_cg_swap_v2(int64_t limit, bool limit_set, int64_t swap, char *buf, size_t size, const char *where,
		    struct volt_error *err)
{
	if (swap == -1) {
		snprintf(buf, size, "max");
		return 0;
	}
	if (swap < 0)
		return volt_err(err, -EINVAL, "%s.memory.swap: %" PRId64 " is not a byte count or -1", where,
				swap);
	if (!limit_set || limit <= 0)
		return volt_err(err, -EINVAL,
				"%s.memory.swap: cgroup v2 needs memory.limit with it (swap is memory+swap, "
				"memory.swap.max = swap - limit)",
				where);
	if (swap < limit)
		return volt_err(err, -EINVAL,
				"%s.memory.swap: %" PRId64 " is below memory.limit %" PRId64
				" (it is the memory+swap total)",
				where, swap, limit);
	snprintf(buf, size, "%" PRId64, swap - limit);
	return 0;
}

int volt_parse_bytes(const char *s, int64_t *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	char unit[4] = "";
	size_t ul = strlen(end);
	if (ul > 3)
		return -EINVAL;
	for (size_t i = 0; i < ul; i++)
		unit[i] = (char)tolower((unsigned char)end[i]);
	/* "k", "kb", "kib"; a lone "b" is bytes */
	static const char prefixes[] = "kmgtp";
	double mult = 1;
	if (ul && strcmp(unit, "b") != 0) {
		const char *p = strchr(prefixes, unit[0]);
		if (!p || !unit[0])
			return -EINVAL;
		if (unit[1] && strcmp(unit + 1, "b") != 0 && strcmp(unit + 1, "ib") != 0)
			return -EINVAL;
		for (const char *q = prefixes; q <= p; q++)
			mult *= 1024;
	}
	v *= mult;
	if (v >= 9.2e18)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

ssize_t volt_cg_find_hier(const struct volt_cgroup *cg, const char *name)
{
	for (size_t h = 0; h < cg->n_hier; h++) {
		if (!name ? cg->hier[h].v2 : !cg->hier[h].v2 && volt_cg_hier_has(&cg->hier[h], name))
			return (ssize_t)h;
	}
	return -1;
}

int volt_cg_open_leaf(const struct volt_cgroup *cg, size_t h)
{
	char path[1024];
	if (volt_cg_leaf_path(cg, h, NULL, path, sizeof path) < 0)
		return -ENAMETOOLONG;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int volt_cg_set(const struct volt_cg_dir *d, const char *field, const char *file, const char *s,
		struct volt_error *err)
{
	int r = volt_cg_write_at(d->fd, file, s, d->cg->fake);
	if (r == -ENOENT) /* the controller or the feature is not there */
		return volt_cg_unsupported(d, field, file, err);
	if (r < 0)
		return volt_err(err, -r, "%s.%s: write \"%s\" to %s%s/%s", d->where, field, s,
				d->cg->hier[d->h].mountpoint, d->cg->path, file);
	return 0;
}

int volt_cg_set_u64(const struct volt_cg_dir *d, const char *field, const char *file, uint64_t v,
		    struct volt_error *err)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	return volt_cg_set(d, field, file, buf, err);
}

bool volt_cg_has_file(const struct volt_cg_dir *d, const char *file)
{
	return faccessat(d->fd, file, F_OK, 0) == 0;
}

int volt_cg_unsupported(const struct volt_cg_dir *d, const char *field, const char *file,
			struct volt_error *err)
{
	return volt_err(err, -EOPNOTSUPP, "%s.%s: not supported on this host (no %s in %s%s)", d->where,
			field, file, d->cg->hier[d->h].mountpoint, d->cg->path);
}

static const struct oci_device_rule deny_all = {false, 'a', -1, -1, "rwm"};

/* What every container may use, as runc grants it: mknod of any node
 * (opening is what counts), null, zero, full, random, urandom, tty,
 * console, ptmx and the pts. */
static const struct oci_device_rule default_rules[] = {
    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"}, {true, 'c', 1, 3, "rwm"},    {true, 'c', 1, 5, "rwm"},
    {true, 'c', 1, 7, "rwm"}, {true, 'c', 1, 8, "rwm"}, {true, 'c', 1, 9, "rwm"},    {true, 'c', 5, 0, "rwm"},
    {true, 'c', 5, 1, "rwm"}, {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
};

static bool is_deny_all(const struct oci_device_rule *d)
{
	return !d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 &&
	       (!d->access || (strchr(d->access, 'r') && strchr(d->access, 'w') && strchr(d->access, 'm')));
}

int volt_cg_device_rules(const struct oci_resources *r, struct oci_device_rule **out, size_t *n)
{
	/* A config "deny all" resets the list (it is how `runc spec` starts);
	 * the defaults go right after the last reset, so the config's later
	 * rules can still take /dev/null away or narrow /dev/zero to reads. */
	size_t nd = sizeof default_rules / sizeof default_rules[0], k = 0, from = 0;
	for (size_t i = 0; i < r->n_devices; i++)
		if (is_deny_all(&r->devices[i]))
			from = i + 1;
	struct oci_device_rule *v = calloc(1 + nd + r->n_devices, sizeof *v);
	if (!v)
		return -ENOMEM;
	v[k++] = deny_all;
	for (size_t j = 0; j < nd; j++)
		v[k++] = default_rules[j];
	for (size_t i = from; i < r->n_devices; i++) {
		v[k] = r->devices[i];
		if (!v[k].access)
			v[k].access = "rwm";
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

bool volt_cg_bfq_in_use(const struct volt_cgroup *cg)
{
	if (cg->fake)
		return true;
	_cleanup_closedir_ DIR *d = opendir("/sys/block");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[512], buf[256];
		snprintf(path, sizeof path, "/sys/block/%s/queue/scheduler", de->d_name);
		if (volt_cg_read_at(AT_FDCWD, path, buf, sizeof buf) > 0 && strstr(buf, "[bfq]"))
			return true;
	}
	return false;
}

bool volt_cg_valid_page_size(const char *s)
{
	size_t d = strspn(s, "0123456789");
	return d > 0 && (strcmp(s + d, "KB") == 0 || strcmp(s + d, "MB") == 0 || strcmp(s + d, "GB") == 0);
}

bool volt_cg_kv_get(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			*out = strtoull(p + kl + 1, NULL, 10);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}
