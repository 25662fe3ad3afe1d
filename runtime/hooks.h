/* OCI hooks: each runs as its own process with the container state JSON on
 * stdin, its args/env, and a timeout (SIGKILL when it expires). */
#ifndef VOLT_RUNTIME_HOOKS_H
#define VOLT_RUNTIME_HOOKS_H

#include "oci/config.h"
#include "oci/error.h"
#include "oci/log.h"

/* Run every hook of list in order. Stops at the first failure and returns <0
 * with err naming it: "hooks.createRuntime[1] (/usr/bin/x): exited with status 2".
 * A hook that cannot be executed, exits non-zero, is killed by a signal, or
 * exceeds its timeout counts as failed. */
int volt_hooks_run(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
		   struct volt_error *err);

/* For poststart/poststop: run all, log a warning for each failure, never fail. */
void volt_hooks_run_warn(const struct oci_hook_list *list, enum oci_hook_kind kind, const char *state_json,
			 const struct volt_logger *log);

#endif
