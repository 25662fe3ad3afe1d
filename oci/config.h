/* Typed view of an OCI runtime-spec config.json (1.0.x - 1.3.x).
 * Everything hangs off one arena owned by struct oci_config; free it with
 * oci_config_free(). Optional scalars carry a has_ flag; absent strings are NULL;
 * absent arrays have n == 0. */
#ifndef VOLT_OCI_CONFIG_H
#define VOLT_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"

struct oci_strv {
	char **v; /* NULL-terminated, n entries */
	size_t n;
};

struct oci_kv {
	char *key;
	char *value;
};

struct oci_map {
	struct oci_kv *v;
	size_t n;
};

/* Returns the value for key or NULL. */
const char *oci_map_get(const struct oci_map *m, const char *key);

struct oci_rlimit {
	char *type;   /* "RLIMIT_NOFILE" */
	int resource; /* RLIMIT_NOFILE */
	uint64_t soft, hard;
};

struct oci_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;
};

struct oci_capabilities {
	bool present;
	bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
	struct oci_strv bounding, effective, inheritable, permitted, ambient;
};

/* process.landlock, in the shape proposed for the runtime-spec (PR #1241).
 * Access masks are the kernel's LANDLOCK_ACCESS_* bits: names are mapped at
 * parse time, integers are taken as they are. */
struct oci_landlock_path_rule {
	uint64_t allowed_access;
	struct oci_strv paths;
};

struct oci_landlock_port_rule {
	uint64_t allowed_access;
	uint64_t *ports;
	size_t n_ports;
};

struct oci_landlock {
	bool present;
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	struct oci_landlock_path_rule *path_beneath;
	size_t n_path_beneath;
	struct oci_landlock_port_rule *network_port;
	size_t n_network_port;
	bool enable_best_effort; /* absent means true */
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	struct oci_user user;
	struct oci_strv args; /* required, non-empty */
	char *command_line;
	struct oci_strv env;
	char *cwd; /* required, absolute */
	struct oci_capabilities capabilities;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *selinux_label;
	struct oci_landlock landlock;
};

struct oci_root {
	char *path; /* required */
	bool readonly;
};

struct oci_mount {
	char *destination; /* required, absolute */
	char *type;
	char *source;
	struct oci_strv options;
};

struct oci_hook {
	char *path; /* required, absolute */
	struct oci_strv args;
	struct oci_strv env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK__COUNT
};

/* "prestart", "createRuntime", ... */
const char *oci_hook_kind_name(enum oci_hook_kind k);

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS__COUNT
};

/* "pid", "network", ... and the CLONE_NEW* flag of each. */
const char *oci_ns_name(enum oci_ns_type t);
int oci_ns_clone_flag(enum oci_ns_type t);

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: create a new one */
};

struct oci_idmap {
	uint32_t container_id, host_id, size;
};

struct oci_device {
	char *path; /* required */
	char type;  /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_file_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
};

struct oci_opt_i64 {
	bool set;
	int64_t v;
};
struct oci_opt_u64 {
	bool set;
	uint64_t v;
};
struct oci_opt_bool {
	bool set;
	bool v;
};

struct oci_device_rule {
	bool allow;
	char type;     /* 'a', 'c', 'b'; 'a' when absent */
	int64_t major; /* -1: any */
	int64_t minor; /* -1: any */
	char *access;  /* "rwm" subset; NULL: all */
};

struct oci_memory {
	struct oci_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
	struct oci_opt_u64 swappiness;
	struct oci_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct oci_cpu {
	struct oci_opt_u64 shares, period, realtime_period, burst;
	struct oci_opt_i64 quota, realtime_runtime, idle;
	char *cpus, *mems;
};

struct oci_blkio_weight_device {
	int64_t major, minor;
	struct oci_opt_u64 weight, leaf_weight;
};
struct oci_blkio_throttle {
	int64_t major, minor;
	uint64_t rate;
};
struct oci_blkio {
	struct oci_opt_u64 weight, leaf_weight;
	struct oci_blkio_weight_device *weight_device;
	size_t n_weight_device;
	struct oci_blkio_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
	    *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
};

struct oci_hugepage_limit {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct oci_net_priority {
	char *name;
	uint32_t priority;
};

struct oci_resources {
	bool present;
	struct oci_device_rule *devices;
	size_t n_devices;
	bool has_memory, has_cpu, has_pids, has_blkio, has_network;
	struct oci_memory memory;
	struct oci_cpu cpu;
	struct oci_opt_i64 pids_limit;
	struct oci_blkio blkio;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct oci_opt_u64 net_class_id;
	struct oci_net_priority *net_priorities;
	size_t n_net_priorities;
	struct oci_map unified;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value, value_two;
	char *op; /* "SCMP_CMP_EQ" ... */
};

struct oci_seccomp_syscall {
	struct oci_strv names;
	char *action; /* "SCMP_ACT_ERRNO" ... */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	bool present;
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	struct oci_strv architectures;
	struct oci_strv flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct oci_resources resources;
	struct oci_map sysctl;
	char *rootfs_propagation; /* "private", "rprivate", "slave", ... or NULL */
	struct oci_strv masked_paths;
	struct oci_strv readonly_paths;
	char *mount_label;
	struct oci_seccomp seccomp;
	struct oci_time_offset time_monotonic, time_boottime;
	char *personality_domain;
};

struct oci_config {
	struct volt_arena arena;
	char *oci_version;    /* required */
	struct oci_root root; /* required on Linux (we require it) */
	bool has_process;
	struct oci_process process;
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK__COUNT];
	struct oci_map annotations;
	bool has_linux;
	struct oci_linux linux;
};

/* Parse a config.json document. Unknown fields are ignored; a wrong type or
 * a missing required field fails with the JSON path in err->msg
 * ("process.args: expected array of strings"). */
int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct volt_error *err);
/* Read and parse a file; errors name the file. */
int oci_config_load(const char *path, struct oci_config **out, struct volt_error *err);
/* The same, and hand back the file's text (malloc'd): create saves exactly
 * the bytes it applied. */
int oci_config_load_text(const char *path, struct oci_config **out, char **text, struct volt_error *err);
void oci_config_free(struct oci_config *c);
static inline void oci_config_freep(struct oci_config **c)
{
	oci_config_free(*c);
}
#define _cleanup_config_ __attribute__((cleanup(oci_config_freep)))

/* Find the namespace entry of a type, or NULL. */
const struct oci_namespace *oci_config_namespace(const struct oci_config *c, enum oci_ns_type t);

/* A standalone process.json (exec --process) and LinuxResources (update):
 * allocated in the given arena. */
int oci_process_parse(struct volt_arena *a, const char *json, size_t len, struct oci_process *out,
		      struct volt_error *err);
int oci_resources_parse(struct volt_arena *a, const char *json, size_t len, struct oci_resources *out,
			struct volt_error *err);

/* rlimit name ("RLIMIT_NOFILE") to resource number, -1 if unknown. */
int oci_rlimit_from_name(const char *name);

#endif
