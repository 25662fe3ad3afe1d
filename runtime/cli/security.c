/* `volt-run security`: inspect, audit and shape the security layers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(struct volt_ctx *ctx, int argc, char **argv);
} subs[] = {
    {"inspect", cli_security_inspect}, {"audit", cli_security_audit},	  {"check", cli_security_check},
    {"log", cli_security_log},	       {"profile", cli_security_profile},
};

static int security_main(struct volt_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? (cli_help(&cmd_security), 1) : cli_help(&cmd_security);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].run(ctx, argc - 1, argv + 1);
		}
	}
	return cli_usage_error(ctx, &cmd_security, "unknown subcommand \"%s\"", argv[1]);
}

const struct volt_command cmd_security = {
    .name = "security",
    .run = security_main,
    .summary = "inspect and audit a container's security layers, check the host, make profiles",
    .usage =
	"security SUBCOMMAND ...\n\n"
	"Subcommands:\n"
	"  inspect ID [--seccomp|--landlock|--capabilities|--namespaces|--all] [--format json]\n"
	"                 what really applies to the container's init, read back from the kernel\n"
	"  audit ID [--format json]\n"
	"                 the weak spots of a workload, with a score\n"
	"  check [--format json]\n"
	"                 what this host offers: kernel, Landlock ABI, seccomp, user namespaces, cgroups,\n"
	"                 nftables\n"
	"  log ID [--format json]\n"
	"                 syscalls a container in audit mode (org.volt.seccomp.audit=true) needed\n"
	"  profile create NAME --allow-read PATHS --allow-write PATHS --allow-execute PATHS\n"
	"                 --deny-execute PATHS [--output FILE]\n"
	"                 write a Landlock profile JSON",
};
