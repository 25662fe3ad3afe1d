/* A standalone seccomp profile: the object that goes under linux.seccomp in
 * config.json, read from a named profile file (profiles/seccomp/). */
#ifndef VOLT_OCI_SECCOMP_PROFILE_H
#define VOLT_OCI_SECCOMP_PROFILE_H

#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "error.h"

/* Parse json (len bytes, need not be NUL-terminated) into out, allocated in
 * a. Errors name the field from the top of the profile ("defaultAction:
 * missing required field"); the caller adds which profile it was. */
int oci_seccomp_profile_parse(struct volt_arena *a, const char *json, size_t len, struct oci_seccomp *out,
			      struct volt_error *err);

#endif
