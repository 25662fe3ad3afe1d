/* Audit mode (org.volt.seccomp.audit=true): the config's denials became
 * SCMP_ACT_NOTIFY; a small agent on the host takes the listener fd, appends
 * each syscall's name to <state dir>/seccomp.log and lets the call go on.
 * `volt-run security log ID` counts the lines. */
#ifndef VOLT_RUNTIME_SECCOMP_AUDIT_H
#define VOLT_RUNTIME_SECCOMP_AUDIT_H

#include "oci/error.h"

#define VOLT_SECCOMP_LOG "seccomp.log"

/* Start the agent (double-forked, so it is nobody's child to wait for)
 * writing to state_dirfd's seccomp.log. Returns the socket (close-on-exec)
 * the listener fd is to be sent on, as volt_seccomp_send_listener() does.
 * The agent exits when that socket closes without an fd, or when the
 * filter has no process left. */
int volt_seccomp_audit_start(int state_dirfd, struct volt_error *err);

#endif
