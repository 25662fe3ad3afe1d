#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "oci/cleanup.h"

static int state_main(struct volt_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int r = cli_parse_id(ctx, &cmd_state, argc, argv, &id);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, id, &c, &err) < 0)
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
