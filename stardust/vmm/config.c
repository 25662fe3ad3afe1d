#include "stardust/vmm/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stardust/vmm/jail.h"
#include "stardust/vmm/virtio/net.h"

const char sd_vm_usage[] =
    "usage: stardust-vmm --kernel FILE [--initrd FILE] [--cmdline STRING] [--mem MiB] [--vcpus N]\n"
    "                    [--disk FILE[,ro]] [--console-in FD|PATH --console-out FD|PATH]\n"
    "                    [--net-tap NAME[,mac=XX:XX:XX:XX:XX:XX] | --net-fd FD[,mac=...]]\n"
    "                    [--serial] [--no-seccomp] [--no-jail] [--kvm DEVICE] [--user UID:GID|keep]\n"
    "The jail switches a monitor started as root to --user (default 65534:65534) once everything is open.\n"
    "Exit status: the byte the guest wrote to port 0x501, 0 on a clean power-off, 1 on error.\n";

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		     struct volt_error *err)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return volt_err(err, -EINVAL, "%s: \"%s\" is not a number in %llu..%llu", opt, s,
				(unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* UID:GID (numbers, not 0: root without capabilities is what the switch
 * avoids), or "keep". */
static int parse_user(const char *s, struct sd_vm_config *cfg, struct volt_error *err)
{
	if (!strcmp(s, "keep")) {
		cfg->uid = (uid_t)-1;
		cfg->gid = (gid_t)-1;
		return 0;
	}
	char uid[16];
	const char *colon = strchr(s, ':');
	uint64_t u, g;
	if (!colon || (size_t)(colon - s) >= sizeof uid)
		return volt_err(err, -EINVAL, "--user: \"%s\" is not UID:GID or keep", s);
	memcpy(uid, s, (size_t)(colon - s));
	uid[colon - s] = 0;
	if (parse_u64("--user (uid)", uid, 1, 0xfffffffe, &u, err) < 0 ||
	    parse_u64("--user (gid)", colon + 1, 1, 0xfffffffe, &g, err) < 0)
		return -1;
	cfg->uid = (uid_t)u;
	cfg->gid = (gid_t)g;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int endpoint(const char *opt, const char *s, int *fd, const char **path, struct volt_error *err)
{
	if (!*s)
		return volt_err(err, -EINVAL, "%s: empty", opt);
	if (all_digits(s)) {
		uint64_t v;
		if (parse_u64(opt, s, 0, 1 << 20, &v, err) < 0)
			return -1;
		*fd = (int)v;
		*path = NULL;
	} else {
		*fd = -1;
		*path = s;
	}
	return 0;
}

static int disk(struct sd_vm_config *cfg, const char *s, struct volt_error *err)
{
	size_t n = strlen(s);
	cfg->disk_ro = false;
	if (n >= 3 && strcmp(s + n - 3, ",ro") == 0) {
		cfg->disk_ro = true;
		n -= 3;
	} else if (n >= 3 && strcmp(s + n - 3, ",rw") == 0) {
		n -= 3;
	}
	if (n == 0 || n >= sizeof(cfg->disk_buf))
		return volt_err(err, -EINVAL, "--disk: \"%s\" is not FILE[,ro]", s);
	memcpy(cfg->disk_buf, s, n);
	cfg->disk_buf[n] = 0;
	cfg->disk = cfg->disk_buf;
	return 0;
}

/* What the kernel's dev_valid_name accepts, minus ',' (our separator). */
static bool ifname_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 16 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ',' || s[i] == ' ' ||
		    (s[i] >= '\t' && s[i] <= '\r'))
			return false;
	return true;
}

/* --net-tap NAME[,mac=M] and --net-fd FD[,mac=M]. */
static int net(struct sd_vm_config *cfg, const char *opt, const char *s, struct volt_error *err)
{
	if (cfg->net)
		return volt_err(err, -EINVAL, "%s: only one network device (--net-tap or --net-fd)", opt);
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);
	if (comma) {
		if (strncmp(comma, ",mac=", 5) != 0)
			return volt_err(err, -EINVAL,
					"%s: \"%s\": only \",mac=XX:XX:XX:XX:XX:XX\" may follow", opt, s);
		if (sd_vm_net_parse_mac(comma + 5, cfg->net_mac, err) < 0)
			return volt_err_ctx(err, "%s", opt);
		cfg->net_mac_set = true;
	}
	if (n >= sizeof(cfg->net_buf))
		return volt_err(err, -EINVAL, "%s: \"%s\" is too long", opt, s);
	memcpy(cfg->net_buf, s, n);
	cfg->net_buf[n] = 0;
	if (!strcmp(opt, "--net-tap")) {
		if (!ifname_ok(s, n))
			return volt_err(err, -EINVAL,
					"%s: \"%s\" is not an interface name (1..15 bytes, no /:, or spaces)",
					opt, cfg->net_buf);
		cfg->net_tap = cfg->net_buf;
	} else {
		uint64_t v;
		if (!all_digits(cfg->net_buf))
			return volt_err(err, -EINVAL, "%s: \"%s\" is not a file descriptor number", opt,
					cfg->net_buf);
		if (parse_u64(opt, cfg->net_buf, 0, 1 << 20, &v, err) < 0)
			return -1;
		cfg->net_fd = (int)v;
	}
	cfg->net = true;
	return 0;
}

