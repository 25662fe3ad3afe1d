/* Usage counters for `events`, in runc's units: cpu times in nanoseconds,
 * memory in bytes. v1 reads each controller's hierarchy, v2 the one
 * directory; a controller that is not there leaves its part zero. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

static bool read_u64(int fd, const char *file, uint64_t *out)
{
	char buf[32];
	if (volt_cg_read_at(fd, file, buf, sizeof buf) <= 0)
		return false;
	*out = strncmp(buf, "max", 3) == 0 ? 0 : strtoull(buf, NULL, 10);
	return true;
}

/* An O_PATH fd of the container's directory in the v1 hierarchy of ctl
 * (or the cgroup2 one when ctl is NULL); -1 if there is none. */
static int leaf_of(const struct volt_cgroup *cg, const char *ctl)
{
	ssize_t h = volt_cg_find_hier(cg, ctl);
	if (h < 0)
		return -1;
	int fd = volt_cg_open_leaf(cg, (size_t)h);
	return fd < 0 ? -1 : fd;
}

static void raw_stats(int fd, const char *file, struct volt_cgroup_stats *st)
{
	char buf[8192];
	if (volt_cg_read_at(fd, file, buf, sizeof buf) <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (!sp || st->memory.n_raw >= VOLT_STATS_MAX_RAW ||
		    (size_t)(sp - line) >= sizeof st->memory.raw[0].key)
			continue;
		*sp = '\0';
		snprintf(st->memory.raw[st->memory.n_raw].key, sizeof st->memory.raw[0].key, "%s", line);
		st->memory.raw[st->memory.n_raw++].value = strtoull(sp + 1, NULL, 10);
	}
}

static void percpu(const char *text, struct volt_cgroup_stats *st)
{
	for (const char *p = text; *p && st->cpu.n_percpu < VOLT_STATS_MAX_CPU;) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		st->cpu.percpu[st->cpu.n_percpu++] = v;
		p = end + strspn(end, " \n");
	}
}

static void blkio_list(int fd, const char *file, bool v1, struct volt_cgroup_stats *st, bool bytes)
{
	char buf[8192];
	if (volt_cg_read_at(fd, file, buf, sizeof buf) <= 0)
		return;
	size_t *n = bytes ? &st->blkio.n_bytes : &st->blkio.n_ios;
	__typeof__(st->blkio.bytes[0]) *v = bytes ? st->blkio.bytes : st->blkio.ios;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned maj, min;
		if (v1) {
			char op[12];
			unsigned long long val;
			if (sscanf(line, "%u:%u %11s %llu", &maj, &min, op, &val) != 4 ||
			    *n >= VOLT_STATS_MAX_BLKIO)
				continue;
			v[*n].major = maj;
			v[*n].minor = min;
			snprintf(v[*n].op, sizeof v[*n].op, "%s", op);
			v[(*n)++].value = val;
			continue;
		}
		/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
		int off = 0;
		if (sscanf(line, "%u:%u %n", &maj, &min, &off) < 2)
			continue;
		static const struct {
			const char *key, *op;
			bool bytes;
		} keys[] = {{"rbytes=", "Read", true},	  {"wbytes=", "Write", true},
			    {"dbytes=", "Discard", true}, {"rios=", "Read", false},
			    {"wios=", "Write", false},	  {"dios=", "Discard", false}};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			char *at = strstr(line + off, keys[k].key);
			if (!at || keys[k].bytes != bytes || *n >= VOLT_STATS_MAX_BLKIO)
				continue;
			v[*n].major = maj;
			v[*n].minor = min;
			snprintf(v[*n].op, sizeof v[*n].op, "%s", keys[k].op);
			v[(*n)++].value = strtoull(at + strlen(keys[k].key), NULL, 10);
		}
	}
}

