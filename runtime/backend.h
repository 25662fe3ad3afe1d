/* Execution backends: how a container's process is made and driven. The
 * native backend runs it in namespaces on this kernel; a microVM backend
 * (Stardust) plugs in as one more file implementing these ops. */
#ifndef VOLT_RUNTIME_BACKEND_H
#define VOLT_RUNTIME_BACKEND_H

#include "container.h"
#include "cgroup.h"
#include "exec.h"

struct volt_backend_create {
	const struct volt_ctx *ctx;
	const struct volt_create_opts *opts;
	const struct oci_config *config;
	const char *bundle; /* absolute */
	const char *rootfs; /* absolute */
	int dirfd;	    /* the container's state dir */
	struct volt_cgroup *cgroup;
	struct volt_state *state; /* id, bundle, created...: pid and pid_start filled by create */
};

struct volt_backend_ops {
	const char *name;
	/* What of linux.resources the host cgroup gets, changed in place (NULL:
	 * all of it). A microVM's guest applies config.json itself; its host
	 * cgroup holds the monitor (/dev/kvm) and the guest's RAM. */
	void (*host_resources)(const struct oci_config *c, struct oci_resources *r);
	/* Make the init and leave it blocked before the user's process; fills state->pid. */
	int (*create)(struct volt_backend_create *b, int *pidfd, struct volt_error *err);
	/* Release the init into the user's process. */
	int (*start)(const struct volt_ctx *ctx, struct volt_container *c, struct volt_error *err);
	/* A new process in the running (or created) container; *pid is the
	 * host process that stands for it (its exit status is the process's). */
	int (*exec)(const struct volt_ctx *ctx, struct volt_container *c, const struct volt_exec_opts *o,
		    pid_t *pid, int *pidfd, struct volt_error *err);
};

extern const struct volt_backend_ops volt_backend_native;   /* backend-native.c */
extern const struct volt_backend_ops volt_backend_stardust; /* backend-stardust.c */

const struct volt_backend_ops *volt_backend_find(const char *name);

#endif