int sd_vm_config_parse(struct sd_vm_config *cfg, int argc, char *const argv[], struct volt_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_mib = SD_CFG_MEM_DEFAULT_MIB;
	cfg->vcpus = 1;
	cfg->seccomp = true;
	cfg->jail = true;
	cfg->uid = SD_JAIL_DEFAULT_ID;
	cfg->gid = SD_JAIL_DEFAULT_ID;
	cfg->console_in_fd = cfg->console_out_fd = -1;
	cfg->net_fd = -1;
	bool have_in = false, have_out = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0)
			return volt_err(err, -EINVAL, "unexpected argument \"%s\"", a);
		char name[32];
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (nlen >= sizeof(name))
			return volt_err(err, -EINVAL, "unknown option \"%s\"", a);
		memcpy(name, a, nlen);
		name[nlen] = 0;

		/* Flags first: they take no value. */
		bool *flag = NULL;
		bool flag_value = true;
		if (!strcmp(name, "--serial"))
			flag = &cfg->serial;
		else if (!strcmp(name, "--no-seccomp"))
			flag = &cfg->seccomp, flag_value = false;
		else if (!strcmp(name, "--no-jail"))
			flag = &cfg->jail, flag_value = false;
		else if (!strcmp(name, "--help") || !strcmp(name, "-h"))
			flag = &cfg->help;
		if (flag) {
			if (eq)
				return volt_err(err, -EINVAL, "%s takes no value", name);
			*flag = flag_value;
			continue;
		}

		const char *val = eq ? eq + 1 : NULL;
		if (!val) {
			if (i + 1 >= argc)
				return volt_err(err, -EINVAL, "%s needs a value", name);
			val = argv[++i];
		}
		uint64_t v;
		if (!strcmp(name, "--kernel")) {
			cfg->kernel = val;
		} else if (!strcmp(name, "--initrd")) {
			cfg->initrd = val;
		} else if (!strcmp(name, "--cmdline")) {
			cfg->cmdline = val;
		} else if (!strcmp(name, "--mem") || !strcmp(name, "--memory")) {
			if (parse_u64(name, val, SD_CFG_MEM_MIN_MIB, SD_CFG_MEM_MAX_MIB, &v, err) < 0)
				return -1;
			cfg->mem_mib = v;
		} else if (!strcmp(name, "--vcpus")) {
			if (parse_u64(name, val, 1, SD_CFG_VCPUS_MAX, &v, err) < 0)
				return -1;
			cfg->vcpus = (uint32_t)v;
		} else if (!strcmp(name, "--disk")) {
			if (disk(cfg, val, err) < 0)
				return -1;
		} else if (!strcmp(name, "--console-in")) {
			if (endpoint(name, val, &cfg->console_in_fd, &cfg->console_in_path, err) < 0)
				return -1;
			have_in = true;
		} else if (!strcmp(name, "--console-out")) {
			if (endpoint(name, val, &cfg->console_out_fd, &cfg->console_out_path, err) < 0)
				return -1;
			have_out = true;
		} else if (!strcmp(name, "--net-tap") || !strcmp(name, "--net-fd")) {
			if (net(cfg, name, val, err) < 0)
				return -1;
		} else if (!strcmp(name, "--kvm")) {
			cfg->kvm_dev = val;
		} else if (!strcmp(name, "--user")) {
			if (parse_user(val, cfg, err) < 0)
				return -1;
		} else {
			return volt_err(err, -EINVAL, "unknown option \"%s\"", name);
		}
	}
	if (cfg->help)
		return 0;
	if (!cfg->kernel || !*cfg->kernel)
		return volt_err(err, -EINVAL, "--kernel is required");
	if (have_in != have_out)
		return volt_err(err, -EINVAL, "--console-in and --console-out go together");
	cfg->console = have_in;
	return 0;
}

int sd_vm_cmdline(const struct sd_vm_config *cfg, char *buf, size_t cap, struct volt_error *err)
{
	/* Why each parameter (measured under nested KVM, see the notes):
	 * quiet: every console byte is an exit; pci=off: there is no PCI;
	 * io_delay=none: port 0x80 writes are exits for nothing;
	 * initcall_blacklist=cmos_init: no RTC to poll; panic=-1: a panic
	 * resets at once, which ends the VM (SD_STOP_RESET) instead of
	 * hanging. The UART is probed only when it exists. */
	int n = snprintf(buf, cap, "quiet panic=-1 pci=off io_delay=none initcall_blacklist=cmos_init %s%s%s",
			 cfg->serial ? "console=ttyS0 8250.nr_uarts=1" : "8250.nr_uarts=0",
			 cfg->cmdline && *cfg->cmdline ? " " : "", cfg->cmdline ? cfg->cmdline : "");
	if (n < 0 || (size_t)n >= cap)
		return volt_err(err, -E2BIG, "kernel command line longer than %zu bytes", cap);
	return 0;
}
