/* The order is fixed: Landlock, then the guard, then the config's filter,
 * so the guard's EPERM wins over anything the config allows (the kernel
 * takes the strictest result of all filters). */
#include "security.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "landlock.h"
#include "seccomp-guard.h"
#include "seccomp-notify.h"
#include "seccomp.h"

int volt_security_prepare(const struct oci_config *c, struct volt_security *s, struct volt_error *err)
{
	/* A precompiled filter and the agent socket may come from the host
	 * side (volt_seccomp_host_fill): keep them. */
	struct sock_fprog pre = s->filter;
	unsigned int pre_flags = s->filter_flags;
	bool pre_notify = s->notify;
	int agent_fd = s->audit_fd;
	memset(s, 0, sizeof *s);
	s->filter = pre;
	s->filter_flags = pre_flags;
	s->notify = pre_notify;
	s->audit_fd = agent_fd;
	s->landlock_fd = -1;

	uint32_t allow;
	if (volt_guard_parse_allow(&c->annotations, &allow, err) < 0 ||
	    volt_guard_build(allow, &s->guard, err) < 0)
		return -1;
	const struct oci_seccomp *sc = &c->linux.seccomp;
	if (sc->present && !s->filter.len) {
		struct volt_seccomp_compile_opts o = {.audit = volt_seccomp_audit_requested(&c->annotations),
						      .handoff_fd = agent_fd};
		if (o.audit && agent_fd < 0)
			return volt_err(err, -EINVAL,
					"annotations." VOLT_ANN_SECCOMP_AUDIT ": no audit agent was started");
		struct volt_seccomp_filter f;
		if (volt_seccomp_compile(sc, &o, &f, err) < 0)
			return -1;
		s->filter = f.prog;
		s->filter_flags = f.flags;
		s->notify = f.notify;
	}
	if (s->notify) {
		if (s->audit_fd < 0)
			return volt_err(err, -EINVAL,
					"linux.seccomp.listenerPath %s: not connected to the agent",
					sc->listener_path ? sc->listener_path : "");
		if ((sc->listener_path && !(s->listener_path = strdup(sc->listener_path))) ||
		    (sc->listener_metadata && !(s->listener_metadata = strdup(sc->listener_metadata))))
			return volt_err(err, -ENOMEM, "linux.seccomp");
	}
	return volt_landlock_prepare(&c->process.landlock, &s->landlock_fd, err);
}

int volt_security_apply(struct volt_security *s, const struct volt_state *state, struct volt_error *err)
{
	if (volt_landlock_restrict(s->landlock_fd, err) < 0)
		return -1;
	if (s->guard.len && volt_seccomp_load(&s->guard, 0, "the seccomp guard filter", err) < 0)
		return -1;
	if (!s->filter.len)
		return 0;
	int listener = volt_seccomp_load(&s->filter, s->filter_flags, "linux.seccomp", err);
	if (listener < 0)
		return -1;
	if (!s->notify)
		return 0;
	int r = volt_seccomp_send_listener(s->audit_fd, listener, s->listener_metadata, state, err);
	/* The agent has its copy; the workload must not get ours. */
	close(listener);
	close(s->audit_fd);
	s->audit_fd = -1;
	return r;
}

void volt_security_release(struct volt_security *s)
{
	free(s->guard.filter);
	free(s->filter.filter);
	free(s->listener_path);
	free(s->listener_metadata);
	s->guard = (struct sock_fprog){0};
	s->filter = (struct sock_fprog){0};
	s->listener_path = s->listener_metadata = NULL;
	if (s->audit_fd >= 0)
		close(s->audit_fd);
	if (s->landlock_fd >= 0)
		close(s->landlock_fd);
	s->audit_fd = s->landlock_fd = -1;
}
