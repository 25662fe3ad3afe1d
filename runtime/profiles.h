/* Named profiles (profiles/ in the source tree, installed to
 * /etc/volt/profiles/, and built into the binary so a bare binary works),
 * chosen by annotations: org.volt.seccomp.profile, org.volt.landlock.profile,
 * org.volt.caps.profile. A named profile replaces the config's own section. */
#ifndef VOLT_RUNTIME_PROFILES_H
#define VOLT_RUNTIME_PROFILES_H

#include "oci/config.h"
#include "oci/error.h"

#define VOLT_PROFILES_DIR "/etc/volt/profiles"

/* Rewrite c in place (allocating in its arena) from the annotations. An
 * unknown profile name is an error naming the annotation. (Audit mode,
 * org.volt.seccomp.audit, is the seccomp compiler's business: see seccomp.h.) */
int volt_profiles_apply(struct oci_config *c, struct volt_error *err);

#endif
