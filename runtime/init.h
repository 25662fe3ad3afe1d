/* The container's init, from clone until execve of the user's process. */
#ifndef VOLT_RUNTIME_INIT_H
#define VOLT_RUNTIME_INIT_H

#include <stdbool.h>

#include "namespaces.h"
#include "oci/config.h"
#include "oci/state.h"
#include "seccomp-host.h"

struct volt_init_args {
	const struct oci_config *config;
	const char *bundle;
	const char *rootfs;
	struct volt_ns_plan *ns;
	struct volt_state *state; /* pid filled from the GO message; for hook input */
	int sync_fd;		  /* seqpacket to the runtime */
	int listen_fd;		  /* exec.sock: `start` connects here */
	int console_fd;		  /* console socket or -1 */
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	const struct volt_seccomp_host *seccomp; /* host-side seccomp work, or NULL */
};

/* Never returns: execs the user's process or _exits with a status after
 * reporting the error to the runtime (before ready) or to `start` (after). */
_Noreturn void volt_init_run(struct volt_init_args *a);

#endif
