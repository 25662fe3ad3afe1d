#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_create(struct volt_ctx *ctx, const struct volt_command *cmd, int argc, char **argv,
		     struct volt_create_opts *o, bool *detach)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, 'P'},
	    {"no-pivot", no_argument, NULL, 'n'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"detach", no_argument, NULL, 'd'},
	    {"no-subreaper", no_argument, NULL, 'S'},
	    {"keep", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->console_fd = -1;
	int ch;
	while ((ch = getopt_long(argc, argv, detach ? "b:dh" : "b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'P': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return cli_usage_error(ctx, cmd, "--preserve-fds: invalid number \"%s\"",
						       optarg),
				       -1;
			o->preserve_fds = (int)n;
			break;
		}
		case 'n':
			o->no_pivot = true;
			break;
		case 'k':
			o->no_new_keyring = true;
			break;
		case 'd':
			if (!detach)
				return cli_usage_error(ctx, cmd, "unknown option --detach"), -1;
			*detach = true;
			break;
		case 'S':
		case 'K':
			break;
		case 'h':
			cli_help(cmd);
			return 1;
		default:
			return cli_usage_error(ctx, cmd, "invalid option"), -1;
		}
	}
	if (!cli_want_args(ctx, cmd, argc, argv, 1, 1))
		return -1;
	o->id = argv[optind];
	return 0;
}

static int create_main(struct volt_ctx *ctx, int argc, char **argv)
{
	struct volt_create_opts o;
	int r = cli_parse_create(ctx, &cmd_create, argc, argv, &o, NULL);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	pid_t pid;
	if (volt_container_create(ctx, &o, &pid, NULL, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_create = {
    .name = "create",
    .run = create_main,
    .sealed = true,
    .summary = "create a container from a bundle; its process waits for 'start'",
    .usage = "create [options] ID\n\n"
	     "Options:\n"
	     "  -b, --bundle DIR         bundle directory holding config.json (default: current directory)\n"
	     "  --pid-file FILE          write the container init's host pid to FILE\n"
	     "  --console-socket PATH    AF_UNIX socket that receives the pty master (process.terminal)\n"
	     "  --preserve-fds N         pass N extra fds (3 .. 3+N-1) to the container process\n"
	     "  --no-pivot               use MS_MOVE + chroot instead of pivot_root (ramfs roots)\n"
	     "  --no-new-keyring         keep the caller's session keyring\n"
	     "  -h, --help               this help",
};
