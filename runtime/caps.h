/* process.capabilities applied with libcap: every name must be known;
 * everything not in bounding is dropped from the bounding set. */
#ifndef VOLT_RUNTIME_CAPS_H
#define VOLT_RUNTIME_CAPS_H

#include <stdint.h>

#include "oci/config.h"
#include "oci/error.h"

struct volt_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Names to masks; an unknown name is an error naming the set and index. An
 * absent capabilities object gives empty sets: Volt's default is none. */
int volt_caps_parse(const struct oci_capabilities *c, struct volt_caps *out, struct volt_error *err);

/* Drop from the bounding set what is not in caps->bounding. Needs CAP_SETPCAP:
 * call before changing uid. Fails clearly if a wanted capability is not in the
 * runtime's own bounding set. */
int volt_caps_apply_bounding(const struct volt_caps *caps, struct volt_error *err);

/* After the uid change (with PR_SET_KEEPCAPS): set effective, permitted,
 * inheritable, then raise ambient. */
int volt_caps_apply_sets(const struct volt_caps *caps, struct volt_error *err);

/* Set effective/permitted/inheritable exactly (no ambient change). */
int volt_caps_set(const struct volt_caps *caps, struct volt_error *err);

/* The calling thread's permitted set. */
int volt_caps_current_permitted(uint64_t *mask, struct volt_error *err);

#endif
