#include "runtime/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"

int volt_sysctl_key_path(const char *key, char *buf, size_t n, struct volt_error *err)
{
	if (!key || !*key)
		return volt_err(err, EINVAL, "linux.sysctl: empty key");
	size_t len = strlen(key);
	if (len >= n)
		return volt_err(err, ENAMETOOLONG, "linux.sysctl.%s", key);
	if (strchr(key, '/') || strstr(key, ".."))
		return volt_err(err, EINVAL, "linux.sysctl.%s: key may not contain '/' or '..'", key);
	if (key[0] == '.' || key[len - 1] == '.')
		return volt_err(err, EINVAL, "linux.sysctl.%s: empty key component", key);
	for (size_t i = 0; i <= len; i++)
		buf[i] = key[i] == '.' ? '/' : key[i];
	return 0;
}

static bool fd_is_proc(int fd)
{
	struct statfs sfs;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int write_all(int fd, const char *v, size_t len)
{
	while (len) {
		ssize_t w = write(fd, v, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		v += w;
		len -= (size_t)w;
	}
	return 0;
}

int volt_sysctl_apply(const struct oci_map *sysctl, struct volt_error *err)
{
	if (!sysctl->n)
		return 0;
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (procfd < 0 || !fd_is_proc(procfd))
		return volt_err(err, procfd < 0 ? errno : ENOENT,
				"linux.sysctl.%s: /proc is not a procfs mount",
				sysctl->v[0].key ? sysctl->v[0].key : "");
	for (size_t i = 0; i < sysctl->n; i++) {
		const char *key = sysctl->v[i].key, *val = sysctl->v[i].value ? sysctl->v[i].value : "";
		char rel[PATH_MAX];
		memcpy(rel, "sys/", 4);
		if (volt_sysctl_key_path(key, rel + 4, sizeof rel - 4, err) < 0)
			return -1;
		/* Beneath /proc with no symlink and no mount crossing: a mount
		 * over a /proc/sys file cannot redirect the write. */
		struct open_how how = {
		    .flags = O_WRONLY | O_NOCTTY | O_CLOEXEC,
		    .resolve =
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
		};
		_cleanup_close_ int fd = (int)syscall(SYS_openat2, procfd, rel, &how, sizeof how);
		if (fd < 0)
			return volt_err(err, errno, "linux.sysctl.%s: open /proc/%s", key, rel);
		if (!fd_is_proc(fd))
			return volt_err(err, EXDEV, "linux.sysctl.%s: /proc/%s is not on procfs", key, rel);
		if (write_all(fd, val, strlen(val)) < 0)
			return volt_err(err, errno, "linux.sysctl.%s: write \"%s\"", key, val);
	}
	return 0;
}

static const char *const ipc_sysctls[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};

int volt_sysctl_check(const struct oci_map *sysctl, const bool has_ns[OCI_NS__COUNT], struct volt_error *err)
{
	for (size_t i = 0; i < sysctl->n; i++) {
		const char *k = sysctl->v[i].key;
		enum oci_ns_type need = OCI_NS__COUNT;
		if (strncmp(k, "net.", 4) == 0)
			need = OCI_NS_NETWORK;
		else if (strncmp(k, "fs.mqueue.", 10) == 0)
			need = OCI_NS_IPC;
		else if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
			need = OCI_NS_UTS;
		for (size_t j = 0; j < sizeof ipc_sysctls / sizeof ipc_sysctls[0]; j++)
			if (strcmp(k, ipc_sysctls[j]) == 0)
				need = OCI_NS_IPC;
		if (need == OCI_NS__COUNT)
			return volt_err(err, -EPERM,
					"linux.sysctl.%s: not namespaced, setting it would change the host",
					k);
		if (!has_ns[need])
			return volt_err(
			    err, -EPERM,
			    "linux.sysctl.%s: needs a %s namespace, the container shares the host's", k,
			    oci_ns_name(need));
	}
	return 0;
}