void volt_cg_hugetlb_stats(int fd, bool v1, struct volt_cgroup_stats *st)
{
	_cleanup_closedir_ DIR *d = NULL;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct dirent *de;
	const char *tail = v1 ? ".limit_in_bytes" : ".max";
	while ((de = readdir(d)) && st->n_hugetlb < VOLT_STATS_MAX_HUGE) {
		size_t len = strlen(de->d_name), tl = strlen(tail);
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || len <= 8 + tl ||
		    strcmp(de->d_name + len - tl, tail) != 0)
			continue;
		char size[16], file[64];
		if (len - 8 - tl >= sizeof size || strchr(de->d_name + 8, '.') != de->d_name + len - tl)
			continue; /* skip hugetlb.2MB.rsvd.max and the like */
		snprintf(size, sizeof size, "%.*s", (int)(len - 8 - tl), de->d_name + 8);
		__typeof__(st->hugetlb[0]) *h = &st->hugetlb[st->n_hugetlb++];
		snprintf(h->size, sizeof h->size, "%s", size);
		read_u64(fd, de->d_name, &h->max);
		snprintf(file, sizeof file, "hugetlb.%s.%s", size, v1 ? "usage_in_bytes" : "current");
		read_u64(fd, file, &h->usage);
		if (v1) {
			snprintf(file, sizeof file, "hugetlb.%s.failcnt", size);
			read_u64(fd, file, &h->failcnt);
		} else {
			char ev[256];
			snprintf(file, sizeof file, "hugetlb.%s.events", size);
			if (volt_cg_read_at(fd, file, ev, sizeof ev) > 0)
				volt_cg_kv_get(ev, "max", &h->failcnt);
		}
	}
}

static void oom_kills_v1(int fd, uint64_t *out)
{
	char buf[256];
	if (volt_cg_read_at(fd, "memory.oom_control", buf, sizeof buf) > 0)
		volt_cg_kv_get(buf, "oom_kill", out);
}

int volt_cg_v1_stats(struct volt_cgroup *cg, struct volt_cgroup_stats *st, struct volt_error *err)
{
	memset(st, 0, sizeof *st);
	char buf[4096];
	int fd;
	if ((fd = leaf_of(cg, "cpuacct")) >= 0) {
		_cleanup_close_ int c = fd;
		st->has_cpu = read_u64(c, "cpuacct.usage", &st->cpu.total);
		if (volt_cg_read_at(c, "cpuacct.usage_percpu", buf, sizeof buf) > 0)
			percpu(buf, st);
		if (!read_u64(c, "cpuacct.usage_user", &st->cpu.user) ||
		    !read_u64(c, "cpuacct.usage_sys", &st->cpu.kernel)) {
			/* older kernels: clock ticks only */
			long hz = sysconf(_SC_CLK_TCK);
			uint64_t u = 0, s = 0;
			if (hz > 0 && volt_cg_read_at(c, "cpuacct.stat", buf, sizeof buf) > 0 &&
			    volt_cg_kv_get(buf, "user", &u) && volt_cg_kv_get(buf, "system", &s)) {
				st->cpu.user = u * (1000000000ULL / (uint64_t)hz);
				st->cpu.kernel = s * (1000000000ULL / (uint64_t)hz);
			}
		}
	}
	if ((fd = leaf_of(cg, "cpu")) >= 0) {
		_cleanup_close_ int c = fd;
		if (volt_cg_read_at(c, "cpu.stat", buf, sizeof buf) > 0) {
			volt_cg_kv_get(buf, "nr_periods", &st->cpu.periods);
			volt_cg_kv_get(buf, "nr_throttled", &st->cpu.throttled_periods);
			volt_cg_kv_get(buf, "throttled_time", &st->cpu.throttled_time);
		}
	}
	if ((fd = leaf_of(cg, "memory")) >= 0) {
		_cleanup_close_ int m = fd;
		st->has_memory = read_u64(m, "memory.usage_in_bytes", &st->memory.usage.usage);
		read_u64(m, "memory.max_usage_in_bytes", &st->memory.usage.max);
		read_u64(m, "memory.limit_in_bytes", &st->memory.usage.limit);
		read_u64(m, "memory.failcnt", &st->memory.usage.failcnt);
		read_u64(m, "memory.memsw.usage_in_bytes", &st->memory.swap.usage);
		read_u64(m, "memory.memsw.max_usage_in_bytes", &st->memory.swap.max);
		read_u64(m, "memory.memsw.limit_in_bytes", &st->memory.swap.limit);
		read_u64(m, "memory.memsw.failcnt", &st->memory.swap.failcnt);
		read_u64(m, "memory.kmem.usage_in_bytes", &st->memory.kernel.usage);
		read_u64(m, "memory.kmem.max_usage_in_bytes", &st->memory.kernel.max);
		read_u64(m, "memory.kmem.limit_in_bytes", &st->memory.kernel.limit);
		read_u64(m, "memory.kmem.failcnt", &st->memory.kernel.failcnt);
		raw_stats(m, "memory.stat", st);
		for (size_t i = 0; i < st->memory.n_raw; i++)
			if (strcmp(st->memory.raw[i].key, "total_cache") == 0)
				st->memory.cache = st->memory.raw[i].value;
		oom_kills_v1(m, &st->memory.oom_kills);
	}
	if ((fd = leaf_of(cg, "pids")) >= 0) {
		_cleanup_close_ int p = fd;
		st->has_pids = read_u64(p, "pids.current", &st->pids.current);
		read_u64(p, "pids.max", &st->pids.limit);
	}
	if ((fd = leaf_of(cg, "blkio")) >= 0) {
		_cleanup_close_ int b = fd;
		st->has_blkio = true;
		blkio_list(b, "blkio.throttle.io_service_bytes_recursive", true, st, true);
		blkio_list(b, "blkio.throttle.io_serviced_recursive", true, st, false);
	}
	if ((fd = leaf_of(cg, "hugetlb")) >= 0 || (fd = leaf_of(cg, NULL)) >= 0) {
		_cleanup_close_ int h = fd;
		volt_cg_hugetlb_stats(h, volt_cg_find_hier(cg, "hugetlb") >= 0, st);
	}
	(void)err;
	return 0;
}

