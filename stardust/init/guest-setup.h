/* stardust-init's bring-up of the guest, before any container exists:
 * the kernel file systems, the virtio modules from the initramfs, the
 * devices they make, the bundle disk, and the end (the exit port). */
#ifndef STARDUST_INIT_GUEST_SETUP_H
#define STARDUST_INIT_GUEST_SETUP_H

#include <stdint.h>

#include "oci/error.h"

#define SD_GUEST_BUNDLE_DEV "/dev/vda"
#define SD_GUEST_CONTROL    "/dev/hvc0"
#define SD_GUEST_BUNDLE	    "/bundle"
#define SD_GUEST_STATE_ROOT "/run/volt"

/* fds 0, 1 and 2 open (on /dev/null when nothing is there): the kernel
 * gives PID 1 no stdio when it has no console, and later opens must not
 * land on them. Call again after /dev is mounted. */
void sd_guest_fill_stdio(void);

/* Stand on a bind mount of the initramfs root instead of the root itself:
 * pivot_root(2), which sets up the container's root, refuses to move away
 * from rootfs (it has no parent mount). First thing, before any mount. */
int sd_guest_leave_rootfs(struct volt_error *err);

/* proc, sysfs, devtmpfs, tmpfs on /run, cgroup2 on /sys/fs/cgroup. */
int sd_guest_mount_basics(struct volt_error *err);

/* finit_module each path listed in list_path (one a line), in order; an
 * already loaded module (EEXIST) is fine. */
int sd_guest_load_modules(const char *list_path, struct volt_error *err);

/* Wait until path exists, at most timeout_ms. */
int sd_guest_wait_path(const char *path, int timeout_ms, struct volt_error *err);

int sd_guest_mount_bundle(const char *dev, const char *dir, struct volt_error *err);

/* Open the control port raw (no echo, no line editing, no CR/LF mapping):
 * the framed protocol is binary. */
int sd_guest_open_control(const char *path, struct volt_error *err);

/* sync, then write status to the exit port (0x501), which stops the VM;
 * falls back to an ACPI power-off. */
_Noreturn void sd_guest_exit(uint8_t status);

#endif
