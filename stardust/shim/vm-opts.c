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

/* What the kernel's dev_valid_name() takes, minus ',' and '=', which would
 * end the name in stardust-vmm's "--net-tap NAME,mac=M". */
static int check_tap(const char *s, struct volt_error *err)
{
	size_t len = strlen(s);
	if (len == 0 || len > 15)
		return volt_err(err, -EINVAL, "annotations.%s: \"%s\" is not 1..15 bytes long",
				SD_ANN_NET_TAP, s);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strpbrk(s, "/:,= \t\n\r\v\f"))
		return volt_err(
		    err, -EINVAL,
		    "annotations.%s: \"%s\" is not an interface name (no '/', ':', ',', '=', blanks, "
		    "\".\" or \"..\")",
		    SD_ANN_NET_TAP, s);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return volt_err(err, -EINVAL, "annotations.%s: control character in the name",
					SD_ANN_NET_TAP);
	return 0;
}

/* The monitor checks it too, but only once the VM is being started: here
 * create fails before anything is built. */
static int check_mac(const char *s, struct volt_error *err)
{
	uint8_t m[SD_VM_NET_MAC_LEN];
	if (sd_vm_net_parse_mac(s, m, err) < 0)
		return volt_err_ctx(err, "annotations.%s", SD_ANN_NET_MAC);
	return 0;
}

static int parse_net(const struct oci_map *ann, struct sd_vm_opts *o, struct volt_error *err)
{
	const char *tap = oci_map_get(ann, SD_ANN_NET_TAP), *mac = oci_map_get(ann, SD_ANN_NET_MAC),
		   *addr = oci_map_get(ann, SD_ANN_NET_ADDRESS), *gw = oci_map_get(ann, SD_ANN_NET_GATEWAY);
	const char *orphan = mac    ? SD_ANN_NET_MAC
			     : addr ? SD_ANN_NET_ADDRESS
			     : gw   ? SD_ANN_NET_GATEWAY
				    : NULL;
	if (!tap) {
		if (orphan)
			return volt_err(err, -EINVAL,
					"annotations.%s: needs %s (the VM has no network without it)", orphan,
					SD_ANN_NET_TAP);
		return 0;
	}
	if (check_tap(tap, err) < 0 || (mac && check_mac(mac, err) < 0))
		return -1;
	o->net_tap = tap;
	o->net_mac = mac;
	o->net.on = true;
	if (addr) {
		if (sd_vm_net_parse_cidr(addr, &o->net.addr, &o->net.prefix, err) < 0)
			return volt_err_ctx(err, "annotations.%s", SD_ANN_NET_ADDRESS);
		o->net.has_addr = true;
	}
	if (gw) {
		if (!addr)
			return volt_err(err, -EINVAL,
					"annotations.%s: needs %s (the gateway must be on its subnet)",
					SD_ANN_NET_GATEWAY, SD_ANN_NET_ADDRESS);
		if (sd_vm_net_parse_gateway(gw, o->net.addr, o->net.prefix, &o->net.gw, err) < 0)
			return volt_err_ctx(err, "annotations.%s", SD_ANN_NET_GATEWAY);
		o->net.has_gw = true;
	}
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
	return parse_net(ann, o, err);
}

int sd_vm_opts_net_tap_arg(const struct sd_vm_opts *o, char *buf, size_t cap, struct volt_error *err)
{
	int n = snprintf(buf, cap, "%s%s%s", o->net_tap ? o->net_tap : "",
			 o->net_tap && o->net_mac ? ",mac=" : "", o->net_tap && o->net_mac ? o->net_mac : "");
	if (n < 0 || (size_t)n >= cap)
		return volt_err(err, -E2BIG, "annotations.%s: --net-tap value too long", SD_ANN_NET_TAP);
	return 0;
}

int sd_vm_opts_guest_cmdline(const struct sd_vm_opts *o, char *buf, size_t cap, struct volt_error *err)
{
	char net[96];
	if (sd_vm_net_param(&o->net, net, sizeof net, err) < 0)
		return -1;
	const char *user = o->cmdline ? o->cmdline : "";
	int n = snprintf(buf, cap, "%s%s%s", user, *user && *net ? " " : "", net);
	if (n < 0 || (size_t)n >= cap)
		return volt_err(err, -E2BIG,
				"annotations.%s: the guest command line is longer than %zu bytes",
				SD_ANN_CMDLINE, cap);
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
