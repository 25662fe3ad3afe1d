/* `volt-run security check`: what this host offers to the security layers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/inspect.h"
#include "security-json.h"

int cli_security_check(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") != 0)
				return cli_usage_error(ctx, &cmd_security,
						       "--format: text or json, not \"%s\"", optarg);
			break;
		case 'h':
			return cli_help(&cmd_security);
		default:
			return cli_usage_error(ctx, &cmd_security, "security check: invalid option");
		}
	}
	if (!cli_want_args(ctx, &cmd_security, argc, argv, 0, 0))
		return 1;
	struct volt_host_item items[VOLT_HOST_ITEMS];
	size_t n;
	volt_host_check(ctx->cgroup_root, items, &n);
	if (!json) {
		for (size_t i = 0; i < n; i++)
			printf("%-10s %-8s %s\n", items[i].name, items[i].ok ? "ok" : "missing",
			       items[i].detail);
		return 0;
	}
	struct sj j;
	if (!sj_init(&j))
		return 1;
	sj_map(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		sj_map(&j, items[i].name);
		sj_bool(&j, "ok", items[i].ok);
		sj_str(&j, "detail", items[i].detail);
		if (items[i].value >= 0)
			sj_int(&j, "value", items[i].value);
		sj_map_end(&j);
	}
	sj_map_end(&j);
	return sj_finish(&j);
}
