#include "cli.h"

static int start_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help(&cmd_start);
		return cli_usage_error(ctx, &cmd_start, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_start, argc, argv, 1, 1))
		return 1;
	struct volt_error err = {0};
	if (volt_container_start(ctx, argv[optind], &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_start = {
	.name = "start",
	.run = start_main,
	.summary = "start the process of a created container",
	.usage = "start ID",
};
