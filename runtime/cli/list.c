#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/cleanup.h"

static int list_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool quiet = false, json = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "f:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage_error(ctx, &cmd_list, "--format: table or json, not \"%s\"",
						       optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			return cli_help(&cmd_list);
		default:
			return cli_usage_error(ctx, &cmd_list, "invalid option");
		}
	}
	if (!cli_want_args(ctx, &cmd_list, argc, argv, 0, 0))
		return 1;
	_cleanup_closedir_ DIR *d = opendir(ctx->root);
	if (!quiet && !json)
		printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
		       "OWNER");
	if (json)
		fputs("[", stdout);
	bool first = true;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		struct volt_error err;
		_cleanup_container_ struct volt_container c;
		if (volt_container_open(ctx, e->d_name, &c, &err) < 0)
			continue;
		enum volt_status s = volt_container_status(&c);
		if (quiet) {
			puts(c.state.id);
		} else if (json) {
			_cleanup_free_ char *j = NULL;
			if (volt_state_to_json(&c.state, s, false, &j, &err) == 0) {
				printf("%s%s", first ? "" : ",", j);
				first = false;
			}
		} else {
			printf("%-20s %-8d %-10s %-40s %-32s %s\n", c.state.id,
			       s == VOLT_STATUS_STOPPED ? 0 : c.state.pid, volt_status_name(s),
			       c.state.bundle, c.state.created, c.state.owner);
		}
	}
	if (json)
		puts("]");
	return 0;
}

const struct volt_command cmd_list = {
    .name = "list",
    .run = list_main,
    .summary = "list the containers under the state root",
    .usage = "list [--format table|json] [-q]\n\n"
	     "Options:\n"
	     "  -f, --format FMT   table (default) or json (an array of OCI states)\n"
	     "  -q, --quiet        print only the ids",
};
