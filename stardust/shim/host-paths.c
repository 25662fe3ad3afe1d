#include "stardust/shim/host-paths.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cleanup.h"

int sd_find_default_kernel(const char *boot_dir, const char *modules_root, char *kernel, size_t kcap,
			   struct volt_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(boot_dir);
	if (!d)
		return volt_err(err, errno, "guest kernel: %s", boot_dir);
	char best[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "vmlinuz-", 8) != 0 || strlen(e->d_name) >= sizeof best)
			continue;
		char dep[4096];
		snprintf(dep, sizeof dep, "%s/%s/modules.dep", modules_root, e->d_name + 8);
		if (access(dep, R_OK) != 0)
			continue;
		if (!best[0] || strverscmp(e->d_name, best) > 0)
			snprintf(best, sizeof best, "%s", e->d_name);
	}
	if (!best[0])
		return volt_err(err, -ENOENT,
				"guest kernel: no %s/vmlinuz-* with %s/<version>/modules.dep; set annotation "
				"org.volt.vm.kernel",
				boot_dir, modules_root);
	if ((size_t)snprintf(kernel, kcap, "%s/%s", boot_dir, best) >= kcap)
		return volt_err(err, -ENAMETOOLONG, "guest kernel %s", best);
	return 0;
}

static int first_executable(const char *env, const char *const *cands, size_t n, const char *name, char *path,
			    size_t cap, struct volt_error *err)
{
	const char *e = getenv(env);
	if (e && *e) {
		if (access(e, X_OK) != 0)
			return volt_err(err, errno, "$%s=%s", env, e);
		snprintf(path, cap, "%s", e);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (access(cands[i], X_OK) == 0) {
			snprintf(path, cap, "%s", cands[i]);
			return 0;
		}
	return volt_err(err, -ENOENT, "%s not found: install it or set $%s", name, env);
}

int sd_find_vmm(char *path, size_t cap, struct volt_error *err)
{
	static const char *const c[] = {"/usr/local/libexec/volt/stardust-vmm",
					"/usr/libexec/volt/stardust-vmm", "/usr/local/bin/stardust-vmm",
					"/usr/bin/stardust-vmm"};
	return first_executable("VOLT_STARDUST_VMM", c, 4, "stardust-vmm", path, cap, err);
}

int sd_find_init(char *path, size_t cap, struct volt_error *err)
{
	static const char *const c[] = {"/usr/local/libexec/volt/stardust-init",
					"/usr/libexec/volt/stardust-init"};
	return first_executable("VOLT_STARDUST_INIT", c, 2, "stardust-init", path, cap, err);
}
