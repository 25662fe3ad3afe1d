/* The microVM's shape from the bundle's annotations (config.json
 * "annotations"), so the same bundle runs under volt-run and volt-stardust:
 *
 *   org.volt.vm.vcpus      1..32                       (default 1)
 *   org.volt.vm.memory     MiB, 16..1048576             (default 256)
 *   org.volt.vm.kernel     guest kernel: uncompressed vmlinux or bzImage
 *                          (default: the newest /boot/vmlinuz-* that has a
 *                          /lib/modules/<version>/modules.dep)
 *   org.volt.vm.modules    the guest kernel's module tree (default:
 *                          /lib/modules/<version>, the version from the kernel's
 *                          file name vmlinuz-<version> or vmlinux-<version>)
 *   org.volt.vm.ephemeral  true: the disk image and initramfs are unlinked as
 *                          soon as the guest has them, nothing is cached
 *   org.volt.vm.cmdline    extra guest kernel parameters
 *   org.volt.vm.boot-timeout  seconds create waits for the guest (default 120)
 *
 * Pure parsing; finding files on the host is the caller's. */
#ifndef STARDUST_SHIM_VM_OPTS_H
#define STARDUST_SHIM_VM_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "oci/error.h"

#define SD_ANN_VCPUS	    "org.volt.vm.vcpus"
#define SD_ANN_MEMORY	    "org.volt.vm.memory"
#define SD_ANN_KERNEL	    "org.volt.vm.kernel"
#define SD_ANN_MODULES	    "org.volt.vm.modules"
#define SD_ANN_EPHEMERAL    "org.volt.vm.ephemeral"
#define SD_ANN_CMDLINE	    "org.volt.vm.cmdline"
#define SD_ANN_BOOT_TIMEOUT "org.volt.vm.boot-timeout"

struct sd_vm_opts {
	uint32_t vcpus;
	uint64_t mem_mib;
	const char *kernel;  /* NULL: pick the default */
	const char *modules; /* NULL: derive from the kernel */
	const char *cmdline; /* NULL: none */
	bool ephemeral;
	uint32_t boot_timeout_s;
};

/* Pointers in *o borrow from the map. Bad values are errors naming the key. */
int sd_vm_opts_parse(const struct oci_map *ann, struct sd_vm_opts *o, struct volt_error *err);

/* "6.1.0-57-amd64" from ".../vmlinuz-6.1.0-57-amd64" or ".../vmlinux-...";
 * <0 when the name carries no version. */
int sd_kernel_version_from_path(const char *path, char *buf, size_t cap, struct volt_error *err);

#endif
