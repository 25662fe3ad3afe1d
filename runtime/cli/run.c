#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/terminal.h"

static int run_main(struct volt_ctx *ctx, int argc, char **argv)
{
	struct volt_create_opts o;
	bool detach = false;
	int r = cli_parse_create(ctx, &cmd_run, argc, argv, &o, &detach);
	if (r)
		return r < 0 ? 1 : 0;
	o.keep_child = true;
	struct volt_error err = {0};

	/* Our own console socket, used only if process.terminal asks for a pty. */
	int sv[2] = {-1, -1};
	if (!o.console_socket && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		volt_err(&err, errno, "socketpair");
		return cli_fail(ctx, &err);
	}
	_cleanup_close_ int con_ours = sv[0];
	_cleanup_close_ int con_theirs = sv[1];
	o.console_fd = con_theirs;

	struct cli_sigfwd fwd;
	cli_sigfwd_begin(&fwd);

	pid_t pid;
	int pidfd_raw = -1;
	if (volt_container_create(ctx, &o, &pid, &pidfd_raw, &err) < 0) {
		cli_sigfwd_end(&fwd);
		return cli_fail(ctx, &err);
	}
	_cleanup_close_ int pidfd = pidfd_raw;
	close(volt_steal_fd(&con_theirs));
	_cleanup_close_ int master = cli_take_master(con_ours);
	if (master >= 0 && detach) {
		volt_err(&err, -EINVAL, "process.terminal: run --detach needs --console-socket");
		struct volt_error ignored;
		volt_container_delete(ctx, o.id, true, &ignored);
		return cli_fail(ctx, &err);
	}

	int start_r = volt_container_start(ctx, o.id, &err);
	if (detach) {
		cli_sigfwd_end(&fwd);
		if (start_r < 0) {
			struct volt_error ignored;
			volt_container_delete(ctx, o.id, true, &ignored);
			return cli_fail(ctx, &err);
		}
		return 0;
	}
	if (start_r < 0)
		cli_fail(ctx, &err);
	int code = cli_wait_process(ctx, pid, pidfd, start_r == 0 ? master : -1, &fwd);
	cli_sigfwd_end(&fwd);
	struct volt_error derr;
	if (volt_container_delete(ctx, o.id, true, &derr) < 0)
		cli_fail(ctx, &derr);
	return code;
}

const struct volt_command cmd_run = {
    .name = "run",
    .run = run_main,
    .sealed = true,
    .summary = "create and start a container, wait for it and delete it (or --detach)",
    .usage = "run [options] ID\n\n"
	     "Exits with the process's status (128+N when killed by signal N).\n"
	     "Options:\n"
	     "  -b, --bundle DIR         bundle directory (default: current directory)\n"
	     "  -d, --detach             return once the process runs; do not wait or delete\n"
	     "  --pid-file FILE          write the container init's host pid to FILE\n"
	     "  --console-socket PATH    send the pty master there instead of proxying it\n"
	     "  --preserve-fds N         pass N extra fds (3 .. 3+N-1) to the container process\n"
	     "  --no-pivot               use MS_MOVE + chroot instead of pivot_root\n"
	     "  --no-new-keyring         keep the caller's session keyring",
};
