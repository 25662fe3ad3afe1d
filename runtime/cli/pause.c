/* `pause ID` */
#include "cli.h"

static int pause_main(struct volt_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int r = cli_parse_id(ctx, &cmd_pause, argc, argv, &id);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	if (volt_container_pause(ctx, id, true, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_pause = {
    .name = "pause",
    .run = pause_main,
    .summary = "suspend every process of a running container (cgroup freezer)",
    .usage = "pause ID",
};
