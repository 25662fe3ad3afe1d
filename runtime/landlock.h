/* Landlock from process.landlock: the ABI of the running kernel is detected;
 * rights it lacks are dropped only when enableBestEffort allows it. */
#ifndef VOLT_RUNTIME_LANDLOCK_H
#define VOLT_RUNTIME_LANDLOCK_H

#include "oci/config.h"
#include "oci/error.h"

/* Build a ruleset (paths opened in the current root, O_PATH). *ruleset_fd is
 * -1 when l is absent. Errors name process.landlock.* fields. */
int volt_landlock_prepare(const struct oci_landlock *l, int *ruleset_fd, struct volt_error *err);

/* landlock_restrict_self(ruleset_fd); a no-op for -1. */
int volt_landlock_restrict(int ruleset_fd, struct volt_error *err);

/* The kernel's Landlock ABI version, 0 when Landlock is unavailable. */
int volt_landlock_abi(void);

#endif
