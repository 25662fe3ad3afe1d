/* Named profiles chosen by annotations. A profile is looked up as
 * DIR/<kind>/<name>.json (an administrator's override or addition) and then
 * among the copies built into the binary, and replaces the config's own
 * section. Nothing is read unless an annotation asks for a profile: that is
 * the common case and it must cost nothing. */
#include "profiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "oci/caps-profile.h"
#include "oci/cleanup.h"
#include "oci/landlock.h"
#include "oci/seccomp-profile.h"
#include "profiles-embedded.h"
#include "profiles-internal.h"

#define NAME_MAX_LEN 64
/* Profiles are a few KiB; a bigger file is a mistake, not a policy. */
#define PROFILE_MAX_SIZE (1 << 20)

#define ANN_SECCOMP  "org.volt.seccomp.profile"
#define ANN_LANDLOCK "org.volt.landlock.profile"
#define ANN_CAPS     "org.volt.caps.profile"

bool volt_profile_name_valid(const char *name)
{
	size_t n = 0;
	for (; name[n]; n++) {
		char ch = name[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return n > 0 && n <= NAME_MAX_LEN;
}

struct profile_text {
	const char *text;
	size_t len;
	char *owned;	       /* file contents (malloc), NULL for a built-in profile */
	char source[PATH_MAX]; /* the file read, or "built in" */
};

static void profile_text_release(struct profile_text *t)
{
	free(t->owned);
}

/* 1 with the file's contents, 0 when there is no such file, -1 on error.
 * An override that exists but cannot be read is an error, never a silent
 * fallback to a different (built-in) policy. */
static int read_override(const char *path, struct profile_text *t, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return volt_err(err, errno, "%s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return volt_err(err, -EINVAL, "%s: not a regular file", path);
	if (st.st_size > PROFILE_MAX_SIZE)
		return volt_err(err, -EFBIG, "%s: larger than %d bytes", path, PROFILE_MAX_SIZE);
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return volt_err(err, ENOMEM, "%s", path);
	size_t len = 0;
	for (;;) {
		if (len > (size_t)st.st_size) /* grew while we read it */
			return volt_err(err, -EFBIG, "%s: changed while being read", path);
		ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return volt_err(err, errno, "%s", path);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	t->owned = volt_steal_ptr(&buf);
	t->text = t->owned;
	t->len = len;
	return 1;
}

/* 1 found, 0 unknown, -1 error. */
static int find_profile(const char *dir, const char *kind, const char *name, struct profile_text *t,
			struct volt_error *err)
{
	memset(t, 0, sizeof *t);
	if (dir) {
		int n = snprintf(t->source, sizeof t->source, "%s/%s/%s.json", dir, kind, name);
		if (n < 0 || (size_t)n >= sizeof t->source)
			return volt_err(err, -ENAMETOOLONG, "%s/%s/%s.json", dir, kind, name);
		int r = read_override(t->source, t, err);
		if (r != 0)
			return r;
	}
	for (size_t i = 0; i < volt_embedded_profiles_n; i++) {
		const struct volt_embedded_profile *e = &volt_embedded_profiles[i];
		if (strcmp(e->kind, kind) == 0 && strcmp(e->name, name) == 0) {
			t->text = e->text;
			t->len = strlen(e->text);
			snprintf(t->source, sizeof t->source, "built in");
			return 1;
		}
	}
	return 0;
}

static void append_name(char *buf, size_t size, size_t *used, const char *name)
{
	int n = snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", name);
	if (n > 0)
		*used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}

/* Whether name is already in the comma-separated list. */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* "a, b, c": the built-in names of kind, then the override directory's. */
static void known_names(const char *dir, const char *kind, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < volt_embedded_profiles_n; i++)
		if (strcmp(volt_embedded_profiles[i].kind, kind) == 0)
			append_name(buf, size, &used, volt_embedded_profiles[i].name);
	if (!dir)
		return;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, kind);
	_cleanup_closedir_ DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || n - 5 > NAME_MAX_LEN || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		char name[NAME_MAX_LEN + 1];
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (volt_profile_name_valid(name) && !listed(buf, name))
			append_name(buf, size, &used, name);
	}
}

/* Find and load profile `name` of `kind` named by annotation `ann`, then let
 * parse() turn it into the config section. Errors start with the annotation. */
static int load(struct oci_config *c, const char *dir, const char *ann, const char *kind, const char *name,
		int (*parse)(struct oci_config *c, const char *text, size_t len, struct volt_error *err),
		struct volt_error *err)
{
	if (!volt_profile_name_valid(name))
		return volt_err(
		    err, -EINVAL,
		    "annotations[\"%s\"]: invalid profile name \"%.*s\" (allowed: 1 to %d of a-z, 0-9, -)",
		    ann, 200, name, NAME_MAX_LEN);
	_cleanup_(profile_text_release) struct profile_text t;
	int r = find_profile(dir, kind, name, &t, err);
	if (r < 0)
		return volt_err_ctx(err, "annotations[\"%s\"]: %s profile \"%s\"", ann, kind, name);
	if (r == 0) {
		char known[512];
		known_names(dir, kind, known, sizeof known);
		return volt_err(err, -ENOENT, "annotations[\"%s\"]: unknown %s profile \"%s\" (known: %s)",
				ann, kind, name, known);
	}
	if (parse(c, t.text, t.len, err) < 0)
		return volt_err_ctx(err, "annotations[\"%s\"]: %s profile \"%s\" (%s)", ann, kind, name,
				    t.source);
	return 0;
}

static int parse_seccomp(struct oci_config *c, const char *text, size_t len, struct volt_error *err)
{
	struct oci_seccomp s;
	if (oci_seccomp_profile_parse(&c->arena, text, len, &s, err) < 0)
		return -1;
	c->linux.seccomp = s;
	c->has_linux = true;
	return 0;
}

static int parse_landlock(struct oci_config *c, const char *text, size_t len, struct volt_error *err)
{
	struct oci_landlock l;
	if (oci_landlock_parse(&c->arena, text, len, &l, err) < 0)
		return -1;
	l.present = true;
	c->process.landlock = l;
	return 0;
}

static int parse_caps(struct oci_config *c, const char *text, size_t len, struct volt_error *err)
{
	struct oci_strv list;
	if (oci_caps_profile_parse(&c->arena, text, len, &list, err) < 0)
		return -1;
	char **none = volt_arena_calloc(&c->arena, 1, sizeof *none);
	if (!none)
		return volt_err(err, ENOMEM, "capabilities");
	/* The three sets share one read-only list; inheritable and ambient stay
	 * empty so nothing survives an execve of an unprivileged program. */
	struct oci_capabilities caps = {
	    .present = true,
	    .has_bounding = true,
	    .has_effective = true,
	    .has_inheritable = true,
	    .has_permitted = true,
	    .has_ambient = true,
	    .bounding = list,
	    .effective = list,
	    .permitted = list,
	    .inheritable = {.v = none, .n = 0},
	    .ambient = {.v = none, .n = 0},
	};
	/* Check the names now, so a typo is reported against the profile and
	 * not against a process.capabilities the user never wrote. */
	struct volt_caps masks;
	if (volt_caps_parse(&caps, &masks, err) < 0)
		return -1;
	c->process.capabilities = caps;
	return 0;
}

int volt_profiles_apply_dir(struct oci_config *c, const char *dir, struct volt_error *err)
{
	if (c->annotations.n == 0)
		return 0;
	static const struct {
		const char *ann, *kind;
		int (*parse)(struct oci_config *c, const char *text, size_t len, struct volt_error *err);
	} kinds[] = {
	    {ANN_SECCOMP, "seccomp", parse_seccomp},
	    {ANN_LANDLOCK, "landlock", parse_landlock},
	    {ANN_CAPS, "caps", parse_caps},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *name = oci_map_get(&c->annotations, kinds[i].ann);
		if (name && load(c, dir, kinds[i].ann, kinds[i].kind, name, kinds[i].parse, err) < 0)
			return -1;
	}
	return 0;
}

int volt_profiles_apply(struct oci_config *c, struct volt_error *err)
{
	return volt_profiles_apply_dir(c, VOLT_PROFILES_DIR, err);
}
