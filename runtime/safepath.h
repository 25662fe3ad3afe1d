/* Resolving container paths without leaving the rootfs (openat2
 * RESOLVE_IN_ROOT), and naming a resolved fd as a mount(2) target. The
 * public entry points volt_open_in_root/volt_mkdir_in_root are in rootfs.h. */
#ifndef VOLT_RUNTIME_SAFEPATH_H
#define VOLT_RUNTIME_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

/* Extra RESOLVE_* bits for the *_ex variants. VOLT_NO_SYMLINKS refuses a
 * symlink in any component (targets that must never be links: proc/sysfs
 * mount points, device nodes, /dev/console). */
#define VOLT_NO_SYMLINKS 0x04ULL /* == RESOLVE_NO_SYMLINKS */

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|extra).
 * On failure err->errnum is the errno (ENOENT lets callers skip missing paths,
 * ELOOP means a refused symlink). */
int volt_open_in_root_ex(int rootfd, const char *path, int flags, uint64_t extra, struct volt_error *err);

/* volt_mkdir_in_root with extra resolve bits; returns an O_PATH fd. */
int volt_mkdir_in_root_ex(int rootfd, const char *path, bool as_file, int mode, uint64_t extra,
			  struct volt_error *err);

/* "/proc" of the current root is a real procfs root, so "/proc/self/fd/N"
 * names exactly the object behind fd N. */
bool volt_proc_fd_usable(void);

/* A mount(2) path for the object behind fd: "/proc/self/fd/N" when proc_ok,
 * else fallback (only safe after pivot_root, where every path already stays
 * inside the container). Returns buf or fallback. */
const char *volt_fd_target(int fd, bool proc_ok, const char *fallback, char *buf, size_t n);

/* Fails with ELOOP and "<what>: is a symlink, refusing" when the
 * O_PATH|O_NOFOLLOW fd refers to a symlink. */
int volt_refuse_symlink_fd(int fd, const char *what, struct volt_error *err);

#endif
