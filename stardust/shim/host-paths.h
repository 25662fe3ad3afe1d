/* Where the shim finds what it boots on the host:
 *
 *   guest kernel   annotation org.volt.vm.kernel, else the newest
 *                  /boot/vmlinuz-* with a /lib/modules/<version>/modules.dep
 *   stardust-vmm   $VOLT_STARDUST_VMM, else /usr/local/libexec/volt/stardust-vmm,
 *                  /usr/libexec/volt/stardust-vmm, else stardust-vmm in $PATH
 *   stardust-init  $VOLT_STARDUST_INIT, else /usr/local/libexec/volt/stardust-init,
 *                  /usr/libexec/volt/stardust-init
 *
 * The runtime re-executes itself from a sealed memfd, so "next to our own
 * binary" is not a place it can look; the environment is how tests and
 * packages point it elsewhere. */
#ifndef STARDUST_SHIM_HOST_PATHS_H
#define STARDUST_SHIM_HOST_PATHS_H

#include <stddef.h>

#include "oci/error.h"

int sd_find_default_kernel(const char *boot_dir, const char *modules_root, char *kernel, size_t kcap,
			   struct volt_error *err);
int sd_find_vmm(char *path, size_t cap, struct volt_error *err);
int sd_find_init(char *path, size_t cap, struct volt_error *err);

#endif
