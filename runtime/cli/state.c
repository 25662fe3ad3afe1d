#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "oci/cleanup.h"

static int state_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help(&cmd_state);
		return cli_usage_error(ctx, &cmd_state, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_state, argc, argv, 1, 1))
		return 1;
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, argv[optind], &c, &err) < 0)
		return cli_fail(ctx, &err);
	_cleanup_free_ char *json = NULL;
	if (volt_state_to_json(&c.state, volt_container_status(&c), true, &json, &err) < 0)
		return cli_fail(ctx, &err);
	puts(json);
	return 0;
}

const struct volt_command cmd_state = {
	.name = "state",
	.run = state_main,
	.summary = "print the state of a container as OCI state JSON",
	.usage = "state ID",
};
