/* One thin file per subcommand over the runtime library. Each command
 * returns the process exit status. */
#ifndef VOLT_CLI_H
#define VOLT_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "oci/error.h"
#include "runtime/container.h"

#define VOLT_SPEC_VERSION "1.2.0"

struct volt_command {
	const char *name;
	int (*run)(struct volt_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* full --help text after the "Usage:" line */
	bool sealed;	   /* enters a container: run from a sealed copy of the binary */
};

extern const struct volt_command cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_list,
    cmd_spec, cmd_features, cmd_ps, cmd_security, cmd_exec, cmd_pause, cmd_resume, cmd_update, cmd_events;

/* `volt-run security SUB ...`: each subcommand in its own file. argv[0] is SUB. */
int cli_security_log(struct volt_ctx *ctx, int argc, char **argv);
int cli_security_profile(struct volt_ctx *ctx, int argc, char **argv);
int cli_security_inspect(struct volt_ctx *ctx, int argc, char **argv);
int cli_security_audit(struct volt_ctx *ctx, int argc, char **argv);
int cli_security_check(struct volt_ctx *ctx, int argc, char **argv);

/* Log err (to --log, and to stderr when the log is elsewhere); returns 1. */
int cli_fail(const struct volt_ctx *ctx, const struct volt_error *err);
/* Usage error: message, hint, returns 1. */
int cli_usage_error(const struct volt_ctx *ctx, const struct volt_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print the command's --help. Returns 0. */
int cli_help(const struct volt_command *cmd);
/* Exactly n positional arguments left after getopt, else a usage error. */
bool cli_want_args(const struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv, int min,
		   int max);

/* Commands whose only argument is an ID: *id set and 0, or 1 after
 * --help, or -1 after a reported usage error. */
int cli_parse_id(struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv,
		 const char **id);

/* Shared by create and run: parse the create options. Returns -1 on a usage
 * error (already reported), 1 if --help was printed, else 0. */
int cli_parse_create(struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv,
		     struct volt_create_opts *o, bool *detach);

/* Foreground processes (run, exec): forwarding of signals, waiting. */
struct cli_sigfwd {
	sigset_t old;
	int sfd;
};
void cli_sigfwd_begin(struct cli_sigfwd *f);
void cli_sigfwd_end(struct cli_sigfwd *f);
int cli_exit_code(int status);
/* Proxy master (if >= 0), forward signals, reap pid; returns its exit code. */
int cli_wait_process(const struct volt_ctx *ctx, pid_t pid, int pidfd, int master, struct cli_sigfwd *f);
/* Take the pty master a container process sent over our own console socket, -1 if none. */
int cli_take_master(int sock);

#endif
