#include "backend.h"

#include <string.h>

const struct volt_backend_ops *volt_backend_find(const char *name)
{
	if (!name || strcmp(name, "native") == 0)
		return &volt_backend_native;
	if (strcmp(name, "stardust") == 0)
		return &volt_backend_stardust;
	return NULL;
}
