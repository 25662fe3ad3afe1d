/* Helpers shared by the cgroup managers (cgroup.c, cgroup-v1.c, cgroup-v2.c).
 * Not a public interface: the lifecycle code uses runtime/cgroup.h only.
 * File helpers return 0 / a count, or -errno, and leave the wording of the
 * error to the caller, which knows which cgroup and hierarchy it was. */
#ifndef VOLT_RUNTIME_CGROUP_INTERNAL_H
#define VOLT_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
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

/* Monotonic milliseconds, for the bounded waits. */
long long volt_cg_now_ms(void);
/* Sleep for a step of a bounded poll: 100 us doubling up to 10 ms. */
void volt_cg_backoff(unsigned *step);

#endif
