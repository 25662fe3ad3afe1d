/* What really applies to a container's init, read back from the kernel
 * (/proc/PID/status, /proc/PID/ns, uid_map) and, for what the kernel cannot
 * report (Landlock rules, profile names, seccomp rule counts), from the saved
 * config with the named profiles applied; the weak spots of that picture
 * (audit) and what the host offers (check). Gathering reads files; the
 * parsing, the findings and the score are pure so unit tests feed them
 * fixtures. */
#ifndef VOLT_RUNTIME_INSPECT_H
#define VOLT_RUNTIME_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"
#include "runtime/container.h"

/* "CAP_SYS_ADMIN" for 21; NULL past the last known capability. */
const char *volt_cap_name(unsigned cap);
/* mask as "CAP_A,CAP_B" (unknown bits as "CAP_41"); "" for 0. Truncates to len. */
void volt_cap_mask_names(uint64_t mask, char *buf, size_t len);

/* The security lines of /proc/PID/status. -1: the line was missing. */
struct volt_proc_sec {
	int seccomp;	     /* 0 off, 1 strict, 2 filter */
	int seccomp_filters; /* number of attached filters */
	int no_new_privs;
	long uid, gid; /* real ids as the host sees them */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
};

/* Parse the text of a status file. Fails when the Cap* lines are absent. */
int volt_proc_status_parse(const char *text, struct volt_proc_sec *out);

#define VOLT_IDMAP_MAX 16
struct volt_idmaps {
	struct oci_idmap v[VOLT_IDMAP_MAX];
	size_t n;
};
/* uid_map/gid_map text ("0 65536 65536\n" lines). */
int volt_idmap_parse(const char *text, struct volt_idmaps *out);

/* Whether a namespace of the init is its own or the runtime's. */
struct volt_ns_view {
	const char *name; /* "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time" */
	bool present;	  /* the kernel has this namespace type */
	bool is_new;	  /* differs from the runtime's own */
	char link[64];	  /* "pid:[4026532...]" */
};
#define VOLT_INSPECT_NS 8

/* A cgroup limit: set false when no limit ("max" / v1's huge value). */
struct volt_limit {
	bool known;
	bool limited;
	uint64_t value;
};

struct volt_inspect {
	pid_t pid;
	struct volt_proc_sec proc;
	struct volt_ns_view ns[VOLT_INSPECT_NS];
	struct volt_idmaps uid_map, gid_map;
	/* The saved config with the named profiles applied (NULL if unreadable). */
	struct oci_config *config;
	const char *seccomp_profile, *landlock_profile, *caps_profile; /* annotation values or NULL */
	struct volt_limit memory, pids;
};

void volt_inspect_release(struct volt_inspect *in);

/* The namespace of a type by its /proc name, NULL if unknown. */
const struct volt_ns_view *volt_inspect_ns(const struct volt_inspect *in, const char *name);

/* Everything about container id's live init. A stopped container is an
 * error: "container \"ID\" is not running". */
int volt_inspect_gather(const struct volt_ctx *ctx, const char *id, struct volt_inspect *in,
			struct volt_error *err);

/* Landlock access-right names ("execute", "write_file", ... / "bind_tcp") of
 * a mask, comma separated. */
void volt_landlock_fs_names(uint64_t mask, char *buf, size_t len);
void volt_landlock_net_names(uint64_t mask, char *buf, size_t len);

enum volt_severity { VOLT_SEV_LOW, VOLT_SEV_MEDIUM, VOLT_SEV_HIGH };
const char *volt_severity_name(enum volt_severity s);

struct volt_finding {
	enum volt_severity severity;
	char check[24]; /* short key: "seccomp", "cap_sys_admin", "host_net", ... */
	char message[200];
};

#define VOLT_FINDINGS_MAX 48
struct volt_findings {
	struct volt_finding v[VOLT_FINDINGS_MAX];
	size_t n;
};

/* The weak spots of what in describes. Pure. */
void volt_audit(const struct volt_inspect *in, struct volt_findings *out);
/* 100 minus a weight per finding (high 15, medium 8, low 3), at least 0. */
int volt_audit_score(const struct volt_findings *f);

/* The host's security features. */
struct volt_host_item {
	const char *name; /* "kernel", "landlock", ... */
	bool ok;
	long value; /* a number worth reporting (Landlock ABI), -1 if none */
	char detail[128];
};
#define VOLT_HOST_ITEMS 8
void volt_host_check(const char *cgroup_root, struct volt_host_item items[VOLT_HOST_ITEMS], size_t *n);

#endif
