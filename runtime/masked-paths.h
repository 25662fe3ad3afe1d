/* linux.maskedPaths and linux.readonlyPaths, applied after pivot_root. */
#ifndef VOLT_RUNTIME_MASKED_PATHS_H
#define VOLT_RUNTIME_MASKED_PATHS_H

#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"

/* Hide each path: a read-only empty tmpfs on directories, the container's
 * /dev/null (checked to be the 1:3 device) bound on anything else. Missing
 * paths are skipped; a symlink is refused. proc_ok: "/proc/self/fd" works. */
int volt_masked_paths_apply(int rootfd, const struct oci_strv *paths, bool proc_ok, struct volt_error *err);

/* Bind each path onto itself and remount it read-only, keeping the flags
 * the mount already has (locked in a user namespace). Missing paths are
 * skipped. */
int volt_readonly_paths_apply(int rootfd, const struct oci_strv *paths, bool proc_ok, struct volt_error *err);

#endif
