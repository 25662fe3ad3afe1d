/* SCMP_ACT_NOTIFY: the listener fd goes to the agent at
 * linux.seccomp.listenerPath with the container's state, as runtime-spec
 * ("containerProcessState") says. The socket is connected by the runtime
 * on the host (the path is a host path), the init sends on it. */
#ifndef VOLT_RUNTIME_SECCOMP_NOTIFY_H
#define VOLT_RUNTIME_SECCOMP_NOTIFY_H

#include "oci/error.h"
#include "oci/state.h"

/* Connect (AF_UNIX stream, close-on-exec) to listenerPath. */
int volt_seccomp_connect_listener(const char *path, struct volt_error *err);

/* One message: the containerProcessState JSON with the listener fd in one
 * SCM_RIGHTS control message. metadata may be NULL. */
int volt_seccomp_send_listener(int sock, int listener_fd, const char *metadata, const struct volt_state *st,
			       struct volt_error *err);

#endif
