#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/exec.h"

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_NNP, OPT_PRESERVE, OPT_IGNORED };

static int exec_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"detach", no_argument, NULL, 'd'},
	    {"tty", no_argument, NULL, 't'},
	    {"cwd", required_argument, NULL, 'w'},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"cap", required_argument, NULL, 'c'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"no-new-privs", no_argument, NULL, OPT_NNP},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
	    {"process-label", required_argument, NULL, OPT_IGNORED},
	    {"apparmor", required_argument, NULL, OPT_IGNORED},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct volt_exec_opts o = {.console_fd = -1};
	bool detach = false;
	_cleanup_free_ char **env = calloc((size_t)argc, sizeof(char *));
	_cleanup_free_ char **caps = calloc((size_t)argc, sizeof(char *));
	if (!env || !caps)
		return 1;
	o.env = env;
	o.caps = caps;
	int ch;
	while ((ch = getopt_long(argc, argv, "+p:dtw:e:u:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.process_file = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 't':
			o.tty = true;
			break;
		case 'w':
			o.cwd = optarg;
			break;
		case 'e':
			env[o.n_env++] = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'c':
			caps[o.n_caps++] = optarg;
			break;
		case OPT_CONSOLE:
			o.console_socket = optarg;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_NNP:
			o.no_new_privs = true;
			break;
		case OPT_PRESERVE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return cli_usage_error(ctx, &cmd_exec,
						       "--preserve-fds: invalid number \"%s\"", optarg);
			o.preserve_fds = (int)n;
			break;
		}
		case OPT_IGNORED:
			break;
		case 'h':
			return cli_help(&cmd_exec);
		default:
			return cli_usage_error(ctx, &cmd_exec, "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, &cmd_exec, "missing container id");
	o.id = argv[optind];
	o.args = argv + optind + 1;
	o.n_args = (size_t)(argc - optind - 1);
	if (o.process_file && o.n_args)
		return cli_usage_error(ctx, &cmd_exec, "give either --process or a command, not both");

	struct volt_error err = {0};
	/* A tty in the foreground without a console socket: proxy it ourselves. */
	int sv[2] = {-1, -1};
	if (o.tty && !o.console_socket && !detach) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			volt_err(&err, errno, "socketpair");
			return cli_fail(ctx, &err);
		}
	}
	_cleanup_close_ int con_ours = sv[0];
	_cleanup_close_ int con_theirs = sv[1];
	o.console_fd = con_theirs;
	struct cli_sigfwd fwd = {.sfd = -1};
	if (!detach)
		cli_sigfwd_begin(&fwd);
	pid_t pid;
	int pidfd_raw = -1;
	if (volt_container_exec(ctx, &o, &pid, &pidfd_raw, &err) < 0) {
		if (!detach)
			cli_sigfwd_end(&fwd);
		return cli_fail(ctx, &err);
	}
	_cleanup_close_ int pidfd = pidfd_raw;
	if (detach)
		return 0;
	_cleanup_close_ int master = cli_take_master(con_ours);
	int code = cli_wait_process(ctx, pid, pidfd, master, &fwd);
	cli_sigfwd_end(&fwd);
	return code;
}

const struct volt_command cmd_exec = {
    .name = "exec",
    .run = exec_main,
    .sealed = true,
    .summary = "run a new process in a running container, with the same restrictions as its init",
    .usage = "exec [options] ID [COMMAND [ARG...]]\n\n"
	     "The new process joins every namespace and the cgroup of the container and gets its\n"
	     "capabilities, seccomp filters, Landlock rules, rlimits and user from the container's config\n"
	     "(or from --process), changed by the options below. Without --detach, exits with its status.\n"
	     "Options:\n"
	     "  -p, --process FILE       a runtime-spec process JSON instead of COMMAND\n"
	     "  -d, --detach             return once the process runs\n"
	     "  -t, --tty                give the process a pty (proxied, or sent to --console-socket)\n"
	     "  --console-socket PATH    AF_UNIX socket that receives the pty master\n"
	     "  -w, --cwd DIR            working directory inside the container\n"
	     "  -e, --env KEY=VALUE      set an environment variable (repeatable)\n"
	     "  -u, --user UID[:GID]     run as this uid and gid (numbers)\n"
	     "  -c, --cap CAP            add a capability (repeatable)\n"
	     "  --no-new-privs           set no_new_privs\n"
	     "  --pid-file FILE          write the process's host pid to FILE\n"
	     "  --preserve-fds N         pass N extra fds (3 .. 3+N-1)",
};
