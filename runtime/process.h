/* The last steps before the container's process is executed, shared by the
 * init and (later) exec so both always apply the same restrictions. */
#ifndef VOLT_RUNTIME_PROCESS_H
#define VOLT_RUNTIME_PROCESS_H

#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"
#include "oci/state.h"
#include "security.h"

/* Resolve args[0] as execvp would, with the PATH of process.env (inside the
 * current root). Messages match runc's so engines map them to 126/127:
 * `exec: "foo": executable file not found in $PATH`. */
int volt_process_find_exec(const struct oci_process *p, char **path, struct volt_error *err);

/* The last steps before execve, in order: rlimits, bounding set, umask,
 * groups and ids, cwd (checked to be inside the root), every fd above
 * 2+preserve_fds marked close-on-exec, then the security layers (Landlock,
 * seccomp) and the capability sets. With noNewPrivileges the layers come
 * after no_new_privs, as the very last step; without it they are installed
 * while CAP_SYS_ADMIN is still held, just before the capability sets drop it. */
int volt_process_apply(const struct oci_process *p, int preserve_fds, struct volt_security *sec,
		       const struct volt_state *st, struct volt_error *err);

/* The exit status of a process that could not be executed: 127 not found,
 * 126 not executable, 1 otherwise (what shells and engines expect). */
int volt_process_exec_status(const struct volt_error *err);

/* execve, with envp from process.env. Only returns on failure. */
int volt_process_exec(const struct oci_process *p, const char *path, struct volt_error *err);

#endif
