#include "seccomp-host.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "seccomp-audit.h"
#include "seccomp-cache.h"
#include "seccomp-guard.h"
#include "seccomp-notify.h"

int volt_seccomp_host_prepare(const char *state_root, int state_dirfd, const struct oci_config *c,
			      struct volt_seccomp_host *h, struct volt_error *err)
{
	memset(h, 0, sizeof *h);
	h->agent_fd = -1;
	if (volt_guard_allow_warning(&c->annotations, h->warning, sizeof h->warning, err) < 0)
		return -1;
	const struct oci_seccomp *s = &c->linux.seccomp;
	if (!s->present)
		return 0;
	struct volt_seccomp_compile_opts o = {.audit = volt_seccomp_audit_requested(&c->annotations),
					      .handoff_fd = -1};
	if (o.audit) {
		if (state_dirfd < 0)
			return volt_err(err, -EINVAL,
					"annotations." VOLT_ANN_SECCOMP_AUDIT ": no state directory");
		h->agent_fd = volt_seccomp_audit_start(state_dirfd, err);
		if (h->agent_fd < 0)
			return -1;
		o.handoff_fd = h->agent_fd;
	}
	if (volt_seccomp_compile_cached(state_root, s, &o, &h->filter, err) < 0)
		goto fail;
	if (h->filter.notify && !o.audit) {
		h->agent_fd = volt_seccomp_connect_listener(s->listener_path, err);
		if (h->agent_fd < 0)
			goto fail;
	}
	return 0;
fail:
	volt_seccomp_host_release(h);
	return -1;
}

void volt_seccomp_host_fill(const struct volt_seccomp_host *h, struct volt_security *s)
{
	s->filter = h->filter.prog;
	s->filter_flags = h->filter.flags;
	s->notify = h->filter.notify;
	s->audit_fd = h->agent_fd;
}

void volt_seccomp_host_release(struct volt_seccomp_host *h)
{
	volt_seccomp_filter_release(&h->filter);
	if (h->agent_fd >= 0)
		close(h->agent_fd);
	h->agent_fd = -1;
}
