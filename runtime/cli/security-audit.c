/* `volt-run security audit ID`: the weak spots of a running workload and a
 * score. A report, so it exits 0 whatever it finds. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/inspect.h"
#include "security-json.h"

static int print_json(const char *id, int score, const struct volt_findings *f)
{
	struct sj j;
	if (!sj_init(&j))
		return 1;
	sj_map(&j, NULL);
	sj_str(&j, "id", id);
	sj_int(&j, "score", score);
	sj_arr(&j, "findings");
	for (size_t i = 0; i < f->n; i++) {
		sj_map(&j, NULL);
		sj_str(&j, "severity", volt_severity_name(f->v[i].severity));
		sj_str(&j, "check", f->v[i].check);
		sj_str(&j, "message", f->v[i].message);
		sj_map_end(&j);
	}
	sj_arr_end(&j);
	sj_map_end(&j);
	return sj_finish(&j);
}

int cli_security_audit(struct volt_ctx *ctx, int argc, char **argv)
{
	bool json;
	int r = cli_security_parse_format(ctx, "audit", argc, argv, 1, &json);
	if (r)
		return r < 0 ? 1 : 0;
	const char *id = argv[optind];
	struct volt_inspect in;
	struct volt_error err = {0};
	if (volt_inspect_gather(ctx, id, &in, &err) < 0)
		return cli_fail(ctx, &err);
	struct volt_findings f;
	volt_audit(&in, &f);
	volt_inspect_release(&in);
	int score = volt_audit_score(&f);
	if (json)
		return print_json(id, score, &f);
	printf("container %s: score %d/100\n", id, score);
	for (size_t i = 0; i < f.n; i++)
		printf("%-6s  %-18s %s\n", volt_severity_name(f.v[i].severity), f.v[i].check, f.v[i].message);
	if (!f.n)
		printf("no findings\n");
	return 0;
}
