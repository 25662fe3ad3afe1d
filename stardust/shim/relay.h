/* The relay: the host process that stands for a Stardust container. Its pid
 * is the container's pid in the state (so `state`, `kill` and `run`'s wait
 * work as with volt-run); it starts stardust-vmm as its child in a new PID
 * namespace and speaks the control protocol (proto.h) with stardust-init:
 *
 *   create  waits for GO on ctl (the caller has put it in the cgroup), starts
 *           the monitor, waits (bounded) for READY, answers "R" on ctl, or
 *           "E" and the reason.
 *   start   `start` connects to exec.sock and sends 'S' (as with the native
 *           backend): START goes to the guest; the connection is closed on
 *           STARTED (success) or gets the guest's ERROR text.
 *   running stream 0 (the container's process): STDOUT/STDERR frames go to
 *           the relay's own fds 1 and 2 (the caller's, as a volt-run
 *           container's are), its stdin goes in STDIN frames, every signal
 *           it receives becomes a SIGNAL frame.
 *   exec    a client (`volt-stardust exec`'s stand-in process) connects to
 *           exec.sock, sends 'X' with its stdin, stdout and stderr attached
 *           (SCM_RIGHTS) and an EXEC frame; it gets a stream of its own: the
 *           relay moves that stream's stdio between the guest and those fds
 *           and sends the client STARTED (guest pid) or ERROR, then EXIT once
 *           every byte of output was written; SIGNAL frames from the client
 *           go to the guest process. A client that goes away kills it.
 *   stop    when the monitor exits it exits with the guest's EXIT status
 *           (the monitor's own status if none came).
 *
 * terminal with process.terminal the relay's stream 0 is a host pty (raw; the
 *           guest's pty does the line discipline) whose master the engine
 *           holds; the relay makes it its controlling terminal, so a size
 *           the engine sets arrives as SIGWINCH and goes on as RESIZE.
 *
 * Output is written to the caller's fds without O_NONBLOCK (they are shared
 * with the caller): only after POLLOUT and at most PIPE_BUF bytes at a time,
 * which a pipe or socket then takes without blocking. Credits (proto.h) keep
 * what waits in the relay under a window per stream.
 *
 * The monitor gets PR_SET_PDEATHSIG: SIGKILL to the relay ends the VM. */
#ifndef STARDUST_SHIM_RELAY_H
#define STARDUST_SHIM_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct sd_relay_args {
	char *const *vmm_argv; /* argv[0] is the monitor's path; its console fds are 3 (in) and 4 (out) */
	int vmm_in;	       /* read end the monitor feeds the guest from */
	int vmm_out;	       /* write end the monitor writes guest output to */
	int to_guest;	       /* our write end of vmm_in's pipe */
	int from_guest;	       /* our read end of vmm_out's pipe */
	int ctl;	       /* to the creating process */
	int listen_fd;	       /* exec.sock */
	int tty;	       /* process.terminal: the host pty's slave (its master went to the
				* console socket) stands for stream 0's stdio; -1 otherwise */
	const char *unlink_at_ready[2]; /* files the guest no longer needs once READY (or NULL) */
	const char *unlink_at_stop;	/* the disk image (or NULL) */
	uint32_t boot_timeout_s;
};

/* Never returns. */
_Noreturn void sd_relay_run(const struct sd_relay_args *a);

/* The monitor runs as uid and gid SD_VMM_ID_BASE + the relay's pid (above
 * any pid_max, below the ids user namespaces hand out in practice). */
#define SD_VMM_ID_BASE 0x40000000u

#define SD_VMM_CONSOLE_IN_FD  3
#define SD_VMM_CONSOLE_OUT_FD 4

#endif
