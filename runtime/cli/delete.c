#include <errno.h>

#include "cli.h"

static int delete_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool force = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (ch == 'f')
			force = true;
		else if (ch == 'h')
			return cli_help(&cmd_delete);
		else
			return cli_usage_error(ctx, &cmd_delete, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_delete, argc, argv, 1, 1))
		return 1;
	struct volt_error err = {0};
	if (volt_container_delete(ctx, argv[optind], force, &err) < 0) {
		if (force && err.errnum == ENOENT)
			return 0;
		return cli_fail(ctx, &err);
	}
	return 0;
}

const struct volt_command cmd_delete = {
    .name = "delete",
    .run = delete_main,
    .summary = "delete a stopped (or created) container and its cgroup",
    .usage = "delete [--force] ID\n\n"
	     "Options:\n"
	     "  -f, --force  kill a running container first; a missing container is not an error",
};
