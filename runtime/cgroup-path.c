/* Where in each hierarchy the container's cgroup lives: linux.cgroupsPath
 * (absolute, relative, or runc's systemd form) or the "/volt/<id>" default.
 * The result never leaves the hierarchy root: ".." is refused outright rather
 * than resolved, because a resolved path still tells of a confused or hostile
 * config. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup-internal.h"

int volt_cg_normalize(char *out, size_t size, const char *in, const char *what, struct volt_error *err)
{
	size_t len = 0;
	const char *p = in;

	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		if (clen == 0)
			break;
		if (clen == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (clen == 2 && p[0] == '.' && p[1] == '.')
			return volt_err(err, EINVAL,
					"%s %s: \"..\" is not allowed (it could leave the cgroup root)", what,
					in);
		if (memchr(p, '\n', clen))
			return volt_err(err, EINVAL, "%s %s: newline in a cgroup name", what, in);
		if (clen > NAME_MAX)
			return volt_err(err, ENAMETOOLONG, "%s %s", what, in);
		if (len + 1 + clen + 1 > size)
			return volt_err(err, ENAMETOOLONG, "%s %s", what, in);
		out[len++] = '/';
		memcpy(out + len, p, clen);
		len += clen;
		p = end;
	}
	if (len == 0)
		return volt_err(err, EINVAL, "%s \"%s\": names the cgroup root itself", what, in);
	out[len] = '\0';
	return 0;
}

/* "slice:prefix:name" -> "/slice/prefix-name.scope" (cgroupfs only: no
 * systemd here, we only reproduce where systemd would have put it). */
static int systemd_path(char *buf, size_t size, const char *spec, struct volt_error *err)
{
	const char *c1 = strchr(spec, ':');
	const char *c2 = strchr(c1 + 1, ':');
	int slen = (int)(c1 - spec), plen = (int)(c2 - c1 - 1);
	const char *name = c2 + 1;
	const char *slice = slen ? spec : "system.slice";
	if (!slen)
		slen = (int)strlen(slice);

	if (!*name)
		return volt_err(err, EINVAL,
				"linux.cgroupsPath %s: empty name in the systemd form slice:prefix:name",
				spec);
	size_t nlen = strlen(name);
	int n;
	if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0)
		n = snprintf(buf, size, "/%.*s/%s", slen, slice, name);
	else if (plen == 0)
		n = snprintf(buf, size, "/%.*s/%s.scope", slen, slice, name);
	else
		n = snprintf(buf, size, "/%.*s/%.*s-%s.scope", slen, slice, plen, c1 + 1, name);
	if (n < 0 || (size_t)n >= size)
		return volt_err(err, ENAMETOOLONG, "linux.cgroupsPath %s", spec);
	return 0;
}

static bool is_systemd_form(const char *s)
{
	if (s[0] == '/' || strchr(s, '/'))
		return false;
	const char *c1 = strchr(s, ':');
	if (!c1)
		return false;
	const char *c2 = strchr(c1 + 1, ':');
	return c2 && !strchr(c2 + 1, ':');
}

int volt_cg_compute_path(char *out, size_t size, const char *cgroups_path, const char *id,
			 struct volt_error *err)
{
	char buf[1024];

	if (!cgroups_path || !*cgroups_path) {
		if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
			return volt_err(err, EINVAL, "container id \"%s\": not usable as a cgroup name",
					id ? id : "");
		int n = snprintf(buf, sizeof buf, "/volt/%s", id);
		if (n < 0 || (size_t)n >= sizeof buf)
			return volt_err(err, ENAMETOOLONG, "container id %s", id);
	} else if (is_systemd_form(cgroups_path)) {
		if (systemd_path(buf, sizeof buf, cgroups_path, err) < 0)
			return -1;
	} else {
		/* relative paths are taken from the hierarchy root ("/" + path) */
		int n = snprintf(buf, sizeof buf, "/%s", cgroups_path);
		if (n < 0 || (size_t)n >= sizeof buf)
			return volt_err(err, ENAMETOOLONG, "linux.cgroupsPath %s", cgroups_path);
	}
	return volt_cg_normalize(out, size, buf, "linux.cgroupsPath", err);
}
