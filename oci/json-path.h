/* Typed reads from a yajl tree that name the JSON path of whatever is wrong.
 * A path is a chain of stack nodes built on the way down and formatted only
 * when an error is reported, so the success path costs nothing. */
#ifndef VOLT_OCI_JSON_PATH_H
#define VOLT_OCI_JSON_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "arena.h"
#include "config.h"
#include "error.h"

struct jp {
	const struct jp *up;
	const char *key; /* NULL: array element idx */
	size_t idx;
};
#define JP_KEY(parent, k) ((struct jp){.up = (parent), .key = (k)})
#define JP_IDX(parent, i) ((struct jp){.up = (parent), .idx = (i)})

struct jp_ctx {
	struct volt_arena *a;
	struct volt_error *err;
};

/* Parse NUL-terminated text; on failure "WHAT: invalid JSON: <yajl message>". */
yajl_val jp_parse(const char *text, const char *what, struct volt_error *err);

/* "PATH: message"; returns -1. */
int jp_fail(const struct jp_ctx *c, const struct jp *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int jp_nomem(const struct jp_ctx *c, const struct jp *p);

/* Member of an object (last one wins on duplicate keys, like Go's decoder);
 * NULL when absent or JSON null. */
yajl_val jp_get(yajl_val obj, const char *key);

/* Conversions of one value; <0 with the path named on a wrong type/range. */
int jp_object(const struct jp_ctx *c, const struct jp *p, yajl_val v);
int jp_str(const struct jp_ctx *c, const struct jp *p, yajl_val v, char **out);
int jp_bool(const struct jp_ctx *c, const struct jp *p, yajl_val v, bool *out);
int jp_i64(const struct jp_ctx *c, const struct jp *p, yajl_val v, int64_t *out);
int jp_u64(const struct jp_ctx *c, const struct jp *p, yajl_val v, uint64_t *out);
int jp_u32(const struct jp_ctx *c, const struct jp *p, yajl_val v, uint32_t *out);
int jp_int(const struct jp_ctx *c, const struct jp *p, yajl_val v, int *out);
int jp_strv(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_strv *out);
int jp_map(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_map *out);
/* Check v is an array and allocate n zeroed elements of size elem for it. */
int jp_array(const struct jp_ctx *c, const struct jp *p, yajl_val v, size_t elem, void **out, size_t *n);

/* Member key of object o: 1 when present and converted, 0 when absent (an
 * error "missing required field" if req), <0 on error. */
int jp_f_str(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, char **out);
int jp_f_bool(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, bool *out);
int jp_f_i64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, int64_t *out);
int jp_f_u64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, uint64_t *out);
int jp_f_u32(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, uint32_t *out);
int jp_f_int(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req, int *out);
int jp_f_strv(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req,
	      struct oci_strv *out);
int jp_f_map(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k, bool req,
	     struct oci_map *out);
int jp_f_opt_i64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		 struct oci_opt_i64 *out);
int jp_f_opt_u64(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		 struct oci_opt_u64 *out);
int jp_f_opt_bool(const struct jp_ctx *c, const struct jp *p, yajl_val o, const char *k,
		  struct oci_opt_bool *out);

#endif
