#include "stardust/vmm/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"

static int empty_root(const char *dir, struct volt_error *err)
{
	/* Our mounts must not propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return volt_err(err, errno, "jail: make / private");
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
		return volt_err(err, errno, "jail: tmpfs on %s", dir);
	if (chdir(dir) < 0)
		return volt_err(err, errno, "jail: chdir %s", dir);
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one and is detached right away. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return volt_err(err, errno, "jail: detach the old root");
	} else if (errno == EINVAL) {
		/* The root is the initramfs (rootfs), which cannot be pivoted
		 * away: chroot instead. With every capability dropped below,
		 * CAP_SYS_CHROOT is gone and the chroot cannot be left. */
		if (chroot(".") < 0)
			return volt_err(err, errno, "jail: chroot into %s", dir);
	} else {
		return volt_err(err, errno, "jail: pivot_root into %s", dir);
	}
	if (chdir("/") < 0)
		return volt_err(err, errno, "jail: chdir /");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return volt_err(err, errno, "jail: remount the empty root read-only");
	return 0;
}

static int drop_bounding(struct volt_error *err)
{
	/* Dropping from the bounding set needs CAP_SETPCAP, which the id
	 * change and the cap_clear below take away. EINVAL: a cap this kernel
	 * lacks. */
	for (int c = 0; c <= CAP_LAST_CAP + 32; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EPERM)
			return volt_err(err, errno, "jail: drop capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return volt_err(err, errno, "jail: clear the ambient capabilities");
	return 0;
}

static int clear_caps(struct volt_error *err)
{
	cap_t caps = cap_init(); /* all sets empty */
	if (!caps)
		return volt_err(err, errno, "jail: cap_init");
	int r = cap_set_proc(caps);
	int e = errno;
	cap_free(caps);
	if (r < 0)
		return volt_err(err, e, "jail: drop every capability");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return volt_err(err, errno, "jail: no_new_privs");
	return 0;
}

int sd_jail_drop_caps(struct volt_error *err)
{
	return drop_bounding(err) < 0 ? -1 : clear_caps(err);
}

/* Groups first: setgroups and setresgid need the privilege setresuid gives up. */
static int change_ids(uid_t uid, gid_t gid, struct volt_error *err)
{
	if (setgroups(0, NULL) < 0)
		return volt_err(err, errno, "jail: drop supplementary groups");
	if (setresgid(gid, gid, gid) < 0)
		return volt_err(err, errno, "jail: setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return volt_err(err, errno, "jail: setresuid %u", (unsigned)uid);
	return 0;
}

int sd_jail_enter(const struct sd_jail_cfg *cfg, struct sd_jail_result *res, struct volt_error *err)
{
	memset(res, 0, sizeof(*res));
	if (cfg->namespaces) {
		/* All at once when we may; one by one otherwise, keeping
		 * whichever the kernel grants (a rootless caller gets none). */
		static const int flags[] = {CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};
		int all = 0;
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			all |= flags[i];
		if (unshare(all) == 0) {
			res->unshared = all;
		} else {
			for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
				if (unshare(flags[i]) == 0)
					res->unshared |= flags[i];
		}
		if (res->unshared & CLONE_NEWNS) {
			if (empty_root(cfg->scratch_dir ? cfg->scratch_dir : "/tmp", err) < 0)
				return -1;
			res->empty_root = true;
		}
	}
	if (drop_bounding(err) < 0)
		return -1;
	if (cfg->set_ids && geteuid() == 0) {
		/* The kernel clears the parent-death signal on an id change; the
		 * shim's relay relies on it to end the VM when it dies. */
		int pdeath = 0;
		prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
		if (change_ids(cfg->uid, cfg->gid, err) < 0)
			return -1;
		if (pdeath && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
			return volt_err(err, errno, "jail: parent-death signal");
		res->ids_changed = true;
	}
	if (clear_caps(err) < 0)
		return -1;
	res->caps_dropped = true;
	return 0;
}
