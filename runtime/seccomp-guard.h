/* The guard filter: a few syscalls no container needs and every escape
 * wants (kexec, reboot, modules, swap, mount, ptrace, open_by_handle_at)
 * fail with EPERM, whatever the config says; the annotation
 * org.volt.seccomp.allow=mount,ptrace re-allows named ones. It is raw BPF
 * built in microseconds, and covers the x32 and i386 entry points too. */
#ifndef VOLT_RUNTIME_SECCOMP_GUARD_H
#define VOLT_RUNTIME_SECCOMP_GUARD_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/config.h"
#include "oci/error.h"

#define VOLT_ANN_SECCOMP_ALLOW "org.volt.seccomp.allow"

/* The guarded names, NULL-terminated; bit i of an allow mask is names[i]. */
const char *const *volt_guard_names(void);

/* org.volt.seccomp.allow to a mask; a name not in the guard list is an
 * error naming the annotation. 0 when the annotation is absent. */
int volt_guard_parse_allow(const struct oci_map *annotations, uint32_t *allow, struct volt_error *err);

/* "seccomp guard: org.volt.seccomp.allow re-allows mount, ptrace" into
 * buf for the caller to log; returns 0 (buf empty) when nothing is
 * re-allowed, 1 when there is a warning, -1 on a bad annotation. */
int volt_guard_allow_warning(const struct oci_map *annotations, char *buf, size_t len,
			     struct volt_error *err);

/* Build the guard into prog (malloc'd filter) minus the allowed names. */
int volt_guard_build(uint32_t allow, struct sock_fprog *prog, struct volt_error *err);

#endif
