/* A named capabilities profile (profiles/caps/): {"capabilities": ["CAP_..."]},
 * one list that becomes the bounding, effective and permitted sets. */
#ifndef VOLT_OCI_CAPS_PROFILE_H
#define VOLT_OCI_CAPS_PROFILE_H

#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "error.h"

/* Parse json (len bytes) into the list, allocated in a. Names are checked
 * later, with the other capability names, by volt_caps_parse. */
int oci_caps_profile_parse(struct volt_arena *a, const char *json, size_t len, struct oci_strv *out,
			   struct volt_error *err);

#endif
