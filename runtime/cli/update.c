/* `update [options] ID`: change the cgroup limits of a live container, from
 * a LinuxResources JSON (--resources FILE, "-" for stdin as containerd
 * sends it) and/or runc's flags, which win over the JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/backend.h"
#include "oci/cleanup.h"
#include "runtime/cgroup.h"

static int read_all(const char *path, char **out, size_t *len, struct volt_error *err)
{
	_cleanup_close_ int fd =
	    strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "--resources %s", path);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (16u << 20))
				return volt_err(err, -EFBIG, "--resources %s: larger than 16 MiB", path);
			char *nb = realloc(buf, cap);
			if (!nb)
				return volt_err(err, ENOMEM, "--resources %s", path);
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return volt_err(err, errno, "--resources %s", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = volt_steal_ptr(&buf);
	*len = n;
	return 0;
}

enum {
	OPT_RESOURCES = 'r',
	OPT_MEMORY = 'm',
	OPT_SWAP = 256,
	OPT_RESERVATION,
	OPT_QUOTA,
	OPT_PERIOD,
	OPT_SHARES,
	OPT_CPUS,
	OPT_MEMS,
	OPT_PIDS,
	OPT_BLKIO,
};

static int number(const struct volt_ctx *ctx, const char *flag, const char *s, bool bytes, int64_t *out)
{
	if (bytes) {
		if (volt_parse_bytes(s, out) == 0)
			return 0;
	} else {
		char *end;
		errno = 0;
		*out = strtoll(s, &end, 10);
		if (!errno && end != s && !*end)
			return 0;
	}
	cli_usage_error(ctx, &cmd_update, "--%s: invalid value \"%s\"", flag, s);
	return -1;
}

/* A flag given on the command line overrides the JSON's field. */
static int set_i64(const struct volt_ctx *ctx, const char *flag, const char *s, bool bytes,
		   struct oci_opt_i64 *out, bool *section)
{
	int64_t v;
	if (!s)
		return 0;
	if (number(ctx, flag, s, bytes, &v) < 0)
		return -1;
	*out = (struct oci_opt_i64){true, v};
	*section = true;
	return 0;
}

static int set_u64(const struct volt_ctx *ctx, const char *flag, const char *s, struct oci_opt_u64 *out,
		   bool *section)
{
	int64_t v;
	if (!s)
		return 0;
	if (number(ctx, flag, s, false, &v) < 0)
		return -1;
	if (v < 0) {
		cli_usage_error(ctx, &cmd_update, "--%s: negative value \"%s\"", flag, s);
		return -1;
	}
	*out = (struct oci_opt_u64){true, (uint64_t)v};
	*section = true;
	return 0;
}

