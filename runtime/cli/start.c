#include "cli.h"

static int start_main(struct volt_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int r = cli_parse_id(ctx, &cmd_start, argc, argv, &id);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	if (volt_container_start(ctx, id, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_start = {
    .name = "start",
    .run = start_main,
    .summary = "start the process of a created container",
    .usage = "start ID",
};
