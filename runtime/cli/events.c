/* `events [--stats] [--interval D] ID`: runc's event stream on stdout, one
 * JSON object per line: {"type":"stats",...} every interval and
 * {"type":"oom",...} when the kernel OOM killer fires in the container's
 * cgroup; ends when the container stops. --stats prints one and exits. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/cgroup.h"

/* How often the OOM counter is looked at between two stats events. */
#define OOM_POLL_MS 100

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Go-style durations as runc takes them: "5s", "250ms", "1m", "1h30m";
 * a bare number is seconds. */
static int parse_duration(const char *s, long long *ms)
{
	long long total = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || v < 0)
			return -1;
		p = end;
		double mult = 1000;
		if (strncmp(p, "ms", 2) == 0)
			mult = 1, p += 2;
		else if (*p == 's')
			mult = 1000, p++;
		else if (*p == 'm')
			mult = 60000, p++;
		else if (*p == 'h')
			mult = 3600000, p++;
		else if (*p)
			return -1;
		total += (long long)(v * mult);
	}
	*ms = total;
	return total > 0 ? 0 : -1;
}

static void mem_entry(const char *name, const struct volt_mem_entry *e, bool comma)
{
	printf("\"%s\":{\"limit\":%" PRIu64 ",\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64
	       "}%s",
	       name, e->limit, e->usage, e->max, e->failcnt, comma ? "," : "");
}

static void blkio_entries(const char *name, __typeof__(((struct volt_cgroup_stats *)0)->blkio.bytes[0]) *v,
			  size_t n)
{
	printf("\"%s\":[", name);
	for (size_t i = 0; i < n; i++)
		printf("%s{\"major\":%" PRIu32 ",\"minor\":%" PRIu32 ",\"op\":\"%s\",\"value\":%" PRIu64 "}",
		       i ? "," : "", v[i].major, v[i].minor, v[i].op, v[i].value);
	printf("]");
}

static void print_stats(const char *id, const struct volt_cgroup_stats *st)
{
	printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":{", id);
	printf("\"cpu\":{\"usage\":{\"percpu\":[");
	for (size_t i = 0; i < st->cpu.n_percpu; i++)
		printf("%s%" PRIu64, i ? "," : "", st->cpu.percpu[i]);
	printf("],\"total\":%" PRIu64 ",\"kernel\":%" PRIu64 ",\"user\":%" PRIu64 "},", st->cpu.total,
	       st->cpu.kernel, st->cpu.user);
	printf("\"throttling\":{\"periods\":%" PRIu64 ",\"throttled_periods\":%" PRIu64
	       ",\"throttled_time\":%" PRIu64 "}},",
	       st->cpu.periods, st->cpu.throttled_periods, st->cpu.throttled_time);
	printf("\"memory\":{\"cache\":%" PRIu64 ",", st->memory.cache);
	mem_entry("usage", &st->memory.usage, true);
	mem_entry("swap", &st->memory.swap, true);
	mem_entry("kernel", &st->memory.kernel, true);
	printf("\"raw\":{");
	for (size_t i = 0; i < st->memory.n_raw; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", st->memory.raw[i].key, st->memory.raw[i].value);
	printf("}},");
	printf("\"pids\":{\"current\":%" PRIu64 ",\"limit\":%" PRIu64 "},", st->pids.current, st->pids.limit);
	printf("\"blkio\":{");
	blkio_entries("ioServiceBytesRecursive", (void *)st->blkio.bytes, st->blkio.n_bytes);
	printf(",");
	blkio_entries("ioServicedRecursive", (void *)st->blkio.ios, st->blkio.n_ios);
	printf("},\"hugetlb\":{");
	for (size_t i = 0; i < st->n_hugetlb; i++)
		printf("%s\"%s\":{\"usage\":%" PRIu64 ",\"max\":%" PRIu64 ",\"failcnt\":%" PRIu64 "}",
		       i ? "," : "", st->hugetlb[i].size, st->hugetlb[i].usage, st->hugetlb[i].max,
		       st->hugetlb[i].failcnt);
	printf("}}}\n");
	fflush(stdout);
}

static int emit_stats(struct volt_cgroup *cg, const char *id, struct volt_error *err)
{
	_cleanup_free_ struct volt_cgroup_stats *st = malloc(sizeof *st);
	if (!st)
		return volt_err(err, ENOMEM, "events");
	if (cg->ops->stats(cg, st, err) < 0)
		return -1;
	print_stats(id, st);
	return 0;
}

static int events_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
					     {"interval", required_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool once = false;
	long long interval = 5000;
	int ch;
	while ((ch = getopt_long(argc, argv, "si:h", opts, NULL)) != -1) {
		if (ch == 's')
			once = true;
		else if (ch == 'i') {
			if (parse_duration(optarg, &interval) < 0)
				return cli_usage_error(ctx, &cmd_events,
						       "--interval: invalid duration \"%s\"", optarg);
		} else if (ch == 'h')
			return cli_help(&cmd_events);
		else
			return cli_usage_error(ctx, &cmd_events, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_events, argc, argv, 1, 1))
		return 1;
	const char *id = argv[optind];
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, &err) < 0)
		return cli_fail(ctx, &err);
	if (volt_container_status(&c) == VOLT_STATUS_STOPPED) {
		volt_err(&err, -ESRCH, "container \"%s\" is not running", id);
		return cli_fail(ctx, &err);
	}
	struct volt_cgroup cg;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, &err) < 0)
		return cli_fail(ctx, &err);
	if (once)
		return emit_stats(&cg, id, &err) < 0 ? cli_fail(ctx, &err) : 0;

	/* The pidfd becomes readable when the init exits: the stream ends. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, c.state.pid, 0);
	if (pidfd < 0 || volt_container_status(&c) == VOLT_STATUS_STOPPED)
		return 0;
	uint64_t ooms = 0, now_ooms = 0;
	struct volt_error ignored;
	bool oom_ok = volt_cgroup_oom_kills(&cg, &ooms, &ignored) == 0;
	long long next = now_ms();
	for (;;) {
		long long t = now_ms();
		if (t >= next) {
			if (emit_stats(&cg, id, &err) < 0)
				return volt_container_status(&c) == VOLT_STATUS_STOPPED ? 0
											: cli_fail(ctx, &err);
			next = t + interval;
		}
		long long wait = next - t;
		if (oom_ok && wait > OOM_POLL_MS)
			wait = OOM_POLL_MS;
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int pr = poll(&p, 1, (int)(wait > 0 ? wait : 0));
		if (oom_ok && volt_cgroup_oom_kills(&cg, &now_ooms, &ignored) == 0 && now_ooms > ooms) {
			ooms = now_ooms;
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
			fflush(stdout);
		}
		if (pr > 0 || volt_container_status(&c) == VOLT_STATUS_STOPPED)
			return 0;
	}
}

const struct volt_command cmd_events = {
    .name = "events",
    .run = events_main,
    .summary = "stream a container's resource usage and OOM events as JSON",
    .usage = "events [--stats] [--interval DURATION] ID\n\n"
	     "Options:\n"
	     "  --stats           print the usage once and exit\n"
	     "  --interval D      time between stats events (default 5s; 500ms, 1m, ...)",
};