int volt_cg_v2_stats(struct volt_cgroup *cg, struct volt_cgroup_stats *st, struct volt_error *err)
{
	memset(st, 0, sizeof *st);
	int r = volt_cg_open_leaf(cg, 0);
	if (r < 0)
		return volt_err(err, -r, "cgroup %s: open %s%s", cg->path, cg->hier[0].mountpoint, cg->path);
	_cleanup_close_ int fd = r;
	char buf[4096];
	if (volt_cg_read_at(fd, "cpu.stat", buf, sizeof buf) > 0) {
		uint64_t v;
		st->has_cpu = true;
		if (volt_cg_kv_get(buf, "usage_usec", &v))
			st->cpu.total = v * 1000;
		if (volt_cg_kv_get(buf, "user_usec", &v))
			st->cpu.user = v * 1000;
		if (volt_cg_kv_get(buf, "system_usec", &v))
			st->cpu.kernel = v * 1000;
		volt_cg_kv_get(buf, "nr_periods", &st->cpu.periods);
		volt_cg_kv_get(buf, "nr_throttled", &st->cpu.throttled_periods);
		if (volt_cg_kv_get(buf, "throttled_usec", &v))
			st->cpu.throttled_time = v * 1000;
	}
	st->has_memory = read_u64(fd, "memory.current", &st->memory.usage.usage);
	if (st->has_memory) {
		read_u64(fd, "memory.peak", &st->memory.usage.max);
		read_u64(fd, "memory.max", &st->memory.usage.limit);
		read_u64(fd, "memory.swap.current", &st->memory.swap.usage);
		read_u64(fd, "memory.swap.peak", &st->memory.swap.max);
		read_u64(fd, "memory.swap.max", &st->memory.swap.limit);
		if (volt_cg_read_at(fd, "memory.events", buf, sizeof buf) > 0) {
			volt_cg_kv_get(buf, "max", &st->memory.usage.failcnt);
			volt_cg_kv_get(buf, "oom_kill", &st->memory.oom_kills);
		}
		raw_stats(fd, "memory.stat", st);
		for (size_t i = 0; i < st->memory.n_raw; i++)
			if (strcmp(st->memory.raw[i].key, "file") == 0)
				st->memory.cache = st->memory.raw[i].value;
	}
	st->has_pids = read_u64(fd, "pids.current", &st->pids.current);
	read_u64(fd, "pids.max", &st->pids.limit);
	if (faccessat(fd, "io.stat", F_OK, 0) == 0) {
		st->has_blkio = true;
		blkio_list(fd, "io.stat", false, st, true);
		blkio_list(fd, "io.stat", false, st, false);
	}
	volt_cg_hugetlb_stats(fd, false, st);
	return 0;
}
