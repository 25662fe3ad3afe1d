#include "runtime/mounts.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind { OPT_SET, OPT_CLEAR, OPT_PROP, OPT_IGNORE };

struct opt_def {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
};

static const struct opt_def opt_table[] = {
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_SET, MS_BIND},
    {"rbind", OPT_SET, MS_BIND | MS_REC},
    {"private", OPT_PROP, MS_PRIVATE},
    {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROP, MS_SHARED},
    {"rshared", OPT_PROP, MS_SHARED | MS_REC},
    {"slave", OPT_PROP, MS_SLAVE},
    {"rslave", OPT_PROP, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROP, MS_UNBINDABLE},
    {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
    /* fstab filler and runtime extensions (podman's tmpfs copy-up) that
     * must not reach the kernel as data. */
    {"defaults", OPT_IGNORE, 0},
    {"tmpcopyup", OPT_IGNORE, 0},
    {"notmpcopyup", OPT_IGNORE, 0},
};

static const struct opt_def *opt_find(const char *name)
{
	for (size_t i = 0; i < sizeof opt_table / sizeof opt_table[0]; i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

unsigned long volt_mount_propagation_flag(const char *name)
{
	const struct opt_def *d = name ? opt_find(name) : NULL;
	return d && d->kind == OPT_PROP ? d->flag : 0;
}

int volt_mount_options_parse(const struct oci_strv *opts, struct volt_mount_opts *out, struct volt_error *err)
{
	memset(out, 0, offsetof(struct volt_mount_opts, data));
	out->data[0] = '\0';
	size_t len = 0;
	for (size_t i = 0; opts && i < opts->n; i++) {
		const char *o = opts->v[i];
		if (!o || !*o)
			continue;
		const struct opt_def *d = opt_find(o);
		if (!d) {
			size_t ol = strlen(o);
			if (len + (len ? 1 : 0) + ol >= sizeof out->data)
				return volt_err(err, E2BIG,
						"options[%zu] %s: mount data longer than %d bytes", i, o,
						VOLT_MOUNT_DATA_MAX - 1);
			if (len)
				out->data[len++] = ',';
			memcpy(out->data + len, o, ol + 1);
			len += ol;
			continue;
		}
		switch (d->kind) {
		case OPT_SET:
			out->flags |= d->flag;
			out->clear &= ~d->flag;
			if (d->flag & MS_BIND)
				out->bind = true;
			break;
		case OPT_CLEAR:
			out->flags &= ~d->flag;
			out->clear |= d->flag;
			break;
		case OPT_PROP:
			out->propagation = d->flag;
			break;
		case OPT_IGNORE:
			break;
		}
	}
	return 0;
}

bool volt_mount_bind_needs_remount(const struct volt_mount_opts *o)
{
	return (o->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0;
}

int volt_mount_locked_flags(int fd, unsigned long *out, struct volt_error *err)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
	    {ST_RDONLY, MS_RDONLY},	{ST_NOSUID, MS_NOSUID},	  {ST_NODEV, MS_NODEV},
	    {ST_NOEXEC, MS_NOEXEC},	{ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},
	    {ST_RELATIME, MS_RELATIME},
	};
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return volt_err(err, errno, "statvfs");
	unsigned long f = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (sv.f_flag & map[i].st)
			f |= map[i].ms;
	*out = f;
	return 0;
}
