/* The monitor's own seccomp allow-lists, one per thread kind, in the spirit
 * of Firecracker's: a vCPU thread only runs KVM_RUN and the device work a
 * guest access triggers; the main thread only waits on its fds, feeds the
 * console, stops the vCPUs and tears down. Anything else kills the whole
 * monitor (SECCOMP_RET_KILL_PROCESS): a compromised monitor gets no second
 * try. The filters are compiled by the main thread before any vCPU thread
 * exists (libseccomp allocates; nothing may allocate after a thread loaded
 * its list) and each thread loads its own with a bare seccomp(2) call:
 * seccomp filters are per thread, so the two lists never stack. */
#ifndef STARDUST_VMM_MONITOR_SECCOMP_H
#define STARDUST_VMM_MONITOR_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

#include "oci/error.h"

enum sd_seccomp_kind {
	SD_SECCOMP_VCPU,
	SD_SECCOMP_MAIN,
};

struct sd_seccomp_rule {
	const char *syscall;
	const char *why;
};

/* A compiled filter, ready for seccomp(SECCOMP_SET_MODE_FILTER). */
struct sd_seccomp_prog {
	struct sock_filter *insns;
	size_t len;
};

/* The plain (argument-free) rules every thread gets, and those of one kind
 * on top of them, for review and tests; the argument-checked ones (ioctl,
 * mmap, tgkill) are added by sd_seccomp_build. */
const struct sd_seccomp_rule *sd_seccomp_common_rules(size_t *n);
const struct sd_seccomp_rule *sd_seccomp_rules(enum sd_seccomp_kind kind, size_t *n);

/* Compile kind's allow-list with libseccomp into out (free with
 * sd_seccomp_prog_free). */
int sd_seccomp_build(enum sd_seccomp_kind kind, struct sd_seccomp_prog *out, struct volt_error *err);
void sd_seccomp_prog_free(struct sd_seccomp_prog *p);

/* Load a compiled filter on the calling thread (sets no_new_privs first).
 * Allocates nothing. */
int sd_seccomp_load(const struct sd_seccomp_prog *p, struct volt_error *err);

#endif
