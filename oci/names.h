/* Small pure checks shared by every binary: container ids and signal names. */
#ifndef VOLT_OCI_NAMES_H
#define VOLT_OCI_NAMES_H

#include "error.h"

/* Ids are 1-1024 characters of [A-Za-z0-9_+.-], not starting with '.' or '-':
 * they become directory names under the state root and cgroup names. */
int volt_id_validate(const char *id, struct volt_error *err);

/* "9", "KILL", "SIGKILL", "sigkill", "SIGRTMIN+3" -> number. */
int volt_signal_parse(const char *s, int *sig, struct volt_error *err);

/* "SIGKILL" for 9; NULL when unknown. */
const char *volt_signal_name(int sig);

#endif
