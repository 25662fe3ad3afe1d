#include "stardust/init/guest-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/container.h"
#include "stardust/shim/proto.h"

struct run {
	const struct sd_guest_run *g;
	pid_t pid;
	int in_w, out_r, err_r; /* our ends of the process's stdio */
	int sfd;
	bool exited;
	int status;
	struct sd_decoder dec;
};

static void send_error(const struct sd_guest_run *g, const char *msg)
{
	struct volt_error ignored;
	size_t n = strlen(msg);
	sd_frame_write(g->ctl_out, SD_MSG_ERROR, msg, n < SD_PROTO_MAX_PAYLOAD ? n : SD_PROTO_MAX_PAYLOAD,
		       &ignored);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* PID 1 inherits every orphan: reap them all, note our process. */
static void reap(struct run *r)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == r->pid) {
			r->exited = true;
			r->status = exit_code(st);
		}
}

/* Create with the process's stdio on pipes; our ends in r. */
static int create(struct run *r, const struct volt_ctx *ctx, struct volt_error *err)
{
	int in[2], out[2], er[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return volt_err(err, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return volt_err(err, errno, "pipe");
	}
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return volt_err(err, errno, "pipe");
	}
	/* The init libvolt clones inherits 0-2; ours are put back after. */
	int saved[3];
	for (int i = 0; i < 3; i++)
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	dup2(in[0], 0), dup2(out[1], 1), dup2(er[1], 2);
	struct volt_create_opts o = {
	    .id = r->g->id, .bundle = r->g->bundle, .console_fd = -1, .keep_child = true};
	int pidfd = -1;
	int rc = volt_container_create(ctx, &o, &r->pid, &pidfd, err);
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0)
			dup2(saved[i], i), close(saved[i]);
		else
			close(i);
	}
	if (pidfd >= 0)
		close(pidfd); /* SIGCHLD and waitpid(-1) are how PID 1 learns of exits */
	close(in[0]), close(out[1]), close(er[1]);
	r->in_w = in[1], r->out_r = out[0], r->err_r = er[0];
	return rc;
}

static void signal_process(struct run *r, uint32_t sig)
{
	if (!r->exited && sig > 0 && sig < 65)
		kill(r->pid, (int)sig);
}

static void write_stdin(struct run *r, const uint8_t *p, size_t n)
{
	while (n && r->in_w >= 0) {
		ssize_t w = write(r->in_w, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(r->in_w); /* the process closed its stdin */
			r->in_w = -1;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Frames from the host; *start set on START. <0 when the channel broke. */
static int pump_control(struct run *r, bool *start)
{
	int got = sd_decoder_fill(&r->dec, r->g->ctl_in);
	if (got <= 0)
		return got;
	struct sd_frame f;
	struct volt_error err;
	int k;
	while ((k = sd_decoder_next(&r->dec, &f, &err)) == 1) {
		uint32_t sig;
		switch (f.type) {
		case SD_MSG_START:
			if (start)
				*start = true;
			break;
		case SD_MSG_SIGNAL:
			if (sd_get_u32(&f, &sig, &err) == 0)
				signal_process(r, sig);
			break;
		case SD_MSG_STDIN:
			write_stdin(r, f.payload, f.len);
			break;
		case SD_MSG_STDIN_EOF:
			if (r->in_w >= 0)
				close(r->in_w);
			r->in_w = -1;
			break;
		default:
			break;
		}
	}
	return k < 0 ? -1 : 0;
}

/* One read of the process's output into a frame; false at EOF. */
static bool forward(struct run *r, int *fd, uint8_t type)
{
	uint8_t buf[SD_PROTO_MAX_PAYLOAD];
	ssize_t n = read(*fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return false;
	}
	struct volt_error ignored;
	sd_frame_write(r->g->ctl_out, type, buf, (size_t)n, &ignored);
	return true;
}

static void run_loop(struct run *r)
{
	/* After the process exits, output still in the pipes is sent; a
	 * descendant that keeps them open gets 200 ms. */
	int quiet_ms = 0;
	while (r->out_r >= 0 || r->err_r >= 0 || !r->exited) {
		struct pollfd p[4] = {
		    {.fd = r->sfd, .events = POLLIN},
		    {.fd = r->g->ctl_in, .events = POLLIN},
		    {.fd = r->out_r, .events = POLLIN},
		    {.fd = r->err_r, .events = POLLIN},
		};
		int n = poll(p, 4, r->exited ? 50 : -1);
		if (n < 0 && errno != EINTR)
			return;
		if (n == 0 && (quiet_ms += 50) >= 200)
			return;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(r->sfd, &si, sizeof si) > 0)
				reap(r);
		}
		if (p[1].revents && pump_control(r, NULL) < 0)
			p[1].fd = -1;
		if (p[2].revents)
			forward(r, &r->out_r, SD_MSG_STDOUT);
		if (p[3].revents)
			forward(r, &r->err_r, SD_MSG_STDERR);
	}
}

/* Until START; false if the process died or the channel broke first. */
static bool wait_start(struct run *r)
{
	bool start = false;
	while (!start && !r->exited) {
		struct pollfd p[2] = {{.fd = r->sfd, .events = POLLIN},
				      {.fd = r->g->ctl_in, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return false;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(r->sfd, &si, sizeof si) > 0)
				reap(r);
		}
		if (p[1].revents && pump_control(r, &start) < 0)
			return false;
	}
	return start && !r->exited;
}

int sd_guest_run(const struct sd_guest_run *g)
{
	struct run r = {.g = g, .in_w = -1, .out_r = -1, .err_r = -1, .status = 1};
	sd_decoder_init(&r.dec);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	r.sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	struct volt_ctx ctx = {
	    .root = g->root, .cgroup_root = VOLT_CGROUP_ROOT, .log = g->log, .backend = "native"};
	struct volt_error err = {0};
	if (r.sfd < 0) {
		volt_err(&err, errno, "signalfd");
		send_error(g, err.msg);
		return 1;
	}
	if (create(&r, &ctx, &err) < 0) {
		send_error(g, err.msg);
		return 1;
	}
	if (sd_frame_write(g->ctl_out, SD_MSG_READY, NULL, 0, &err) < 0 || !wait_start(&r)) {
		kill(r.pid, SIGKILL);
		return r.exited ? r.status : 1;
	}
	if (volt_container_start(&ctx, g->id, &err) < 0) {
		send_error(g, err.msg);
		kill(r.pid, SIGKILL);
		return 1;
	}
	if (sd_frame_write(g->ctl_out, SD_MSG_STARTED, NULL, 0, &err) < 0)
		return 1;
	run_loop(&r);
	while (!r.exited) {
		int st;
		if (waitpid(r.pid, &st, 0) == r.pid) {
			r.exited = true;
			r.status = exit_code(st);
		} else if (errno != EINTR)
			break;
	}
	uint8_t b[4];
	sd_put_u32(b, (uint32_t)r.status);
	sd_frame_write(g->ctl_out, SD_MSG_EXIT, b, sizeof b, &err);
	return r.status;
}
