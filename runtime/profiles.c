/* STUB: replaced by the profiles work. */
#include "profiles.h"

int volt_profiles_apply(struct oci_config *c, struct volt_error *err)
{
	return 0;
}
