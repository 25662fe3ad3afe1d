/* A writer of "newc" cpio archives, the format the kernel unpacks as an
 * initramfs: a 110-byte ASCII header per entry, the name, the data, each
 * padded to 4 bytes, then the TRAILER!!! entry. Only what an initramfs for
 * stardust-init needs: directories and regular files, owned by root. */
#ifndef STARDUST_SHIM_CPIO_H
#define STARDUST_SHIM_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/error.h"

struct sd_cpio {
	int fd;
	uint32_t ino;
	uint64_t off; /* bytes written, for the padding */
};

void sd_cpio_init(struct sd_cpio *w, int fd);
/* name without a leading '/' ("init", "lib/modules/virtio.ko"). */
int sd_cpio_dir(struct sd_cpio *w, const char *name, mode_t perm, struct volt_error *err);
int sd_cpio_file(struct sd_cpio *w, const char *name, mode_t perm, const void *data, size_t len,
		 struct volt_error *err);
/* A character device node (dev/console for the kernel's first open). */
int sd_cpio_chardev(struct sd_cpio *w, const char *name, mode_t perm, unsigned major, unsigned minor,
		    struct volt_error *err);
/* The contents of the host file src. */
int sd_cpio_copy(struct sd_cpio *w, const char *name, mode_t perm, const char *src, struct volt_error *err);
int sd_cpio_finish(struct sd_cpio *w, struct volt_error *err);

#endif
