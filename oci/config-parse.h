/* The section parsers behind oci_config_parse, shared by the standalone
 * process/resources parsers. Each checks that v is an object itself. */
#ifndef VOLT_OCI_CONFIG_PARSE_H
#define VOLT_OCI_CONFIG_PARSE_H

#include "config.h"
#include "json-path.h"

int oci_cfg_process(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_process *out);
int oci_cfg_linux(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_linux *out);
int oci_cfg_resources(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_resources *out);
int oci_cfg_seccomp(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_seccomp *out);

/* Copy len bytes into a NUL-terminated malloc'd buffer for yajl; NULL on ENOMEM
 * or an embedded NUL (which yajl would silently stop at). */
char *oci_cfg_terminate(const char *json, size_t len, const char *what, struct volt_error *err);

#endif
