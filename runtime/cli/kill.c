#include <signal.h>

#include "cli.h"
#include "oci/names.h"

static int kill_main(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool all = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		if (ch == 'a')
			all = true;
		else if (ch == 'h')
			return cli_help(&cmd_kill);
		else
			return cli_usage_error(ctx, &cmd_kill, "invalid option");
	}
	if (!cli_want_args(ctx, &cmd_kill, argc, argv, 1, 2))
		return 1;
	struct volt_error err = {0};
	int sig = SIGTERM;
	if (argc - optind == 2 && volt_signal_parse(argv[optind + 1], &sig, &err) < 0)
		return cli_fail(ctx, &err);
	if (volt_container_kill(ctx, argv[optind], sig, all, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

const struct volt_command cmd_kill = {
    .name = "kill",
    .run = kill_main,
    .summary = "send a signal to a container's init (or every process with --all)",
    .usage = "kill [--all] ID [SIGNAL]\n\n"
	     "SIGNAL is a number or a name (KILL, SIGKILL, SIGRTMIN+3); default SIGTERM.\n"
	     "Options:\n"
	     "  -a, --all    signal every process in the container's cgroup",
};
