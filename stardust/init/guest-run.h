/* stardust-init's container: the bundle run through libvolt's lifecycle
 * (the native backend, the same code volt-run uses), driven by the control
 * protocol (stardust/shim/proto.h):
 *
 *   create (stdio on pipes) -> READY -> wait for START -> start -> STARTED
 *   -> forward STDOUT/STDERR frames out, STDIN and SIGNAL frames in
 *   -> the process exits -> EXIT(status).
 *
 * A failure before the process runs is reported as an ERROR frame. */
#ifndef STARDUST_INIT_GUEST_RUN_H
#define STARDUST_INIT_GUEST_RUN_H

#include "oci/log.h"

struct sd_guest_run {
	int ctl_in, ctl_out; /* the control channel (the same fd in the guest) */
	const char *bundle;
	const char *root; /* libvolt state root */
	const char *id;
	struct volt_logger log;
};

/* Returns the status for the exit port: the process's (code, or 128+signal),
 * or 1 when it never ran. */
int sd_guest_run(const struct sd_guest_run *g);

#endif
