/* The host-side half of seccomp, done by create before the init is cloned
 * (the init inherits memory and fds): compile linux.seccomp through the
 * cache (libseccomp is too slow for every start), connect to listenerPath
 * (a host path the init cannot reach after pivot_root), start the audit
 * agent (it writes into the state dir). exec can use it the same way. */
#ifndef VOLT_RUNTIME_SECCOMP_HOST_H
#define VOLT_RUNTIME_SECCOMP_HOST_H

#include <stddef.h>

#include "oci/config.h"
#include "oci/error.h"
#include "security.h"
#include "seccomp.h"

struct volt_seccomp_host {
	struct volt_seccomp_filter filter; /* compiled linux.seccomp, len 0 if none */
	int agent_fd;	   /* listener agent or audit agent socket, close-on-exec; -1 if none */
	char warning[256]; /* non-empty: the caller logs it (org.volt.seccomp.allow) */
};

/* state_root for the cache (may be NULL: no cache); state_dirfd for the
 * audit log (may be -1 when not in audit mode, e.g. exec). */
int volt_seccomp_host_prepare(const char *state_root, int state_dirfd, const struct oci_config *c,
			      struct volt_seccomp_host *h, struct volt_error *err);

/* In the init (or exec child) before volt_security_prepare(): hand the
 * precompiled filter and the agent socket over; prepare keeps them. */
void volt_seccomp_host_fill(const struct volt_seccomp_host *h, struct volt_security *s);

/* In the runtime once the init is cloned. */
void volt_seccomp_host_release(struct volt_seccomp_host *h);

#endif
