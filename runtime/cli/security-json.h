/* A few helpers over yajl_gen for the security subcommands' --format json:
 * each call ORs its status in, checked once by sj_finish. */
#ifndef VOLT_CLI_SECURITY_JSON_H
#define VOLT_CLI_SECURITY_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

struct sj {
	yajl_gen g;
	int st;
};

/* false on ENOMEM */
bool sj_init(struct sj *j);
/* Print the document and a newline on stdout, free the generator. Returns
 * 0, or 1 when generating failed. */
int sj_finish(struct sj *j);

void sj_key(struct sj *j, const char *k);
void sj_str(struct sj *j, const char *k, const char *v); /* null when v is NULL */
void sj_int(struct sj *j, const char *k, long long v);
void sj_bool(struct sj *j, const char *k, bool v);
void sj_map(struct sj *j, const char *k); /* k NULL: inside an array */
void sj_map_end(struct sj *j);
void sj_arr(struct sj *j, const char *k);
void sj_arr_end(struct sj *j);
/* "A,B,C" as an array of strings under k. */
void sj_csv(struct sj *j, const char *k, const char *csv);

/* The option parsing shared by `security audit|check|log`: [--format
 * text|table|json] then exactly nargs arguments. 0: parsed (optind at the
 * arguments), 1: --help printed, -1: usage error reported. */
struct volt_ctx;
int cli_security_parse_format(struct volt_ctx *ctx, const char *sub, int argc, char **argv, int nargs,
			      bool *json);

#endif
