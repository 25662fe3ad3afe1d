/* The runtime's mechanics as a library; runtime/cli/ holds one thin file per
 * subcommand over it. */
#ifndef VOLT_RUNTIME_CONTAINER_H
#define VOLT_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "oci/error.h"
#include "oci/log.h"
#include "oci/state.h"

#define VOLT_DEFAULT_ROOT "/run/volt"
#define VOLT_CGROUP_ROOT  "/sys/fs/cgroup"

/* Global options of one invocation. */
struct volt_ctx {
	const char *root; /* state root, default /run/volt */
	struct volt_logger log;
	const char *cgroup_root; /* /sys/fs/cgroup (tests may point elsewhere) */
	/* Execution backend for create (backend.h, --backend): NULL means
	 * "native". Later commands use the one recorded in the state. */
	const char *backend;
};

struct volt_create_opts {
	const char *id;
	const char *bundle; /* default: cwd */
	const char *pid_file;
	const char *console_socket;
	int console_fd; /* already connected console socket (run on a terminal), -1 if none */
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	bool keep_child; /* run: stay the init's parent instead of returning right away */
};

/* A container opened from its state directory. */
struct volt_container {
	int dirfd; /* <root>/<id> */
	struct volt_state state;
};

void volt_container_close(struct volt_container *c);
#define _cleanup_container_ __attribute__((cleanup(volt_container_close)))

/* Open <root>/<id>; "container ID does not exist" (ENOENT) if missing. */
int volt_container_open(const struct volt_ctx *ctx, const char *id, struct volt_container *c,
			struct volt_error *err);

/* Live status from the kernel: stopped when the pid is gone, a zombie, or a
 * reused pid (start time differs). */
enum volt_status volt_container_status(const struct volt_container *c);

/* create: leaves the init blocked until start; *pid gets its host pid and
 * *pidfd (if non-NULL) a pidfd of it. */
int volt_container_create(const struct volt_ctx *ctx, const struct volt_create_opts *o, pid_t *pid,
			  int *pidfd, struct volt_error *err);
int volt_container_start(const struct volt_ctx *ctx, const char *id, struct volt_error *err);
int volt_container_kill(const struct volt_ctx *ctx, const char *id, int sig, bool all,
			struct volt_error *err);
/* delete: force kills a running container; a missing one is ENOENT. */
int volt_container_delete(const struct volt_ctx *ctx, const char *id, bool force, struct volt_error *err);

/* pause: freeze a running container's cgroup; !pause: thaw a paused one. */
int volt_container_pause(const struct volt_ctx *ctx, const char *id, bool pause, struct volt_error *err);

/* fork with clone3: extra clone flags (namespaces), SIGCHLD at exit, and a
 * pidfd for the child in *pidfd. Returns as fork does. */
pid_t volt_clone_pidfd(unsigned long long flags, int *pidfd);

/* Kill our child pid (through its pidfd, so never a reused pid) and reap it. */
void volt_child_kill_reap(pid_t pid, int pidfd);

/* Write a pid file atomically (temp + rename), decimal, no newline. */
int volt_write_pid_file(const char *path, pid_t pid, struct volt_error *err);

/* Field 22 of /proc/PID/stat (0 if gone); *zombie set when state is Z or X. */
unsigned long long volt_proc_start_time(pid_t pid, bool *zombie);

#endif
