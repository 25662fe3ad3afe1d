/* Landlock from process.landlock. The ruleset is built in the init after
 * pivot_root, so rule paths are the container's; it is enforced as the last
 * step before execve. Syscalls and attribute structs are our own
 * definitions: Debian 12's <linux/landlock.h> stops at ABI 2. */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock-fit.h"
#include "oci/cleanup.h"
#include "oci/landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule	    445
#define SYS_landlock_restrict_self  446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH	  1
#define LL_RULE_NET_PORT	  2

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

int volt_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

static int add_path_rule(int ruleset, size_t i, size_t j, const char *path, uint64_t allowed, bool best,
			 struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && best)
			return 0;
		return volt_err(err, errno, "process.landlock.rules.pathBeneath[%zu].paths[%zu] %s", i, j,
				path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "process.landlock.rules.pathBeneath[%zu].paths[%zu] %s", i, j,
				path);
	/* Directory rights on a file are EINVAL to the kernel; on a file they
	 * could only ever mean nothing, so they are left out. */
	if (!S_ISDIR(st.st_mode))
		allowed &= VOLT_LL_FS_FILE_RIGHTS;
	if (!allowed)
		return 0;
	struct ll_path_beneath_attr attr = {.allowed_access = allowed, .parent_fd = fd};
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
		return volt_err(err, errno,
				"process.landlock.rules.pathBeneath[%zu].paths[%zu] %s: landlock_add_rule", i,
				j, path);
	return 0;
}

static int add_rules(int ruleset, const struct oci_landlock *l, const struct volt_landlock_fit *fit,
		     struct volt_error *err)
{
	for (size_t i = 0; i < l->n_path_beneath; i++) {
		const struct oci_landlock_path_rule *r = &l->path_beneath[i];
		uint64_t allowed = r->allowed_access & fit->handled_fs;
		if (!allowed)
			continue; /* best effort took all its rights away */
		for (size_t j = 0; j < r->paths.n; j++)
			if (add_path_rule(ruleset, i, j, r->paths.v[j], allowed, l->enable_best_effort, err) <
			    0)
				return -1;
	}
	for (size_t i = 0; i < l->n_network_port; i++) {
		const struct oci_landlock_port_rule *r = &l->network_port[i];
		uint64_t allowed = r->allowed_access & fit->handled_net;
		if (!allowed)
			continue;
		for (size_t j = 0; j < r->n_ports; j++) {
			struct ll_net_port_attr attr = {.allowed_access = allowed, .port = r->ports[j]};
			if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &attr, 0) < 0)
				return volt_err(err, errno,
						"process.landlock.rules.networkPort[%zu].ports[%zu] %llu: "
						"landlock_add_rule",
						i, j, (unsigned long long)r->ports[j]);
		}
	}
	return 0;
}

int volt_landlock_prepare(const struct oci_landlock *l, int *ruleset_fd, struct volt_error *err)
{
	*ruleset_fd = -1;
	if (!l || !l->present)
		return 0;
	struct volt_landlock_fit fit;
	if (volt_landlock_fit(l, volt_landlock_abi(), &fit, err) < 0)
		return -1;
	if (!fit.handled_fs && !fit.handled_net)
		return 0; /* best effort on a kernel that can enforce none of it */

	struct ll_ruleset_attr attr = {.handled_access_fs = fit.handled_fs,
				       .handled_access_net = fit.handled_net};
	/* Pre-ABI-4 kernels know only the first field. */
	size_t size = fit.handled_net ? sizeof attr : sizeof attr.handled_access_fs;
	/* The kernel makes the ruleset fd close-on-exec itself. */
	_cleanup_close_ int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return volt_err(err, errno, "process.landlock: landlock_create_ruleset");
	if (add_rules(fd, l, &fit, err) < 0)
		return -1;
	*ruleset_fd = volt_steal_fd(&fd);
	return 0;
}

int volt_landlock_restrict(int ruleset_fd, struct volt_error *err)
{
	if (ruleset_fd < 0)
		return 0;
	long r = syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
	int saved = errno;
	close(ruleset_fd);
	if (r < 0)
		return volt_err(err, saved, "process.landlock: landlock_restrict_self");
	return 0;
}
