/* `pause ID`: freeze every process of a running container. */
#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/cgroup.h"

static int pause_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help(&cmd_pause);
		return cli_usage_error(ctx, &cmd_pause, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_pause, argc, argv, 1, 1))
		return 1;
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, argv[optind], &c, &err) < 0)
		return cli_fail(ctx, &err);
	enum volt_status s = volt_container_status(&c);
	if (s != VOLT_STATUS_RUNNING) {
		volt_err(&err, -EINVAL, "container \"%s\" is not running (it is %s)", argv[optind],
			 volt_status_name(s));
		return cli_fail(ctx, &err);
	}
	struct volt_cgroup cg;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c.state.cgroup_path, &err) < 0 ||
	    volt_cgroup_freeze(&cg, true, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_pause = {
    .name = "pause",
    .run = pause_main,
    .summary = "suspend every process of a running container (cgroup freezer)",
    .usage = "pause ID",
};
