/* Placeholder until implemented: says so clearly. */
#include <errno.h>

#include "cli.h"

int cli_security_audit(struct volt_ctx *ctx, int argc, char **argv)
{
	struct volt_error err;
	volt_err(&err, -ENOSYS, "security audit: not implemented yet");
	return cli_fail(ctx, &err);
}
