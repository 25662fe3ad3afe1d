/* Helpers shared by the cgroup managers (cgroup.c, cgroup-v1.c, cgroup-v2.c).
 * Not a public interface: the lifecycle code uses runtime/cgroup.h only.
 * File helpers return 0 / a count, or -errno, and leave the wording of the
 * error to the caller, which knows which cgroup and hierarchy it was. */
#ifndef VOLT_RUNTIME_CGROUP_INTERNAL_H
#define VOLT_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"

/* Name of the marker file of the unit-test seam (see cgroup-detect.c). */
#define VOLT_CGROUP_FAKE_MARKER "volt-fake-cgroup"

/* The container's cgroup path from linux.cgroupsPath (NULL: "/volt/<id>"). */
int volt_cg_compute_path(char *out, size_t size, const char *cgroups_path, const char *id,
			 struct volt_error *err);

/* Canonical "/a/b" form of in (absolute or relative); rejects "..", the root
 * itself and over-long names. `what` names the source in the error. */
int volt_cg_normalize(char *out, size_t size, const char *in, const char *what, struct volt_error *err);

/* Fill cg->layout, ops, hier[], n_hier, root and fake from what is mounted under root. */
int volt_cg_detect(struct volt_cgroup *cg, const char *root, struct volt_error *err);

/* true if the comma separated controller list of h holds name. */
bool volt_cg_hier_has(const struct volt_cgroup_hier *h, const char *name);

/* "<mountpoint><path>[/file]" into buf; -ENAMETOOLONG if it does not fit. */
int volt_cg_leaf_path(const struct volt_cgroup *cg, size_t h, const char *file, char *buf, size_t size);

/* Write s to dirfd/file (truncating). create: fake trees only. */
int volt_cg_write_at(int dirfd, const char *file, const char *s, bool create);

/* Read dirfd/file into buf (NUL terminated, at most size-1 bytes). Returns length. */
ssize_t volt_cg_read_at(int dirfd, const char *file, char *buf, size_t size);

/* Append the pids listed in dirfd/file to *pids (grown with realloc).
 * A missing file or directory counts as empty: the cgroup is gone. */
int volt_cg_read_pids_at(int dirfd, const char *file, pid_t **pids, size_t *n);

/* Walk cg->path below the mountpoint of hierarchy h, creating what is missing.
 * *first_created is the index of the first component made by this call
 * (-1: nothing made) so a later failure can be undone with volt_cg_rollback();
 * a failure inside the walk undoes its own part. Returns an O_PATH fd of the
 * leaf; *leaf_existed tells whether it was there already. The hooks run per
 * component: before_mkdir on the parent (v2: delegate controllers),
 * after_open on parent and child (v1: cpuset inheritance). */
struct volt_cg_walk {
	int (*before_mkdir)(int parent_fd, void *ctx);
	int (*after_open)(int parent_fd, int child_fd, bool created, void *ctx);
	void *ctx;
};
int volt_cg_mkdir_walk(const struct volt_cgroup *cg, size_t h, const struct volt_cg_walk *walk,
		       int *first_created, bool *leaf_existed, struct volt_error *err);

/* Remove components [first_created, last] of cg->path in hierarchy h, deepest
 * first; best effort (a concurrent user of a shared parent keeps it alive). */
void volt_cg_rollback(const struct volt_cgroup *cg, size_t h, int first_created);

/* Common ops: the same for v1 (every hierarchy) and v2 (the one). */
int volt_cg_enter_all(struct volt_cgroup *cg, pid_t pid, struct volt_error *err);
int volt_cg_procs_union(struct volt_cgroup *cg, pid_t **pids, size_t *n, struct volt_error *err);
int volt_cg_destroy_all(struct volt_cgroup *cg, struct volt_error *err);

/* Fail with EEXIST if the pre-existing leaf (fd) still holds processes. */
int volt_cg_check_unused(const struct volt_cgroup *cg, size_t h, int leaf_fd, struct volt_error *err);

/* --- resources (cgroup-resources.c, cgroup-v1-resources.c, cgroup-v2-resources.c) --- */

