/* STUB: replaced by the Landlock work. */
#include "landlock.h"

int volt_landlock_prepare(const struct oci_landlock *l, int *ruleset_fd, struct volt_error *err)
{
	*ruleset_fd = -1;
	return 0;
}

int volt_landlock_restrict(int ruleset_fd, struct volt_error *err)
{
	return 0;
}

int volt_landlock_abi(void)
{
	return 0;
}
