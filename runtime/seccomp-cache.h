/* Compiled linux.seccomp filters cached under <state root>/.seccomp-cache:
 * libseccomp needs ~20-40 ms for podman's profile, reading the cache well
 * under 1 ms. A file holds its whole key, compared byte for byte, so a hash
 * collision can never hand one container another's filter. */
#ifndef VOLT_RUNTIME_SECCOMP_CACHE_H
#define VOLT_RUNTIME_SECCOMP_CACHE_H

#include "seccomp.h"

#define VOLT_SECCOMP_CACHE_DIR ".seccomp-cache"

/* volt_seccomp_compile through the cache; a cache that cannot be read or
 * written is only slower, never an error. Audit mode is not cached (the
 * filter names a file descriptor). */
int volt_seccomp_compile_cached(const char *state_root, const struct oci_seccomp *s,
				const struct volt_seccomp_compile_opts *o, struct volt_seccomp_filter *out,
				struct volt_error *err);

#endif