static int update_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"resources", required_argument, NULL, OPT_RESOURCES},
					     {"memory", required_argument, NULL, OPT_MEMORY},
					     {"memory-swap", required_argument, NULL, OPT_SWAP},
					     {"memory-reservation", required_argument, NULL, OPT_RESERVATION},
					     {"cpu-quota", required_argument, NULL, OPT_QUOTA},
					     {"cpu-period", required_argument, NULL, OPT_PERIOD},
					     {"cpu-share", required_argument, NULL, OPT_SHARES},
					     {"cpu-shares", required_argument, NULL, OPT_SHARES},
					     {"cpuset-cpus", required_argument, NULL, OPT_CPUS},
					     {"cpuset-mems", required_argument, NULL, OPT_MEMS},
					     {"pids-limit", required_argument, NULL, OPT_PIDS},
					     {"blkio-weight", required_argument, NULL, OPT_BLKIO},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *resources = NULL;
	struct {
		const char *memory, *swap, *reservation, *quota, *period, *shares, *cpus, *mems, *pids,
		    *blkio;
	} f = {0};
	int ch;
	while ((ch = getopt_long(argc, argv, "r:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_RESOURCES:
			resources = optarg;
			break;
		case OPT_MEMORY:
			f.memory = optarg;
			break;
		case OPT_SWAP:
			f.swap = optarg;
			break;
		case OPT_RESERVATION:
			f.reservation = optarg;
			break;
		case OPT_QUOTA:
			f.quota = optarg;
			break;
		case OPT_PERIOD:
			f.period = optarg;
			break;
		case OPT_SHARES:
			f.shares = optarg;
			break;
		case OPT_CPUS:
			f.cpus = optarg;
			break;
		case OPT_MEMS:
			f.mems = optarg;
			break;
		case OPT_PIDS:
			f.pids = optarg;
			break;
		case OPT_BLKIO:
			f.blkio = optarg;
			break;
		case 'h':
			return cli_help(&cmd_update);
		default:
			return cli_usage_error(ctx, &cmd_update, "invalid option");
		}
	}
	if (!cli_want_args(ctx, &cmd_update, argc, argv, 1, 1))
		return 1;

	struct volt_error err = {0};
	struct volt_arena arena = {0};
	struct oci_resources r;
	memset(&r, 0, sizeof r);
	int ret = 1;
	if (resources) {
		_cleanup_free_ char *json = NULL;
		size_t len = 0;
		if (read_all(resources, &json, &len, &err) < 0 ||
		    oci_resources_parse(&arena, json, len, &r, &err) < 0) {
			cli_fail(ctx, &err);
			goto out;
		}
	}
	r.present = true;
	if (set_i64(ctx, "memory", f.memory, true, &r.memory.limit, &r.has_memory) < 0 ||
	    set_i64(ctx, "memory-swap", f.swap, true, &r.memory.swap, &r.has_memory) < 0 ||
	    set_i64(ctx, "memory-reservation", f.reservation, true, &r.memory.reservation, &r.has_memory) <
		0 ||
	    set_i64(ctx, "cpu-quota", f.quota, false, &r.cpu.quota, &r.has_cpu) < 0 ||
	    set_u64(ctx, "cpu-period", f.period, &r.cpu.period, &r.has_cpu) < 0 ||
	    set_u64(ctx, "cpu-share", f.shares, &r.cpu.shares, &r.has_cpu) < 0 ||
	    set_i64(ctx, "pids-limit", f.pids, false, &r.pids_limit, &r.has_pids) < 0 ||
	    set_u64(ctx, "blkio-weight", f.blkio, &r.blkio.weight, &r.has_blkio) < 0)
		goto out;
	if (f.cpus || f.mems)
		r.has_cpu = true;
	if (f.cpus)
		r.cpu.cpus = (char *)f.cpus;
	if (f.mems)
		r.cpu.mems = (char *)f.mems;

	{
		_cleanup_container_ struct volt_container c;
		if (volt_container_open(ctx, argv[optind], &c, &err) < 0) {
			cli_fail(ctx, &err);
			goto out;
		}
		enum volt_status s = volt_container_status(&c);
		if (s == VOLT_STATUS_STOPPED) {
			volt_err(&err, -EINVAL, "container \"%s\" is stopped: nothing to update",
				 argv[optind]);
			cli_fail(ctx, &err);
			goto out;
		}
		/* A microVM's host cgroup holds the whole VM: its backend says
		 * what of the update it may take (never a memory limit below the
		 * VM's RAM, no device rules). */
		const struct volt_backend_ops *be =
		    volt_backend_find(c.state.backend ? c.state.backend : "native");
		if (be && be->host_resources) {
			char cfgpath[64];
			snprintf(cfgpath, sizeof cfgpath, "/proc/self/fd/%d/" VOLT_CONFIG_COPY, c.dirfd);
			_cleanup_config_ struct oci_config *cfg = NULL;
			if (oci_config_load(cfgpath, &cfg, &err) < 0) {
				cli_fail(ctx, &err);
				goto out;
			}
			be->host_resources(cfg, &r);
		}
		struct volt_cgroup cg;
		if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, &err) < 0 ||
		    cg.ops->apply(&cg, &r, "resources", &err) < 0) {
			cli_fail(ctx, &err);
			goto out;
		}
	}
	ret = 0;
out:
	volt_arena_free(&arena);
	return ret;
}

const struct volt_command cmd_update = {
    .name = "update",
    .run = update_main,
    .summary = "change the resource limits of a running container",
    .usage = "update [options] ID\n\n"
	     "Options (sizes take k, m, g suffixes; -1 is unlimited):\n"
	     "  -r, --resources FILE       LinuxResources JSON; \"-\" reads stdin\n"
	     "  -m, --memory N             memory limit\n"
	     "      --memory-swap N        memory+swap limit\n"
	     "      --memory-reservation N memory soft limit\n"
	     "      --cpu-quota N          CPU CFS quota (us per period; -1 none)\n"
	     "      --cpu-period N         CPU CFS period (us)\n"
	     "      --cpu-share N          CPU shares (relative weight)\n"
	     "      --cpuset-cpus LIST     CPUs the container may use (0-3, 0,1)\n"
	     "      --cpuset-mems LIST     memory nodes the container may use\n"
	     "      --pids-limit N         maximum number of tasks (-1, 0: no limit)\n"
	     "      --blkio-weight N       block I/O weight (10-1000)",
};
