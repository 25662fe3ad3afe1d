/* The weak spots of a container's security picture and a score. Pure: it
 * only reads a struct volt_inspect, so unit tests build one by hand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/inspect.h"
#include "runtime/seccomp.h"

const char *volt_severity_name(enum volt_severity s)
{
	switch (s) {
	case VOLT_SEV_HIGH:
		return "high";
	case VOLT_SEV_MEDIUM:
		return "medium";
	case VOLT_SEV_LOW:
		break;
	}
	return "low";
}

__attribute__((format(printf, 4, 5))) static void add(struct volt_findings *f, enum volt_severity sev,
						      const char *check, const char *fmt, ...)
{
	if (f->n == VOLT_FINDINGS_MAX)
		return;
	struct volt_finding *x = &f->v[f->n++];
	x->severity = sev;
	snprintf(x->check, sizeof x->check, "%s", check);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof x->message, fmt, ap);
	va_end(ap);
}

/* Capabilities that hand out most of the host, or a way around the other
 * layers. */
static const struct {
	unsigned cap;
	enum volt_severity sev;
	const char *why;
} dangerous_caps[] = {
    {21, VOLT_SEV_HIGH, "near-root: mounts, namespaces, many escapes"},	   /* SYS_ADMIN */
    {16, VOLT_SEV_HIGH, "can load kernel modules"},			   /* SYS_MODULE */
    {17, VOLT_SEV_HIGH, "raw I/O on devices and ports"},		   /* SYS_RAWIO */
    {19, VOLT_SEV_HIGH, "can trace and inject into processes"},		   /* SYS_PTRACE */
    {2, VOLT_SEV_HIGH, "bypasses read checks; open_by_handle_at escapes"}, /* DAC_READ_SEARCH */
    {39, VOLT_SEV_HIGH, "can load BPF programs"},			   /* BPF */
    {33, VOLT_SEV_HIGH, "can change the MAC policy"},			   /* MAC_ADMIN */
    {32, VOLT_SEV_HIGH, "bypasses the MAC policy"},			   /* MAC_OVERRIDE */
    {12, VOLT_SEV_MEDIUM, "can reconfigure the network"},		   /* NET_ADMIN */
    {22, VOLT_SEV_MEDIUM, "can reboot or kexec"},			   /* SYS_BOOT */
    {25, VOLT_SEV_MEDIUM, "can set the system clock"},			   /* SYS_TIME */
    {38, VOLT_SEV_MEDIUM, "can use perf events on the host"},		   /* PERFMON */
    {34, VOLT_SEV_MEDIUM, "can read the kernel log"},			   /* SYSLOG */
    {13, VOLT_SEV_LOW, "raw sockets (spoofing)"},			   /* NET_RAW */
};

static enum volt_severity lower(enum volt_severity s)
{
	return s == VOLT_SEV_HIGH ? VOLT_SEV_MEDIUM : VOLT_SEV_LOW;
}

static bool ns_is_host(const struct volt_inspect *in, const char *name)
{
	const struct volt_ns_view *v = volt_inspect_ns(in, name);
	return v && v->present && !v->is_new;
}

static void audit_seccomp(const struct volt_inspect *in, struct volt_findings *f)
{
	const struct oci_seccomp *s = in->config ? &in->config->linux.seccomp : NULL;
	if (in->proc.seccomp <= 0) {
		add(f, VOLT_SEV_HIGH, "seccomp", "no seccomp filter: every syscall is allowed");
		return;
	}
	if (in->proc.seccomp == 2 && in->proc.seccomp_filters <= 1 && !(s && s->present)) {
		add(f, VOLT_SEV_MEDIUM, "seccomp",
		    "only the runtime's guard filter: no syscall filter from the config or a profile");
		return;
	}
	if (s && s->present && s->default_action && strcmp(s->default_action, "SCMP_ACT_ALLOW") == 0)
		add(f, VOLT_SEV_LOW, "seccomp_denylist",
		    "seccomp default action is SCMP_ACT_ALLOW: a deny list misses new syscalls");
	if (s && s->present && s->default_action && strcmp(s->default_action, "SCMP_ACT_LOG") == 0)
		add(f, VOLT_SEV_MEDIUM, "seccomp_audit",
		    "seccomp is in audit mode (SCMP_ACT_LOG): nothing is denied");
	else if (in->config && volt_seccomp_audit_requested(&in->config->annotations))
		add(f, VOLT_SEV_MEDIUM, "seccomp_audit",
		    "seccomp is in audit mode (" VOLT_ANN_SECCOMP_AUDIT
		    "=true): its denials are only logged");
}

