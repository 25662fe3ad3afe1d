#include "stardust/shim/vm-opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stardust/vmm/config.h"

static int parse_u64(const char *key, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		     struct volt_error *err)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not a number", key, s);
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not a number", key, s);
	if (v < min || v > max)
		return volt_err(err, -ERANGE, "annotations.%s: %llu is outside %llu..%llu", key, v,
				(unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int sd_vm_opts_parse(const struct oci_map *ann, struct sd_vm_opts *o, struct volt_error *err)
{
	*o = (struct sd_vm_opts){.vcpus = 1, .mem_mib = SD_CFG_MEM_DEFAULT_MIB, .boot_timeout_s = 120};
	uint64_t v;
	const char *s;
	if ((s = oci_map_get(ann, SD_ANN_VCPUS))) {
		if (parse_u64(SD_ANN_VCPUS, s, 1, SD_CFG_VCPUS_MAX, &v, err) < 0)
			return -1;
		o->vcpus = (uint32_t)v;
	}
	if ((s = oci_map_get(ann, SD_ANN_MEMORY))) {
		if (parse_u64(SD_ANN_MEMORY, s, SD_CFG_MEM_MIN_MIB, SD_CFG_MEM_MAX_MIB, &o->mem_mib, err) < 0)
			return -1;
	}
	if ((s = oci_map_get(ann, SD_ANN_BOOT_TIMEOUT))) {
		if (parse_u64(SD_ANN_BOOT_TIMEOUT, s, 1, 3600, &v, err) < 0)
			return -1;
		o->boot_timeout_s = (uint32_t)v;
	}
	if ((s = oci_map_get(ann, SD_ANN_EPHEMERAL))) {
		if (strcmp(s, "true") == 0)
			o->ephemeral = true;
		else if (strcmp(s, "false") != 0)
			return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not true or false",
					SD_ANN_EPHEMERAL, s);
	}
	if ((s = oci_map_get(ann, SD_ANN_KERNEL))) {
		if (s[0] != '/')
			return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not an absolute path",
					SD_ANN_KERNEL, s);
		o->kernel = s;
	}
	if ((s = oci_map_get(ann, SD_ANN_MODULES))) {
		if (s[0] != '/')
			return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not an absolute path",
					SD_ANN_MODULES, s);
		o->modules = s;
	}
	if ((s = oci_map_get(ann, SD_ANN_CMDLINE))) {
		if (strlen(s) > 512)
			return volt_err(err, -E2BIG, "annotations.%s: longer than 512 bytes", SD_ANN_CMDLINE);
		o->cmdline = s;
	}
	return 0;
}

int sd_kernel_version_from_path(const char *path, char *buf, size_t cap, struct volt_error *err)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *prefixes[] = {"vmlinuz-", "vmlinux-"};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(base, prefixes[i], n) == 0 && base[n] && !strchr(base + n, '/') &&
		    strcmp(base + n, "..") != 0 && strcmp(base + n, ".") != 0) {
			if ((size_t)snprintf(buf, cap, "%s", base + n) >= cap)
				return volt_err(err, -ENAMETOOLONG, "kernel %s: version too long", path);
			return 0;
		}
	}
	return volt_err(err, -EINVAL,
			"kernel %s: no version in its name (vmlinuz-VERSION); set annotation " SD_ANN_MODULES,
			path);
}
