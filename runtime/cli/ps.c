#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/cgroup.h"

static void print_cmdline(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (n <= 0) {
		puts("");
		return;
	}
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	puts(buf);
}

static int ps_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (ch == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			json = strcmp(optarg, "json") == 0;
		else if (ch == 'h')
			return cli_help(&cmd_ps);
		else
			return cli_usage_error(ctx, &cmd_ps, "invalid option");
	}
	if (argc - optind < 1)
		return cli_usage_error(ctx, &cmd_ps, "missing argument");
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, argv[optind], &c, &err) < 0)
		return cli_fail(ctx, &err);
	struct volt_cgroup cg;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, &err) < 0 ||
	    cg.ops->procs(&cg, &pids, &n, &err) < 0)
		return cli_fail(ctx, &err);
	if (json) {
		fputs("[", stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		puts("]");
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		printf("%-8d ", pids[i]);
		print_cmdline(pids[i]);
	}
	return 0;
}

const struct volt_command cmd_ps = {
    .name = "ps",
    .run = ps_main,
    .summary = "list the processes of a container",
    .usage = "ps [--format table|json] ID\n\n"
	     "Options:\n"
	     "  -f, --format FMT   table (pid and command line) or json (an array of host pids)",
};