static void audit_caps(const struct volt_inspect *in, bool userns, struct volt_findings *f)
{
	for (size_t i = 0; i < sizeof dangerous_caps / sizeof dangerous_caps[0]; i++) {
		unsigned cap = dangerous_caps[i].cap;
		const char *name = volt_cap_name(cap);
		char key[24];
		snprintf(key, sizeof key, "%s", name);
		for (char *p = key; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		enum volt_severity sev = dangerous_caps[i].sev;
		/* In a user namespace a capability only covers what that namespace owns. */
		if (userns)
			sev = lower(sev);
		if ((in->proc.cap_eff >> cap) & 1)
			add(f, sev, key, "%s is effective: %s%s", name, dangerous_caps[i].why,
			    userns ? " (within the user namespace)" : "");
		else if ((in->proc.cap_bnd >> cap) & 1)
			add(f, lower(sev), key,
			    "%s is in the bounding set: a setuid or file-capability binary can gain it",
			    name);
	}
}

static void audit_namespaces(const struct volt_inspect *in, struct volt_findings *f)
{
	static const struct {
		const char *ns;
		enum volt_severity sev;
		const char *why;
	} host_ns[] = {
	    {"pid", VOLT_SEV_HIGH, "sees and signals every host process"},
	    {"net", VOLT_SEV_HIGH, "shares the host's network stack and ports"},
	    {"mnt", VOLT_SEV_HIGH, "shares the host's mounts"},
	    {"ipc", VOLT_SEV_MEDIUM, "shares the host's SysV IPC and POSIX queues"},
	    {"uts", VOLT_SEV_MEDIUM, "can change the host's hostname"},
	    {"cgroup", VOLT_SEV_LOW, "sees the host's cgroup tree"},
	};
	for (size_t i = 0; i < sizeof host_ns / sizeof host_ns[0]; i++) {
		if (!ns_is_host(in, host_ns[i].ns))
			continue;
		char key[24];
		snprintf(key, sizeof key, "host_%s", host_ns[i].ns);
		add(f, host_ns[i].sev, key, "host %s namespace: %s", host_ns[i].ns, host_ns[i].why);
	}
	if (ns_is_host(in, "user")) {
		if (in->proc.uid == 0)
			add(f, VOLT_SEV_MEDIUM, "no_userns",
			    "no user namespace: container root is host root");
		else
			add(f, VOLT_SEV_LOW, "no_userns",
			    "no user namespace: the process runs as host uid %ld", in->proc.uid);
	}
}

static void audit_limit(const struct volt_limit *l, const char *what, const char *key,
			struct volt_findings *f)
{
	if (!l->known)
		add(f, VOLT_SEV_LOW, key, "%s limit unknown: the container's cgroup file could not be read",
		    what);
	else if (!l->limited)
		add(f, VOLT_SEV_MEDIUM, key, "no %s limit", what);
}

void volt_audit(const struct volt_inspect *in, struct volt_findings *f)
{
	f->n = 0;
	audit_seccomp(in, f);
	audit_caps(in, !ns_is_host(in, "user"), f);
	audit_namespaces(in, f);
	audit_limit(&in->memory, "memory", "no_memory_limit", f);
	audit_limit(&in->pids, "pids", "no_pids_limit", f);
	if (in->config && !in->config->root.readonly)
		add(f, VOLT_SEV_LOW, "writable_rootfs",
		    "the root filesystem is writable (root.readonly is false)");
	if (in->proc.no_new_privs != 1)
		add(f, VOLT_SEV_MEDIUM, "no_new_privs",
		    "NoNewPrivs is 0: setuid binaries can raise privileges");
	if (!in->config || !in->config->process.landlock.present)
		add(f, VOLT_SEV_LOW, "no_landlock",
		    "no Landlock ruleset: filesystem access is not restricted");
}

int volt_audit_score(const struct volt_findings *f)
{
	int score = 100;
	for (size_t i = 0; i < f->n; i++) {
		switch (f->v[i].severity) {
		case VOLT_SEV_HIGH:
			score -= 15;
			break;
		case VOLT_SEV_MEDIUM:
			score -= 8;
			break;
		case VOLT_SEV_LOW:
			score -= 3;
			break;
		}
	}
	return score < 0 ? 0 : score;
}
