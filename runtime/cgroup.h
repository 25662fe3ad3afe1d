/* cgroup managers behind one small vtable: v1 (including the v1/v2 hybrid
 * layout, where a cgroup2 mount sits beside the v1 controllers) and pure v2.
 * The lifecycle needs create/enter/procs/kill/destroy; apply writes
 * linux.resources, stats reads the usage counters for `events`. */
#ifndef VOLT_RUNTIME_CGROUP_H
#define VOLT_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"

enum volt_cgroup_layout {
	VOLT_CGROUP_V1,	    /* v1 controllers only */
	VOLT_CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount (e.g. /sys/fs/cgroup/unified) */
	VOLT_CGROUP_V2,	    /* cgroup2 at the root */
};

#define VOLT_CGROUP_MAX_HIER 16

struct volt_cgroup_hier {
	char mountpoint[256];  /* "/sys/fs/cgroup/memory" or the cgroup2 mount */
	char controllers[128]; /* "memory", "cpu,cpuacct", "name=systemd", "" for cgroup2 */
	bool v2;
};

struct volt_cgroup;
struct volt_cgroup_stats;

struct volt_cgroup_ops {
	const char *name; /* "v1", "v2" */
	/* Make the container's cgroup (every hierarchy). Fails with EEXIST if it
	 * already holds processes; an empty leftover is reused. */
	int (*create)(struct volt_cgroup *cg, struct volt_error *err);
	/* Move pid into the container's cgroup in every hierarchy. */
	int (*enter)(struct volt_cgroup *cg, pid_t pid, struct volt_error *err);
	/* Every pid in the cgroup (malloc'd array). */
	int (*procs)(struct volt_cgroup *cg, pid_t **pids, size_t *n, struct volt_error *err);
	/* Remove the cgroup directories (all hierarchies, leaf first). ENOENT is not an error. */
	int (*destroy)(struct volt_cgroup *cg, struct volt_error *err);
	/* Write the resources that are set in r; unset ones are left alone. A
	 * value the host cannot honour is an error naming the field ("<where>.
	 * blockIO.weight", where is "linux.resources" or "resources") and the file. */
	int (*apply)(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		     struct volt_error *err);
	/* Usage counters of every controller there is (absent ones stay zero). */
	int (*stats)(struct volt_cgroup *cg, struct volt_cgroup_stats *st, struct volt_error *err);
};

struct volt_cgroup {
	const struct volt_cgroup_ops *ops;
	enum volt_cgroup_layout layout;
	char path[512]; /* cgroup path relative to each hierarchy root, starts with '/' */
	struct volt_cgroup_hier hier[VOLT_CGROUP_MAX_HIER];
	size_t n_hier;
	char root[256]; /* where the hierarchies are mounted; "/sys/fs/cgroup" unless testing */
	/* Added by the cgroup owner: root is a fake tree built by unit tests (no
	 * cgroup mount under it, marker files instead; see cgroup-detect.c).
	 * Interface files are then created on write and removed before rmdir,
	 * standing in for what the kernel does. Always false on a real host. */
	bool fake;
};

extern const struct volt_cgroup_ops volt_cgroup_v1_ops;
extern const struct volt_cgroup_ops volt_cgroup_v2_ops;

/* Detect the layout under `root` (normally "/sys/fs/cgroup"; tests pass a fake
 * tree) and fill cg (ops, layout, hierarchies). path is set from cgroups_path:
 * absolute paths are used as they are, relative ones are put under "/",
 * NULL gives "/volt/<id>". runc's systemd form "slice:prefix:name" is
 * mapped to "/slice/prefix-name.scope". */
int volt_cgroup_init(struct volt_cgroup *cg, const char *root, const char *cgroups_path, const char *id,
		     struct volt_error *err);

/* Re-open a container's cgroup from a saved layout and path (for state/kill/delete). */
int volt_cgroup_open(struct volt_cgroup *cg, const char *root, const char *path, struct volt_error *err);

