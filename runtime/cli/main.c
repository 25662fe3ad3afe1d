/* volt-run: global options and dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/backend.h"
#include "runtime/sealed-exe.h"

static const struct volt_command *const commands[] = {
    &cmd_create, &cmd_start, &cmd_run,	    &cmd_exec,	   &cmd_state, &cmd_kill,   &cmd_delete, &cmd_list,
    &cmd_ps,	 &cmd_spec,  &cmd_features, &cmd_security, &cmd_pause, &cmd_resume, &cmd_update, &cmd_events,
};

int cli_fail(const struct volt_ctx *ctx, const struct volt_error *err)
{
	volt_log(&ctx->log, VOLT_LOG_ERROR, "%s", err->msg);
	if (ctx->log.fd >= 0 && ctx->log.fd != STDERR_FILENO)
		fprintf(stderr, "volt-run: %s\n", err->msg);
	return 1;
}

int cli_usage_error(const struct volt_ctx *ctx, const struct volt_command *cmd, const char *fmt, ...)
{
	struct volt_error err;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	err.errnum = EINVAL;
	snprintf(err.msg, sizeof err.msg, "%s: %s (see 'volt-run %s --help')", cmd->name, buf, cmd->name);
	return cli_fail(ctx, &err);
}

int cli_help(const struct volt_command *cmd)
{
	/* The name it was run as: volt-stardust shares these commands. */
	printf("Usage: %s [global options] %s\n\n%s\n", program_invocation_short_name, cmd->usage, cmd->summary);
	return 0;
}

bool cli_want_args(const struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv, int min,
		   int max)
{
	int n = argc - optind;
	if (n < min) {
		cli_usage_error(ctx, cmd, "missing argument");
		return false;
	}
	if (n > max) {
		cli_usage_error(ctx, cmd, "unexpected argument \"%s\"", argv[optind + max]);
		return false;
	}
	return true;
}

int cli_parse_id(struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv, const char **id)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help(cmd), 1;
		return cli_usage_error(ctx, cmd, "invalid option"), -1;
	}
	if (!cli_want_args(ctx, cmd, argc, argv, 1, 1))
		return -1;
	*id = argv[optind];
	return 0;
}

/* volt-stardust is this main with --backend stardust in front. */
static void usage(FILE *f, const char *backend)
{
	bool vm = backend && strcmp(backend, "stardust") == 0;
	fprintf(f, "Usage: %s [global options] COMMAND [options] [ARGS]\n\n%s\n\nCommands:\n",
		vm ? "volt-stardust" : "volt-run",
		vm ? "Volt's microVM runtime: runs each OCI bundle in its own KVM microVM (Stardust), where\n"
		     "stardust-init applies config.json with the same code as volt-run (docs/stardust.md)."
		   : "Volt's OCI runtime: runs containers from OCI bundles with namespaces, cgroups,\n"
		     "seccomp, capabilities and Landlock.");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"\nGlobal options:\n"
		"  --root DIR          state directory (default " VOLT_DEFAULT_ROOT ")\n"
		"  --log FILE          write log lines to FILE instead of stderr\n"
		"  --log-format FMT    text (default) or json: one {\"level\",\"msg\",\"time\"} per line\n"
		"  --debug             also log debug lines\n"
		"  --backend NAME      how create runs a container: native (default) or stardust, a KVM\n"
		"                      microVM (what volt-stardust does); later commands follow the state\n"
		"  --systemd-cgroup    accepted for compatibility; cgroupfs is always used\n"
		"  -v, --version       print the version\n"
		"  -h, --help          this help; 'volt-run COMMAND --help' for a command\n");
}

static void version(void)
{
	printf("volt-run version %s\ncommit: %s\nspec: %s\n", VOLT_VERSION, VOLT_COMMIT, VOLT_SPEC_VERSION);
}

int main(int argc, char **argv)
{
	/* A caller that ignores SIGCHLD would make our waits fail (and the
	 * workload inherit that). */
	signal(SIGCHLD, SIG_DFL);
	struct volt_ctx ctx = {
	    .root = VOLT_DEFAULT_ROOT,
	    .cgroup_root = VOLT_CGROUP_ROOT,
	    .log = {.fd = -1},
	};
	const char *log_path = NULL, *log_format = "text";
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"log", required_argument, NULL, 'l'},
	    {"log-format", required_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"systemd-cgroup", no_argument, NULL, 's'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"rootless", required_argument, NULL, 'R'},
	    {"criu", required_argument, NULL, 'C'},
	    {"backend", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	/* '+': stop at the command name; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			ctx.root = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'f':
			log_format = optarg;
			break;
		case 'd':
			ctx.log.debug = true;
			break;
		case 'b':
			if (!volt_backend_find(optarg)) {
				fprintf(stderr,
					"volt-run: --backend: unknown backend \"%s\" (native or stardust)\n",
					optarg);
				return 1;
			}
			ctx.backend = optarg;
			break;
		case 's':
		case 'R':
		case 'C':
			break;
		case 'v':
			version();
			return 0;
		case 'h':
			usage(stdout, ctx.backend);
			return 0;
		default:
			usage(stderr, ctx.backend);
			return 1;
		}
	}
	if (strcmp(log_format, "json") == 0)
		ctx.log.json = true;
	else if (strcmp(log_format, "text") != 0) {
		fprintf(stderr, "volt-run: --log-format: unknown format \"%s\" (text or json)\n", log_format);
		return 1;
	}
	if (log_path && *log_path) {
		ctx.log.fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (ctx.log.fd < 0) {
			fprintf(stderr, "volt-run: --log %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr, ctx.backend);
		return 1;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct volt_command *cmd = commands[i];
		if (strcmp(cmd->name, name) != 0)
			continue;
		if (cmd->sealed) {
			struct volt_error err;
			if (volt_ensure_sealed_exe(argv, &err) < 0)
				return cli_fail(&ctx, &err);
		}
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;
		optind = 0; /* fresh getopt for the command */
		return cmd->run(&ctx, sub_argc, sub_argv);
	}
	if (strcmp(name, "help") == 0) {
		usage(stdout, ctx.backend);
		return 0;
	}
	fprintf(stderr, "volt-run: unknown command \"%s\" (see 'volt-run --help')\n", name);
	return 1;
}
