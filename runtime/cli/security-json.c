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
