/* Named seccomp profiles reuse the linux.seccomp section parser, so a profile
 * accepts exactly what config.json accepts there. */
#include "seccomp-profile.h"

#include <string.h>

#include "cleanup.h"
#include "config-parse.h"

int oci_seccomp_profile_parse(struct volt_arena *a, const char *json, size_t len, struct oci_seccomp *out,
			      struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "seccomp profile", err);
	if (!text)
		return -1;
	yajl_val root = jp_parse(text, "seccomp profile", err);
	if (!root)
		return -1;
	struct jp_ctx c = {.a = a, .err = err};
	/* No root key: the profile file is the object itself. */
	int r = oci_cfg_seccomp(&c, NULL, root, out);
	yajl_tree_free(root);
	return r;
}
