/* The security layers applied to a container's process: Landlock, the
 * always-on guard seccomp filter and the config's (or named profile's)
 * seccomp filter. Prepared while the init still has everything it needs
 * (after pivot_root, so Landlock paths are the container's), applied as the
 * very last step before execve by volt_process_apply(). exec (later) uses the
 * same two calls, so an exec'd process always gets the same layers. */
#ifndef VOLT_RUNTIME_SECURITY_H
#define VOLT_RUNTIME_SECURITY_H

#include <linux/filter.h>
#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"
#include "oci/log.h"
#include "oci/state.h"

struct volt_security {
	/* Always-blocked dangerous syscalls (kexec, reboot, modules, swap,
	 * mount, umount2, ptrace, open_by_handle_at), minus what the
	 * org.volt.seccomp.allow annotation re-allows. Always set. */
	struct sock_fprog guard;
	/* linux.seccomp compiled (or a named profile's). len == 0: none. */
	struct sock_fprog filter;
	unsigned int filter_flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	bool notify;		   /* the filter has SCMP_ACT_NOTIFY rules: send the listener fd */
	char *listener_path;
	char *listener_metadata;
	int audit_fd;	 /* audit mode: where the audit agent receives the listener fd, -1 if none */
	int landlock_fd; /* a prepared Landlock ruleset, -1 if none */
};

/* Compile the filters and build the Landlock ruleset (paths opened in the
 * current root). Errors name the config field. Call in the init after
 * pivot_root, before it reports ready. */
int volt_security_prepare(const struct oci_config *c, struct volt_security *s, struct volt_error *err);

/* landlock_restrict_self, then the guard filter, then the config's filter
 * (with its flags); with notify, send the listener fd and the state to
 * listener_path as runtime-spec says. Needs no_new_privs or CAP_SYS_ADMIN. */
int volt_security_apply(struct volt_security *s, const struct volt_state *state, struct volt_error *err);

void volt_security_release(struct volt_security *s);

#endif
