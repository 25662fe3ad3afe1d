/* exec: a new process in a running container. It joins every namespace and
 * the cgroup of the init and goes through the same volt_process_apply() and
 * volt_security_prepare() as the init, so it gets the same restrictions. */
#ifndef VOLT_RUNTIME_EXEC_H
#define VOLT_RUNTIME_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"

struct volt_exec_opts {
	const char *id;
	const char *process_file; /* --process: a runtime-spec process JSON */
	const char *process_json; /* or its text already read (process_json_len bytes) */
	size_t process_json_len;
	char **args; /* else: the command (the config's process is the template) */
	size_t n_args;
	bool tty;
	const char *cwd;
	char **env; /* K=V, added to (or replacing) the template's */
	size_t n_env;
	const char *user; /* "uid[:gid]" */
	char **caps;	  /* added to bounding, effective and permitted */
	size_t n_caps;
	bool no_new_privs;
	const char *pid_file;
	const char *console_socket;
	int console_fd; /* already connected console socket, -1 if none */
	int preserve_fds;
};

/* Start the process; *pid and *pidfd get it. The container's backend does
 * the work (backend.h). */
int volt_container_exec(const struct volt_ctx *ctx, const struct volt_exec_opts *o, pid_t *pid, int *pidfd,
			struct volt_error *err);

/* The native backend's exec: the process joins the init's namespaces. */
int volt_native_exec(const struct volt_ctx *ctx, struct volt_container *c, const struct volt_exec_opts *o,
		     pid_t *pid, int *pidfd, struct volt_error *err);

/* The text of --process (o->process_json, or the file read), NUL-terminated,
 * in a malloc'ed *out. */
int volt_exec_read_process(const struct volt_exec_opts *o, char **out, size_t *len, struct volt_error *err);

#endif
