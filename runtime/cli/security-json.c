#include "cli.h"
#include "security-json.h"

#include <stdio.h>
#include <string.h>

bool sj_init(struct sj *j)
{
	j->g = yajl_gen_alloc(NULL);
	j->st = 0;
	return j->g != NULL;
}

int sj_finish(struct sj *j)
{
	const unsigned char *buf;
	size_t len;
	int r = 1;
	if (j->st == 0 && yajl_gen_get_buf(j->g, &buf, &len) == yajl_gen_status_ok) {
		fwrite(buf, 1, len, stdout);
		putchar('\n');
		r = 0;
	}
	yajl_gen_free(j->g);
	j->g = NULL;
	return r;
}

static void raw_str(struct sj *j, const char *s)
{
	j->st |= yajl_gen_string(j->g, (const unsigned char *)s, strlen(s));
}

void sj_key(struct sj *j, const char *k)
{
	if (k)
		raw_str(j, k);
}

void sj_str(struct sj *j, const char *k, const char *v)
{
	sj_key(j, k);
	if (v)
		raw_str(j, v);
	else
		j->st |= yajl_gen_null(j->g);
}

void sj_int(struct sj *j, const char *k, long long v)
{
	sj_key(j, k);
	j->st |= yajl_gen_integer(j->g, v);
}

void sj_bool(struct sj *j, const char *k, bool v)
{
	sj_key(j, k);
	j->st |= yajl_gen_bool(j->g, v);
}

void sj_map(struct sj *j, const char *k)
{
	sj_key(j, k);
	j->st |= yajl_gen_map_open(j->g);
}

void sj_map_end(struct sj *j)
{
	j->st |= yajl_gen_map_close(j->g);
}

void sj_arr(struct sj *j, const char *k)
{
	sj_key(j, k);
	j->st |= yajl_gen_array_open(j->g);
}

void sj_arr_end(struct sj *j)
{
	j->st |= yajl_gen_array_close(j->g);
}

void sj_csv(struct sj *j, const char *k, const char *csv)
{
	sj_arr(j, k);
	for (const char *p = csv; *p;) {
		const char *end = strchrnul(p, ',');
		j->st |= yajl_gen_string(j->g, (const unsigned char *)p, (size_t)(end - p));
		p = *end ? end + 1 : end;
	}
	sj_arr_end(j);
}

int cli_security_parse_format(struct volt_ctx *ctx, const char *sub, int argc, char **argv, int nargs,
			      bool *json)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	*json = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				*json = true;
			else if (strcmp(optarg, "text") != 0 && strcmp(optarg, "table") != 0)
				return cli_usage_error(ctx, &cmd_security,
						       "security %s --format: text or json, not \"%s\"", sub,
						       optarg),
				       -1;
			break;
		case 'h':
			return cli_help(&cmd_security), 1;
		default:
			return cli_usage_error(ctx, &cmd_security, "security %s: invalid option", sub), -1;
		}
	}
	if (argc - optind != nargs)
		return cli_usage_error(ctx, &cmd_security, "security %s: expected %s", sub,
				       nargs ? "one container ID" : "no arguments"),
		       -1;
	return 0;
}
