/* The pure parts of inspect: capability and Landlock names, and the text of
 * /proc/PID/status and uid_map. A table of our own instead of libcap's
 * cap_to_name: libcap prints lowercase and, on an older libcap, numbers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/inspect.h"

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

const char *volt_cap_name(unsigned cap)
{
	return cap < sizeof cap_names / sizeof cap_names[0] ? cap_names[cap] : NULL;
}

/* Append s to buf (comma first unless empty), truncating safely. */
static void append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
}

void volt_cap_mask_names(uint64_t mask, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned cap = 0; cap < 64; cap++) {
		if (!((mask >> cap) & 1))
			continue;
		char num[16];
		const char *n = volt_cap_name(cap);
		if (!n) {
			snprintf(num, sizeof num, "CAP_%u", cap);
			n = num;
		}
		append(buf, len, n);
	}
}

static const char *const ll_fs_names[] = {
    "execute",	 "write_file", "read_file", "read_dir",	 "remove_dir", "remove_file",
    "make_char", "make_dir",   "make_reg",  "make_sock", "make_fifo",  "make_block",
    "make_sym",	 "refer",      "truncate",  "ioctl_dev",
};
static const char *const ll_net_names[] = {"bind", "connect"};

static void bit_names(uint64_t mask, const char *const *names, size_t n, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned b = 0; b < 64; b++) {
		if (!((mask >> b) & 1))
			continue;
		char num[16];
		const char *s = names[b < n ? b : 0];
		if (b >= n) {
			snprintf(num, sizeof num, "bit%u", b);
			s = num;
		}
		append(buf, len, s);
	}
}

void volt_landlock_fs_names(uint64_t mask, char *buf, size_t len)
{
	bit_names(mask, ll_fs_names, sizeof ll_fs_names / sizeof ll_fs_names[0], buf, len);
}

void volt_landlock_net_names(uint64_t mask, char *buf, size_t len)
{
	bit_names(mask, ll_net_names, sizeof ll_net_names / sizeof ll_net_names[0], buf, len);
}

/* The value after "Key:" on a line of its own, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return p + klen + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int int_field(const char *text, const char *key)
{
	const char *v = field(text, key);
	return v ? (int)strtol(v, NULL, 10) : -1;
}

static int hex_field(const char *text, const char *key, uint64_t *out)
{
	const char *v = field(text, key);
	if (!v)
		return -1;
	char *end;
	errno = 0;
	*out = strtoull(v, &end, 16);
	return errno || end == v ? -1 : 0;
}

int volt_proc_status_parse(const char *text, struct volt_proc_sec *out)
{
	memset(out, 0, sizeof *out);
	out->seccomp = int_field(text, "Seccomp");
	out->seccomp_filters = int_field(text, "Seccomp_filters");
	out->no_new_privs = int_field(text, "NoNewPrivs");
	const char *u = field(text, "Uid"), *g = field(text, "Gid");
	out->uid = u ? strtol(u, NULL, 10) : -1;
	out->gid = g ? strtol(g, NULL, 10) : -1;
	if (hex_field(text, "CapInh", &out->cap_inh) < 0 || hex_field(text, "CapPrm", &out->cap_prm) < 0 ||
	    hex_field(text, "CapEff", &out->cap_eff) < 0 || hex_field(text, "CapBnd", &out->cap_bnd) < 0)
		return -1;
	/* CapAmb is younger (4.3); its absence only means "none". */
	if (hex_field(text, "CapAmb", &out->cap_amb) < 0)
		out->cap_amb = 0;
	return 0;
}

int volt_idmap_parse(const char *text, struct volt_idmaps *out)
{
	out->n = 0;
	for (const char *p = text; p && *p;) {
		unsigned long a, b, c;
		int used = 0;
		if (sscanf(p, " %lu %lu %lu%n", &a, &b, &c, &used) != 3)
			break;
		if (out->n == VOLT_IDMAP_MAX)
			return -1;
		out->v[out->n++] = (struct oci_idmap){(uint32_t)a, (uint32_t)b, (uint32_t)c};
		p = strchr(p + used, '\n');
		if (p)
			p++;
	}
	return 0;
}
