/* Placeholder until implemented: says so clearly. */
#include <errno.h>

#include "cli.h"

int cli_security_log(struct volt_ctx *ctx, int argc, char **argv)
{
	struct volt_error err;
	volt_err(&err, -ENOSYS, "security log: not implemented yet");
	return cli_fail(ctx, &err);
}
