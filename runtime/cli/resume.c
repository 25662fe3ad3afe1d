/* `resume ID` */
#include "cli.h"

static int resume_main(struct volt_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int r = cli_parse_id(ctx, &cmd_resume, argc, argv, &id);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	if (volt_container_pause(ctx, id, false, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_resume = {
    .name = "resume",
    .run = resume_main,
    .summary = "resume every process of a paused container",
    .usage = "resume ID",
};
