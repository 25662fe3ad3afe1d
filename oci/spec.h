/* `volt-run spec`: the default config.json of a new bundle. */
#ifndef VOLT_OCI_SPEC_H
#define VOLT_OCI_SPEC_H

#include <stdbool.h>

#include "error.h"

/* Pretty-printed JSON in a malloc'd string (caller frees), like `runc spec`.
 * rootless: a user namespace mapping the calling user to root, no network
 * namespace, /sys bind-mounted, no device cgroup rules. */
int oci_spec_generate(bool rootless, char **json_out, struct volt_error *err);

#endif
