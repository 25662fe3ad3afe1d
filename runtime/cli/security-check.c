/* `volt-run security check`: what this host offers to the security layers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/inspect.h"
#include "security-json.h"

int cli_security_check(struct volt_ctx *ctx, int argc, char **argv)
{
	bool json;
	int r = cli_security_parse_format(ctx, "check", argc, argv, 0, &json);
	if (r)
		return r < 0 ? 1 : 0;
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
