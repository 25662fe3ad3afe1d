/* Fitting a process.landlock request to the Landlock ABI of a kernel: a pure
 * function, so the downgrade rules can be tested for every ABI on any host. */
#ifndef VOLT_RUNTIME_LANDLOCK_FIT_H
#define VOLT_RUNTIME_LANDLOCK_FIT_H

#include <stdint.h>

#include "oci/config.h"
#include "oci/error.h"

/* The newest ABI whose rights this code knows. On a newer kernel, rights
 * unknown here are passed through and the kernel judges them. */
#define VOLT_LANDLOCK_ABI_KNOWN 7

/* What the ruleset handles on that kernel. A rule grants its allowedAccess
 * masked with these; both 0 means no Landlock at all. */
struct volt_landlock_fit {
	uint64_t handled_fs;
	uint64_t handled_net;
};

/* The filesystem / network rights a kernel of that ABI supports. */
uint64_t volt_landlock_fs_rights(int abi);
uint64_t volt_landlock_net_rights(int abi);

/* Fit l to abi (0: no Landlock). With enableBestEffort, what the kernel
 * lacks is dropped; without, it is an error naming the right and the ABI it
 * needs ("process.landlock: truncate needs Landlock ABI 3, this kernel has 2").
 * refer on ABI 1: that ABI always denies reparenting, so refer handled but
 * granted nowhere is met exactly and kept silently; granted somewhere, it
 * cannot be: strict fails, best effort leaves filesystem rules out entirely
 * rather than deny more than asked. */
int volt_landlock_fit(const struct oci_landlock *l, int abi, struct volt_landlock_fit *out,
		      struct volt_error *err);

#endif
