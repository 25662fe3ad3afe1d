/* STUB: replaced by the seccomp work. Applies nothing yet. */
#include "security.h"

#include <string.h>

int volt_security_prepare(const struct oci_config *c, struct volt_security *s, struct volt_error *err)
{
	memset(s, 0, sizeof *s);
	s->audit_fd = -1;
	s->landlock_fd = -1;
	return 0;
}

int volt_security_apply(struct volt_security *s, const struct volt_state *state, struct volt_error *err)
{
	return 0;
}

void volt_security_release(struct volt_security *s)
{
}
