#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "oci/spec.h"

static int spec_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"rootless", no_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *bundle = ".";
	bool rootless = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		if (ch == 'b')
			bundle = optarg;
		else if (ch == 'r')
			rootless = true;
		else if (ch == 'h')
			return cli_help(&cmd_spec);
		else
			return cli_usage_error(ctx, &cmd_spec, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_spec, argc, argv, 0, 0))
		return 1;
	struct volt_error err = {0};
	_cleanup_free_ char *json = NULL;
	if (oci_spec_generate(rootless, &json, &err) < 0)
		return cli_fail(ctx, &err);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/config.json", bundle);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		volt_err(&err, errno, "%s", path);
		return cli_fail(ctx, &err);
	}
	size_t len = strlen(json);
	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		volt_err(&err, errno, "%s", path);
		return cli_fail(ctx, &err);
	}
	return 0;
}

const struct volt_command cmd_spec = {
    .name = "spec",
    .run = spec_main,
    .summary = "write a default config.json into a bundle",
    .usage =
	"spec [--bundle DIR] [--rootless]\n\n"
	"Options:\n"
	"  -b, --bundle DIR   where to write config.json (default: current directory); never overwrites\n"
	"  --rootless         a config for an unprivileged user: user namespace with its id mappings",
};
