/* cgroup managers behind one small vtable: v1 (including the v1/v2 hybrid
 * layout, where a cgroup2 mount sits beside the v1 controllers) and pure v2.
 * The lifecycle only needs create/enter/procs/kill/destroy; limits, freeze and
 * stats plug in as further ops later. */
#ifndef VOLT_RUNTIME_CGROUP_H
#define VOLT_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"

enum volt_cgroup_layout {
	VOLT_CGROUP_V1,     /* v1 controllers only */
	VOLT_CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount (e.g. /sys/fs/cgroup/unified) */
	VOLT_CGROUP_V2,     /* cgroup2 at the root */
};

#define VOLT_CGROUP_MAX_HIER 16

struct volt_cgroup_hier {
	char mountpoint[256]; /* "/sys/fs/cgroup/memory" or the cgroup2 mount */
	char controllers[128];   /* "memory", "cpu,cpuacct", "name=systemd", "" for cgroup2 */
	bool v2;
};

struct volt_cgroup;

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

#endif
