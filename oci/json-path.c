#include "json-path.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* yajl's message spans lines (context + caret); one line reads better in logs. */
static void squash_whitespace(char *s)
{
	char *w = s;
	bool space = false;
	for (char *r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

yajl_val jp_parse(const char *text, const char *what, struct volt_error *err)
{
	char ebuf[512];
	ebuf[0] = '\0';
	yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
	if (!root) {
		squash_whitespace(ebuf);
		volt_err(err, 0, "%s: invalid JSON: %s", what, ebuf[0] ? ebuf : "cannot parse");
	}
	return root;
}

static bool plain_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

static size_t format_path(const struct jp *p, char *buf, size_t size)
{
	if (!p)
		return 0;
	size_t n = format_path(p->up, buf, size);
	size_t left = n < size ? size - n : 0;
	int w;
	if (!p->key)
		w = snprintf(buf + n, left, "[%zu]", p->idx);
	else if (!plain_key(p->key))
		w = snprintf(buf + n, left, "[\"%s\"]", p->key);
	else
		w = snprintf(buf + n, left, "%s%s", n ? "." : "", p->key);
	return w > 0 ? n + (size_t)w : n;
}

int jp_fail(const struct jp_ctx *c, const struct jp *p, const char *fmt, ...)
{
	char path[384], msg[512];
	path[0] = '\0';
	format_path(p, path, sizeof path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return volt_err(c->err, 0, "%s: %s", path[0] ? path : "(top level)", msg);
}

int jp_nomem(const struct jp_ctx *c, const struct jp *p)
{
	jp_fail(c, p, "out of memory");
	c->err->errnum = ENOMEM;
	return -1;
}

yajl_val jp_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = obj->u.object.len; i > 0; i--) {
		if (strcmp(obj->u.object.keys[i - 1], key) == 0) {
			yajl_val v = obj->u.object.values[i - 1];
			return YAJL_IS_NULL(v) ? NULL : v;
		}
	}
	return NULL;
}

int jp_object(const struct jp_ctx *c, const struct jp *p, yajl_val v)
{
	return YAJL_IS_OBJECT(v) ? 0 : jp_fail(c, p, "expected object");
}

int jp_str(const struct jp_ctx *c, const struct jp *p, yajl_val v, char **out)
{
	if (!YAJL_IS_STRING(v))
		return jp_fail(c, p, "expected string");
	*out = volt_arena_strdup(c->a, v->u.string);
	return *out ? 0 : jp_nomem(c, p);
}

int jp_bool(const struct jp_ctx *c, const struct jp *p, yajl_val v, bool *out)
{
	if (YAJL_IS_TRUE(v))
		*out = true;
	else if (YAJL_IS_FALSE(v))
		*out = false;
	else
		return jp_fail(c, p, "expected boolean");
	return 0;
}

static const char *num_text(yajl_val v)
{
	return v->u.number.r ? v->u.number.r : "?";
}

/* A number yajl could not hold in long long: integral syntax means out of range. */
static bool integral_text(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int jp_i64(const struct jp_ctx *c, const struct jp *p, yajl_val v, int64_t *out)
{
	if (!YAJL_IS_NUMBER(v))
		return jp_fail(c, p, "expected integer");
	if (v->u.number.flags & YAJL_NUMBER_INT_VALID) {
		*out = v->u.number.i;
		return 0;
	}
	/* yajl refuses INT64_MIN itself; strtoll does not. */
	const char *s = num_text(v);
	if (!integral_text(s))
		return jp_fail(c, p, "expected integer, got %s", s);
	errno = 0;
	char *end;
	long long i = strtoll(s, &end, 10);
	if (errno == ERANGE || *end)
		return jp_fail(c, p, "value %s out of range for int64", s);
	*out = i;
	return 0;
}

int jp_u64(const struct jp_ctx *c, const struct jp *p, yajl_val v, uint64_t *out)
{
	if (!YAJL_IS_NUMBER(v))
		return jp_fail(c, p, "expected unsigned integer");
	if (v->u.number.flags & YAJL_NUMBER_INT_VALID) {
		if (v->u.number.i < 0)
			return jp_fail(c, p, "expected unsigned integer, got %lld", v->u.number.i);
		*out = (uint64_t)v->u.number.i;
		return 0;
	}
	/* Above INT64_MAX (e.g. 18446744073709551615): yajl keeps only the text. */
	const char *s = num_text(v);
	if (!integral_text(s))
		return jp_fail(c, p, "expected unsigned integer, got %s", s);
	if (*s == '-')
		return jp_fail(c, p, "expected unsigned integer, got %s", s);
	errno = 0;
	char *end;
	unsigned long long u = strtoull(s, &end, 10);
	if (errno == ERANGE || *end)
		return jp_fail(c, p, "value %s out of range for uint64", s);
	*out = u;
	return 0;
}

int jp_u32(const struct jp_ctx *c, const struct jp *p, yajl_val v, uint32_t *out)
{
	uint64_t u = 0;
	if (jp_u64(c, p, v, &u) < 0)
		return -1;
	if (u > UINT32_MAX)
		return jp_fail(c, p, "value %" PRIu64 " out of range for uint32", u);
	*out = (uint32_t)u;
	return 0;
}

int jp_int(const struct jp_ctx *c, const struct jp *p, yajl_val v, int *out)
{
	int64_t i = 0;
	if (jp_i64(c, p, v, &i) < 0)
		return -1;
	if (i < INT32_MIN || i > INT32_MAX)
		return jp_fail(c, p, "value %" PRId64 " out of range for int32", i);
	*out = (int)i;
	return 0;
}

int jp_strv(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_strv *out)
{
	if (!YAJL_IS_ARRAY(v))
		return jp_fail(c, p, "expected array of strings");
	size_t n = v->u.array.len;
	char **sv = volt_arena_calloc(c->a, n + 1, sizeof *sv);
	if (!sv)
		return jp_nomem(c, p);
	for (size_t i = 0; i < n; i++) {
		yajl_val e = v->u.array.values[i];
		if (!YAJL_IS_STRING(e)) {
			struct jp ep = JP_IDX(p, i);
			return jp_fail(c, &ep, "expected string");
		}
		sv[i] = volt_arena_strdup(c->a, e->u.string);
		if (!sv[i])
			return jp_nomem(c, p);
	}
	out->v = sv;
	out->n = n;
	return 0;
}

int jp_map(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_map *out)
{
	if (!YAJL_IS_OBJECT(v))
		return jp_fail(c, p, "expected object of strings");
	size_t n = v->u.object.len;
	struct oci_kv *kv = volt_arena_calloc(c->a, n, sizeof *kv);
	if (!kv)
		return jp_nomem(c, p);
	for (size_t i = 0; i < n; i++) {
		struct jp ep = JP_KEY(p, v->u.object.keys[i]);
		if (jp_str(c, &ep, v->u.object.values[i], &kv[i].value) < 0)
			return -1;
		kv[i].key = volt_arena_strdup(c->a, v->u.object.keys[i]);
		if (!kv[i].key)
			return jp_nomem(c, p);
	}
	out->v = kv;
	out->n = n;
	return 0;
}

int jp_array(const struct jp_ctx *c, const struct jp *p, yajl_val v, size_t elem, void **out, size_t *n)
{
	if (!YAJL_IS_ARRAY(v))
		return jp_fail(c, p, "expected array");
	*out = volt_arena_calloc(c->a, v->u.array.len, elem);
	if (!*out)
		return jp_nomem(c, p);
	*n = v->u.array.len;
	return 0;
}

#define FIELD_FN(name, type, conv)                                                                           \
	int name(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, type *out) \
	{                                                                                                    \
		struct jp cp = JP_KEY(p, k);                                                                 \
		yajl_val v = jp_get(o, k);                                                                   \
		if (!v)                                                                                      \
			return req ? jp_fail(c, &cp, "missing required field") : 0;                          \
		return conv(c, &cp, v, out) < 0 ? -1 : 1;                                                    \
	}

FIELD_FN(jp_f_str, char *, jp_str)
FIELD_FN(jp_f_bool, bool, jp_bool)
FIELD_FN(jp_f_i64, int64_t, jp_i64)
FIELD_FN(jp_f_u64, uint64_t, jp_u64)
FIELD_FN(jp_f_u32, uint32_t, jp_u32)
FIELD_FN(jp_f_int, int, jp_int)
FIELD_FN(jp_f_strv, struct oci_strv, jp_strv)
FIELD_FN(jp_f_map, struct oci_map, jp_map)

int jp_f_opt_i64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		 struct oci_opt_i64 *out)
{
	int r = jp_f_i64(c, p, o, k, false, &out->v);
	out->set = r > 0;
	return r;
}

int jp_f_opt_u64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		 struct oci_opt_u64 *out)
{
	int r = jp_f_u64(c, p, o, k, false, &out->v);
	out->set = r > 0;
	return r;
}

int jp_f_opt_bool(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		  struct oci_opt_bool *out)
{
	int r = jp_f_bool(c, p, o, k, false, &out->v);
	out->set = r > 0;
	return r;
}
