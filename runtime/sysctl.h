/* linux.sysctl: writing kernel parameters below the container's /proc/sys. */
#ifndef VOLT_RUNTIME_SYSCTL_H
#define VOLT_RUNTIME_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "oci/error.h"

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward" (relative to /proc/sys).
 * Refuses empty keys and components, "/" and "..", so a key cannot name a
 * file outside /proc/sys. Errors name "linux.sysctl.<key>". */
int volt_sysctl_key_path(const char *key, char *buf, size_t n, struct volt_error *err);

/* A sysctl is only safe to set when it belongs to a namespace the
 * container does not share with the host: net.* needs a network namespace
 * (new or joined), the IPC ones an ipc namespace, kernel.hostname and
 * kernel.domainname a uts namespace. Anything else changes the whole host
 * and is refused. has_ns[t]: the config has a namespace of type t. */
int volt_sysctl_check(const struct oci_map *sysctl, const bool has_ns[OCI_NS__COUNT], struct volt_error *err);

/* Write every entry through the current root's /proc (after pivot_root),
 * checking that /proc and each file really are procfs. */
int volt_sysctl_apply(const struct oci_map *sysctl, struct volt_error *err);

#endif
