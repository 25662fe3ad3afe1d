/* CVE-2019-5736 class: a container process must never be able to open the
 * runtime's binary for writing through /proc/PID/exe. Before entering a
 * container the runtime re-executes itself from a sealed memfd copy. */
#ifndef VOLT_RUNTIME_SEALED_EXE_H
#define VOLT_RUNTIME_SEALED_EXE_H

#include "oci/error.h"

/* Returns 0 when already running from a sealed copy; otherwise copies
 * /proc/self/exe into a sealed memfd and execs it with argv (only returns on
 * error). */
int volt_ensure_sealed_exe(char **argv, struct volt_error *err);

#endif
