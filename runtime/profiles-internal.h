/* The seams of runtime/profiles.c that the unit tests drive directly. */
#ifndef VOLT_RUNTIME_PROFILES_INTERNAL_H
#define VOLT_RUNTIME_PROFILES_INTERNAL_H

#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"

/* [a-z0-9-]+, at most 64 bytes: a name can never walk out of its directory. */
bool volt_profile_name_valid(const char *name);

/* volt_profiles_apply with the override directory dir instead of
 * VOLT_PROFILES_DIR (NULL: no override directory, embedded copies only). */
int volt_profiles_apply_dir(struct oci_config *c, const char *dir, struct volt_error *err);

#endif