/* Send sig to every process of the cgroup (freezing around it where the
 * controller exists, so forks cannot escape). */
int volt_cgroup_kill_all(struct volt_cgroup *cg, int sig, struct volt_error *err);

/* Kill everything with SIGKILL, wait until empty (bounded), then destroy. */
int volt_cgroup_kill_and_destroy(struct volt_cgroup *cg, struct volt_error *err);

/* Freeze (and wait until every task is frozen, bounded) or thaw the cgroup:
 * the v1 freezer, else cgroup.freeze of the cgroup2 part. */
int volt_cgroup_freeze(struct volt_cgroup *cg, bool freeze, struct volt_error *err);

/* Cheap check for `state`: is the cgroup at path (below root) frozen? One
 * read of freezer.state (v1) or cgroup.freeze (v2), no layout detection. */
bool volt_cgroup_path_frozen(const char *root, const char *path);

/* How many times the kernel OOM killer fired inside the cgroup
 * (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
int volt_cgroup_oom_kills(struct volt_cgroup *cg, uint64_t *count, struct volt_error *err);

/* Usage counters, in runc's `events` units (cpu in ns, memory in bytes). */
#define VOLT_STATS_MAX_CPU   256
#define VOLT_STATS_MAX_RAW   96
#define VOLT_STATS_MAX_BLKIO 64
#define VOLT_STATS_MAX_HUGE  4

struct volt_mem_entry {
	uint64_t usage, max, limit, failcnt;
};

struct volt_cgroup_stats {
	bool has_cpu, has_memory, has_pids, has_blkio;
	struct {
		uint64_t total, kernel, user;
		uint64_t percpu[VOLT_STATS_MAX_CPU];
		size_t n_percpu;
		uint64_t periods, throttled_periods, throttled_time;
	} cpu;
	struct {
		struct volt_mem_entry usage, swap, kernel;
		uint64_t cache;
		struct {
			char key[48];
			uint64_t value;
		} raw[VOLT_STATS_MAX_RAW];
		size_t n_raw;
		uint64_t oom_kills;
	} memory;
	struct {
		uint64_t current, limit; /* limit 0: no limit */
	} pids;
	struct {
		/* op: "Read", "Write", "Sync", "Async", "Discard", "Total" */
		struct {
			uint32_t major, minor;
			char op[12];
			uint64_t value;
		} bytes[VOLT_STATS_MAX_BLKIO], ios[VOLT_STATS_MAX_BLKIO];
		size_t n_bytes, n_ios;
	} blkio;
	struct {
		char size[16]; /* "2MB" */
		uint64_t usage, max, failcnt;
	} hugetlb[VOLT_STATS_MAX_HUGE];
	size_t n_hugetlb;
};

/* Conversions shared by the managers, exposed for the unit tests. */

/* cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000), the formula
 * runc and crun use: 1 + ((shares - 2) * 9999) / 262142. */
uint64_t volt_cg_shares_to_weight(uint64_t shares);
/* blkio weight (10..1000) to io.weight (1..10000). */
uint64_t volt_cg_blkio_to_io_weight(uint64_t weight);
/* OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone. Writes
 * "max" or the byte count into buf; errors name where. */
int volt_cg_swap_v2(int64_t limit, bool limit_set, int64_t swap, char *buf, size_t size, const char *where,
		    struct volt_error *err);
/* "64m", "1G", "512kb", "1024", "-1" to bytes, like runc's --memory. */
int volt_parse_bytes(const char *s, int64_t *out);

/* The eBPF cgroup device program (BPF_PROG_TYPE_CGROUP_DEVICE) for a rule
 * list evaluated like the v1 devices controller: the last matching rule
 * wins, nothing matching is denied. Returns the instruction count, or -1
 * with E2BIG when insns (cap entries of struct bpf_insn) is too small. */
struct bpf_insn;
int volt_cg_device_prog(const struct oci_device_rule *rules, size_t n, struct bpf_insn *insns, size_t cap);

#endif
