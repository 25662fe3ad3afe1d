#include "caps-profile.h"

#include <string.h>

#include "cleanup.h"
#include "config-parse.h"

int oci_caps_profile_parse(struct volt_arena *a, const char *json, size_t len, struct oci_strv *out,
			   struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *text = oci_cfg_terminate(json, len, "capabilities profile", err);
	if (!text)
		return -1;
	yajl_val root = jp_parse(text, "capabilities profile", err);
	if (!root)
		return -1;
	struct jp_ctx c = {.a = a, .err = err};
	int r = jp_object(&c, NULL, root);
	if (r == 0)
		r = jp_f_strv(&c, NULL, root, "capabilities", true, out) < 0 ? -1 : 0;
	yajl_tree_free(root);
	return r;
}
