/* process.landlock (runtime-spec PR #1241 shape) and the Landlock access
 * rights by name. The bits are the kernel's ABI, defined here so that an old
 * <linux/landlock.h> (Debian 12 stops at ABI 2) does not limit us. */
#ifndef VOLT_OCI_LANDLOCK_H
#define VOLT_OCI_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "error.h"
#include "json-path.h"

#define VOLT_LL_FS_EXECUTE     (1ULL << 0)
#define VOLT_LL_FS_WRITE_FILE  (1ULL << 1)
#define VOLT_LL_FS_READ_FILE   (1ULL << 2)
#define VOLT_LL_FS_READ_DIR    (1ULL << 3)
#define VOLT_LL_FS_REMOVE_DIR  (1ULL << 4)
#define VOLT_LL_FS_REMOVE_FILE (1ULL << 5)
#define VOLT_LL_FS_MAKE_CHAR   (1ULL << 6)
#define VOLT_LL_FS_MAKE_DIR    (1ULL << 7)
#define VOLT_LL_FS_MAKE_REG    (1ULL << 8)
#define VOLT_LL_FS_MAKE_SOCK   (1ULL << 9)
#define VOLT_LL_FS_MAKE_FIFO   (1ULL << 10)
#define VOLT_LL_FS_MAKE_BLOCK  (1ULL << 11)
#define VOLT_LL_FS_MAKE_SYM    (1ULL << 12)
#define VOLT_LL_FS_REFER       (1ULL << 13) /* ABI 2 */
#define VOLT_LL_FS_TRUNCATE    (1ULL << 14) /* ABI 3 */
#define VOLT_LL_FS_IOCTL_DEV   (1ULL << 15) /* ABI 5 */

#define VOLT_LL_NET_BIND_TCP	(1ULL << 0) /* ABI 4 */
#define VOLT_LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

/* Rights that make sense on a regular file; the others need a directory. */
#define VOLT_LL_FS_FILE_RIGHTS                                                                               \
	(VOLT_LL_FS_EXECUTE | VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_READ_FILE | VOLT_LL_FS_TRUNCATE |           \
	 VOLT_LL_FS_IOCTL_DEV)

enum oci_landlock_kind { OCI_LANDLOCK_FS, OCI_LANDLOCK_NET };

/* "write_file" -> bit; 0 when unknown. */
uint64_t oci_landlock_access_from_name(enum oci_landlock_kind k, const char *name);
/* bit (exactly one) -> "write_file"; NULL when the bit has no name. */
const char *oci_landlock_access_name(enum oci_landlock_kind k, uint64_t bit);

/* A standalone landlock object (a named profile, `security profile create`
 * output), allocated in a. Errors name "landlock.<field>". */
int oci_landlock_parse(struct volt_arena *a, const char *json, size_t len, struct oci_landlock *out,
		       struct volt_error *err);

/* The section parser, called by oci_cfg_process for process.landlock. */
int oci_cfg_landlock(const struct jp_ctx *c, const struct jp *p, yajl_val v, struct oci_landlock *out);

#endif
