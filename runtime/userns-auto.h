/* org.volt.userns=auto: a user namespace whose root maps to an unprivileged
 * host range of 65536 ids (65536 and up), allocated under the state root so
 * two containers never share one. */
#ifndef VOLT_RUNTIME_USERNS_AUTO_H
#define VOLT_RUNTIME_USERNS_AUTO_H

#include "oci/config.h"
#include "oci/error.h"

/* If the annotation asks for it, allocate a range for id and add a user
 * namespace with uid/gid mappings to c (in its arena). A config that already
 * has a user namespace or mappings keeps them (error if both are given). */
int volt_userns_auto_apply(const char *state_root, const char *id, struct oci_config *c,
			   struct volt_error *err);

/* Give back id's range, if it has one. */
void volt_userns_auto_release(const char *state_root, const char *id);

#endif
