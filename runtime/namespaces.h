/* Which namespaces a container gets, new or joined by path, and the steps
 * that must happen in the runtime (id maps, pid/time namespaces, which act on
 * the caller's children) versus in the init (setns of the rest). */
#ifndef VOLT_RUNTIME_NAMESPACES_H
#define VOLT_RUNTIME_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"

struct volt_ns_plan {
	int clone_flags;	    /* CLONE_NEW* passed to clone3 */
	bool new_ns[OCI_NS__COUNT]; /* a new namespace of that type */
	int join_fd[OCI_NS__COUNT]; /* fd of a namespace to join, -1 if none */
	/* The runtime's own pid/time namespaces for children, taken before
	 * volt_ns_prepare_parent changes them, so hooks and helpers it forks
	 * afterwards run in the runtime's namespaces again. -1 if unchanged. */
	int saved_pid_fd, saved_time_fd;
};

/* Open the namespace paths and decide the clone flags. Errors name
 * linux.namespaces[i].path. */
int volt_ns_plan_make(const struct oci_config *c, struct volt_ns_plan *p, struct volt_error *err);
void volt_ns_plan_close(struct volt_ns_plan *p);

/* In the runtime, before clone: join a pid/time namespace by path and make a
 * new time namespace with linux.timeOffsets (all three only affect children). */
int volt_ns_prepare_parent(const struct oci_config *c, struct volt_ns_plan *p, struct volt_error *err);

/* In the runtime, right after clone: give our children our own pid and
 * time namespaces back (undoes volt_ns_prepare_parent). */
int volt_ns_restore_parent(struct volt_ns_plan *p, struct volt_error *err);

/* In the runtime, right after clone: write uid_map/gid_map of the child. */
int volt_ns_write_idmaps(pid_t pid, const struct oci_config *c, struct volt_error *err);

/* In the init: setns into the joined namespaces (user first), and unshare
 * the cgroup namespace once the runtime has put us in our cgroup. */
int volt_ns_enter_child(struct volt_ns_plan *p, struct volt_error *err);

#endif
