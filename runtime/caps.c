#include "caps.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int parse_set(const struct oci_strv *v, const char *set, uint64_t *mask, struct volt_error *err)
{
	*mask = 0;
	for (size_t i = 0; i < v->n; i++) {
		cap_value_t cap;
		const char *name = v->v[i];
		/* libcap wants "cap_chown"; the spec says "CAP_CHOWN". */
		if (strncasecmp(name, "CAP_", 4) != 0 || cap_from_name(name, &cap) < 0 || cap < 0 || cap > 63)
			return volt_err(err, -EINVAL,
					"process.capabilities.%s[%zu]: unknown capability \"%s\"", set, i,
					name);
		*mask |= 1ULL << cap;
	}
	return 0;
}

int volt_caps_parse(const struct oci_capabilities *c, struct volt_caps *out, struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	if (!c->present)
		return 0;
	if (parse_set(&c->bounding, "bounding", &out->bounding, err) < 0 ||
	    parse_set(&c->effective, "effective", &out->effective, err) < 0 ||
	    parse_set(&c->inheritable, "inheritable", &out->inheritable, err) < 0 ||
	    parse_set(&c->permitted, "permitted", &out->permitted, err) < 0 ||
	    parse_set(&c->ambient, "ambient", &out->ambient, err) < 0)
		return -1;
	return 0;
}

int volt_caps_apply_bounding(const struct volt_caps *caps, struct volt_error *err)
{
	int last = (int)cap_max_bits() - 1;
	uint64_t wanted = caps->bounding | caps->permitted | caps->effective | caps->ambient;
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		int have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if ((wanted >> cap) & 1) {
			if (have != 1) {
				char *n = cap_to_name(cap);
				volt_err(err, EPERM,
					 "process.capabilities: %s is not in the runtime's bounding set on "
					 "this host",
					 n ? n : "?");
				cap_free(n);
				return -1;
			}
			continue;
		}
		if (have == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return volt_err(err, errno,
					"process.capabilities: drop capability %d from bounding set", cap);
	}
	return 0;
}

static int set_flag(cap_t c, cap_flag_t flag, uint64_t mask)
{
	for (int cap = 0; cap < 64; cap++) {
		if (!((mask >> cap) & 1))
			continue;
		cap_value_t v = cap;
		if (cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
			return -1;
	}
	return 0;
}

int volt_caps_set(const struct volt_caps *caps, struct volt_error *err)
{
	cap_t c = cap_init();
	if (!c)
		return volt_err(err, errno, "process.capabilities");
	int r = 0;
	if (set_flag(c, CAP_EFFECTIVE, caps->effective) < 0 ||
	    set_flag(c, CAP_PERMITTED, caps->permitted) < 0 ||
	    set_flag(c, CAP_INHERITABLE, caps->inheritable) < 0)
		r = volt_err(err, errno, "process.capabilities");
	else if (cap_set_proc(c) < 0)
		r = volt_err(err, errno, "process.capabilities: set effective/permitted/inheritable");
	cap_free(c);
	return r;
}

int volt_caps_current_permitted(uint64_t *mask, struct volt_error *err)
{
	cap_t c = cap_get_proc();
	if (!c)
		return volt_err(err, errno, "cap_get_proc");
	*mask = 0;
	for (int cap = 0; cap < 64 && cap < (int)cap_max_bits(); cap++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(c, cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			*mask |= 1ULL << cap;
	}
	cap_free(c);
	return 0;
}

int volt_caps_apply_sets(const struct volt_caps *caps, struct volt_error *err)
{
	if (volt_caps_set(caps, err) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return volt_err(err, errno, "process.capabilities.ambient: clear");
	for (int cap = 0; cap < 64; cap++) {
		if (((caps->ambient >> cap) & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
			char *n = cap_to_name(cap);
			volt_err(err, errno,
				 "process.capabilities.ambient: raise %s (it must also be permitted and "
				 "inheritable)",
				 n ? n : "?");
			cap_free(n);
			return -1;
		}
	}
	return 0;
}
