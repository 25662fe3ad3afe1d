/* The monitor confines itself once everything it will ever open is open
 * (/dev/kvm, the VM fd, the kernel, initrd and disk images, the console
 * fds): new mount, network, IPC and UTS namespaces where the kernel and
 * our privileges allow, an empty read-only root (a fresh tmpfs pivoted to
 * and remounted read-only, so no path resolves to anything), every
 * capability dropped from every set including the bounding set, an
 * unprivileged uid and gid (when started as root: uid 0 without
 * capabilities still owns root's files and may signal root's processes),
 * and no_new_privs. The process keeps only its fds. Run it before creating any
 * thread: capabilities are per thread.
 *
 * No PID namespace here: unshare(CLONE_NEWPID) only affects children, and
 * after it the kernel refuses CLONE_THREAD, so the vCPU threads could not be
 * created. Whoever spawns the monitor (the shim) puts it in a new PID
 * namespace with clone(CLONE_NEWPID). */
#ifndef STARDUST_VMM_JAIL_H
#define STARDUST_VMM_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/error.h"

struct sd_jail_cfg {
	bool namespaces; /* unshare and pivot into an empty root */
	/* Directory the empty root is mounted on inside the new mount
	 * namespace (NULL: /tmp); it is never touched outside it. */
	const char *scratch_dir;
	/* Switch to these ids (and no supplementary groups) when running as
	 * root; set_ids false keeps the caller's. */
	bool set_ids;
	uid_t uid;
	gid_t gid;
};

/* What the monitor becomes by default: nobody/nogroup on Debian. */
#define SD_JAIL_DEFAULT_ID 65534

/* What was achieved, for the monitor's diagnostics. */
struct sd_jail_result {
	int unshared;	 /* CLONE_NEW* flags that took effect */
	bool empty_root; /* the pivot to an empty tmpfs happened */
	bool caps_dropped;
	bool ids_changed;
};

/* Unprivileged callers get what is possible without failing (no
 * namespaces if unshare is refused); dropping capabilities and
 * no_new_privs must succeed. */
int sd_jail_enter(const struct sd_jail_cfg *cfg, struct sd_jail_result *res, struct volt_error *err);

/* Only the capability and no_new_privs part. */
int sd_jail_drop_caps(struct volt_error *err);

#endif
