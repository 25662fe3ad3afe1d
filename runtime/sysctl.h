/* linux.sysctl: writing kernel parameters below the container's /proc/sys. */
#ifndef VOLT_RUNTIME_SYSCTL_H
#define VOLT_RUNTIME_SYSCTL_H

#include <stddef.h>

#include "oci/config.h"
#include "oci/error.h"

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward" (relative to /proc/sys).
 * Refuses empty keys and components, "/" and "..", so a key cannot name a
 * file outside /proc/sys. Errors name "linux.sysctl.<key>". */
int volt_sysctl_key_path(const char *key, char *buf, size_t n, struct volt_error *err);

/* Write every entry through the current root's /proc (after pivot_root),
 * checking that /proc and each file really are procfs. */
int volt_sysctl_apply(const struct oci_map *sysctl, struct volt_error *err);

#endif