/* Index of the v1 hierarchy holding controller name, or of the cgroup2
 * hierarchy when name is NULL; -1 when there is none. */
ssize_t volt_cg_find_hier(const struct volt_cgroup *cg, const char *name);

/* O_PATH fd of the container's cgroup directory in hierarchy h, or -errno. */
int volt_cg_open_leaf(const struct volt_cgroup *cg, size_t h);

/* Where resources are written: one leaf directory plus what the error
 * messages need to name the file. */
struct volt_cg_dir {
	const struct volt_cgroup *cg;
	size_t h;
	int fd;
	const char *where; /* "linux.resources" */
};

/* Write s into file of d; on failure the error names field and file. */
int volt_cg_set(const struct volt_cg_dir *d, const char *field, const char *file, const char *s,
		struct volt_error *err);
int volt_cg_set_u64(const struct volt_cg_dir *d, const char *field, const char *file, uint64_t v,
		    struct volt_error *err);
/* Does file exist in d (a real interface file, or one a fake tree set up)? */
bool volt_cg_has_file(const struct volt_cg_dir *d, const char *file);
/* "the host has no <file>" error for a field this host cannot honour. */
int volt_cg_unsupported(const struct volt_cg_dir *d, const char *field, const char *file,
			struct volt_error *err);

/* The rules a container's device access is checked against, in order
 * (later ones win): deny all, the devices every container gets (null,
 * zero, full, random, urandom, tty, console, ptmx, pts), then the config's
 * rules after its last "deny all". malloc'd. */
int volt_cg_device_rules(const struct oci_resources *r, struct oci_device_rule **out, size_t *n);

/* Does any block device use the BFQ scheduler? Its cgroup weight files
 * exist whenever BFQ is built, but only weigh I/O on such devices. */
bool volt_cg_bfq_in_use(const struct volt_cgroup *cg);

/* "2MB" style hugepage size check (digits then KB/MB/GB). */
bool volt_cg_valid_page_size(const char *s);

/* cgroup2 writers, per part: pure v2 uses all of it; the hybrid layout
 * uses hugetlb and unified on its cgroup2 mount. */
int volt_cg_v2_apply(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		     struct volt_error *err);
int volt_cg_v2_hugetlb(const struct volt_cg_dir *d, const struct oci_resources *r, struct volt_error *err);
int volt_cg_v2_unified(const struct volt_cg_dir *d, const struct oci_resources *r, bool hybrid,
		       struct volt_error *err);
/* Enable controller in cgroup.subtree_control of every ancestor of the
 * leaf in the cgroup2 hierarchy h (the hybrid layout delegates nothing at
 * create time). */
int volt_cg_v2_delegate(const struct volt_cgroup *cg, size_t h, const char *controller, const char *field,
			struct volt_error *err);
/* Load the device program for the rules and attach it to the leaf. */
int volt_cg_v2_devices(const struct volt_cg_dir *d, const struct oci_resources *r, struct volt_error *err);

int volt_cg_v1_apply(struct volt_cgroup *cg, const struct oci_resources *r, const char *where,
		     struct volt_error *err);
int volt_cg_v1_stats(struct volt_cgroup *cg, struct volt_cgroup_stats *st, struct volt_error *err);
int volt_cg_v2_stats(struct volt_cgroup *cg, struct volt_cgroup_stats *st, struct volt_error *err);
/* hugetlb.<size>.{usage,max,failcnt} style counters of directory fd (v1
 * names when v1, else v2's current/max/events). */
void volt_cg_hugetlb_stats(int fd, bool v1, struct volt_cgroup_stats *st);
/* "key value" lines (memory.stat, cpu.stat) into st->memory.raw or a lookup. */
bool volt_cg_kv_get(const char *text, const char *key, uint64_t *out);

/* Monotonic milliseconds, for the bounded waits. */
long long volt_cg_now_ms(void);
/* Sleep for a step of a bounded poll: 100 us doubling up to 10 ms. */
void volt_cg_backoff(unsigned *step);

#endif
