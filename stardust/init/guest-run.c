#include "stardust/init/guest-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/terminal.h"
#include "stardust/shim/exec-req.h"
#include "stardust/shim/proto.h"

/* Streams at once: the container's process and the execs beside it. */
#define MAX_STREAMS 64
/* After its process exits, a stream's output pipes get this long without
 * news before they are cut (a descendant may hold them open forever). */
#define DRAIN_QUIET_MS 200

struct stream {
	bool used;
	uint32_t id;
	pid_t pid;
	bool exited;
	int status;
	int in_w, out_r, err_r; /* our ends of the process's stdio, -1 when closed */
	bool tty;		/* in_w and out_r are the pty master (out_r a dup) */
	/* Host bytes not yet taken by the process's stdin: at most a window,
	 * since the host sends only within the credit IN_ACK gives back. */
	uint8_t *in_buf;
	size_t in_len;
	bool in_eof;	    /* close stdin once in_buf is empty */
	uint32_t in_ack;    /* written to the pipe since the last IN_ACK */
	size_t out_unacked; /* output sent that the host has not acknowledged */
	int64_t last_news;  /* when output was last seen (ms) */
};

struct run {
	const struct sd_guest_run *g;
	struct volt_ctx ctx;
	int sfd;
	bool started; /* the container's process was released */
	bool done;    /* its EXIT went out: the VM can stop */
	int status;   /* the container process's status */
	struct sd_decoder dec;
	struct stream s[MAX_STREAMS];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_frame(struct run *r, uint8_t type, uint32_t id, const void *p, size_t n)
{
	struct volt_error ignored;
	sd_frame_write(r->g->ctl_out, type, id, p, n, &ignored);
}

static void send_u32(struct run *r, uint8_t type, uint32_t id, uint32_t v)
{
	struct volt_error ignored;
	sd_frame_write_u32(r->g->ctl_out, type, id, v, &ignored);
}

static void send_error(struct run *r, uint32_t id, const char *msg)
{
	size_t n = strlen(msg);
	send_frame(r, SD_MSG_ERROR, id, msg, n < SD_PROTO_MAX_PAYLOAD ? n : SD_PROTO_MAX_PAYLOAD);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static struct stream *find(struct run *r, uint32_t id)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (r->s[i].used && r->s[i].id == id)
			return &r->s[i];
	return NULL;
}

static void stream_free(struct stream *s)
{
	volt_close_reset(&s->in_w), volt_close_reset(&s->out_r), volt_close_reset(&s->err_r);
	free(s->in_buf);
	memset(s, 0, sizeof *s);
	s->in_w = s->out_r = s->err_r = -1;
}

/* PID 1 inherits every orphan: reap them all, note ours. */
static void reap(struct run *r)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < MAX_STREAMS; i++)
			if (r->s[i].used && r->s[i].pid == p && !r->s[i].exited) {
				r->s[i].exited = true;
				r->s[i].status = exit_code(st);
				r->s[i].last_news = now_ms();
			}
}

/* With process.terminal (or exec --tty) libvolt made a pty in the container
 * and sent its master on the console socket before create or exec returned:
 * it replaces the pipes. Without one nothing was sent. */
static int take_pty(struct stream *s, int console, struct volt_error *err)
{
	char b;
	if (recv(console, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		return 0; /* nothing sent: EOF (our end is closed) or nothing queued */
	int master = -1;
	if (volt_console_recv(console, &master, err) < 0)
		return volt_err_ctx(err, "the container's pty");
	volt_close_reset(&s->in_w), volt_close_reset(&s->out_r), volt_close_reset(&s->err_r);
	s->in_w = master;
	s->out_r = fcntl(master, F_DUPFD_CLOEXEC, 3);
	s->tty = true;
	fcntl(master, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Run fn with the process's stdio on fresh pipes (the child libvolt
 * clones inherits 0-2) and a console socket; our ends go into s. */
static int with_pipes(struct stream *s, int (*fn)(struct run *, void *, pid_t *, int, struct volt_error *),
		      struct run *r, void *arg, struct volt_error *err)
{
	int con[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0)
		return volt_err(err, errno, "socketpair");
	int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
	for (int i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			volt_err(err, errno, "pipe");
			for (int j = 0; j < i; j++)
				close(p[j][0]), close(p[j][1]);
			close(con[0]), close(con[1]);
			return -1;
		}
	int saved[3];
	for (int i = 0; i < 3; i++)
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	dup2(p[0][0], 0), dup2(p[1][1], 1), dup2(p[2][1], 2);
	int rc = fn(r, arg, &s->pid, con[1], err);
	close(con[1]);
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0)
			dup2(saved[i], i), close(saved[i]);
		else
			close(i);
	}
	close(p[0][0]), close(p[1][1]), close(p[2][1]);
	s->in_w = p[0][1], s->out_r = p[1][0], s->err_r = p[2][0];
	/* Never block PID 1 on a process that does not read its stdin. */
	fcntl(s->in_w, F_SETFL, O_NONBLOCK);
	s->last_news = now_ms();
	if (rc == 0 && take_pty(s, con[0], err) < 0) {
		kill(s->pid, SIGKILL);
		rc = -1;
	}
	close(con[0]);
	return rc;
}

static int do_create(struct run *r, void *arg, pid_t *pid, int console, struct volt_error *err)
{
	(void)arg;
	struct volt_create_opts o = {
	    .id = r->g->id, .bundle = r->g->bundle, .console_fd = console, .keep_child = true};
	int pidfd = -1;
	int rc = volt_container_create(&r->ctx, &o, pid, &pidfd, err);
	if (pidfd >= 0)
		close(pidfd); /* SIGCHLD and waitpid(-1) are how PID 1 learns of exits */
	return rc;
}

static int do_exec(struct run *r, void *arg, pid_t *pid, int console, struct volt_error *err)
{
	struct volt_exec_opts *o = arg;
	o->console_fd = o->tty ? console : -1;
	int pidfd = -1;
	int rc = volt_container_exec(&r->ctx, o, pid, &pidfd, err);
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

static struct stream *stream_new(struct run *r, uint32_t id)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (!r->s[i].used) {
			struct stream *s = &r->s[i];
			stream_free(s);
			s->used = true;
			s->id = id;
			return s;
		}
	return NULL;
}

static void on_exec(struct run *r, const struct sd_frame *f)
{
	struct volt_error err = {0};
	if (f->stream == 0 || find(r, f->stream)) {
		send_error(r, f->stream, "exec: stream id in use");
		return;
	}
	struct stream *s = stream_new(r, f->stream);
	if (!s) {
		send_error(r, f->stream, "exec: too many processes at once in this microVM");
		return;
	}
	struct sd_exec_req req;
	if (sd_exec_req_decode(f->payload, f->len, &req, &err) < 0) {
		send_error(r, f->stream, err.msg);
		stream_free(s);
		return;
	}
	req.opts.id = r->g->id;
	int rc = with_pipes(s, do_exec, r, &req.opts, &err);
	sd_exec_req_free(&req);
	if (rc < 0) {
		send_error(r, f->stream, err.msg);
		stream_free(s);
		return;
	}
	send_u32(r, SD_MSG_STARTED, s->id, (uint32_t)s->pid);
}

static void on_start(struct run *r)
{
	struct volt_error err = {0};
	struct stream *s = find(r, 0);
	if (r->started || !s)
		return;
	if (volt_container_start(&r->ctx, r->g->id, &err) < 0) {
		send_error(r, 0, err.msg);
		kill(s->pid, SIGKILL);
		return;
	}
	r->started = true;
	send_u32(r, SD_MSG_STARTED, 0, (uint32_t)s->pid);
}

/* Hand the process what it takes now; acknowledge what it took. */
static void flush_stdin(struct stream *s)
{
	while (s->in_len && s->in_w >= 0) {
		ssize_t w = write(s->in_w, s->in_buf, s->in_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			/* The process closed its stdin: what is left is dropped, and
			 * acknowledged so the host is not left without credit. */
			s->in_ack += (uint32_t)s->in_len;
			s->in_len = 0;
			volt_close_reset(&s->in_w);
			break;
		}
		memmove(s->in_buf, s->in_buf + w, s->in_len - (size_t)w);
		s->in_len -= (size_t)w;
		s->in_ack += (uint32_t)w;
	}
	if (!s->in_len && s->in_eof)
		volt_close_reset(&s->in_w);
}

static void on_stdin(struct stream *s, const struct sd_frame *f)
{
	if (s->in_w < 0 || s->in_eof) {
		s->in_ack += f->len; /* nowhere to go: dropped, credit returned */
		return;
	}
	if (!s->in_buf && !(s->in_buf = malloc(SD_PROTO_WINDOW)))
		return;
	size_t n = f->len;
	if (n > SD_PROTO_WINDOW - s->in_len) {
		/* More than the credit the host had: it broke the protocol. */
		s->in_ack += (uint32_t)(n - (SD_PROTO_WINDOW - s->in_len));
		n = SD_PROTO_WINDOW - s->in_len;
	}
	memcpy(s->in_buf + s->in_len, f->payload, n);
	s->in_len += n;
	flush_stdin(s);
}

/* Frames from the host. <0 when the channel broke. */
static int pump_control(struct run *r)
{
	int got = sd_decoder_fill(&r->dec, r->g->ctl_in);
	if (got <= 0)
		return got;
	struct sd_frame f;
	struct volt_error err;
	int k;
	while ((k = sd_decoder_next(&r->dec, &f, &err)) == 1) {
		if (f.type == SD_MSG_START) {
			on_start(r);
			continue;
		}
		if (f.type == SD_MSG_EXEC) {
			on_exec(r, &f);
			continue;
		}
		struct stream *s = find(r, f.stream);
		uint32_t v;
		if (!s)
			continue; /* a stream that ended meanwhile */
		switch (f.type) {
		case SD_MSG_SIGNAL:
			if (sd_get_u32(&f, &v, &err) == 0 && !s->exited && v > 0 && v < 65)
				kill(s->pid, (int)v);
			break;
		case SD_MSG_STDIN:
			on_stdin(s, &f);
			break;
		case SD_MSG_STDIN_EOF:
			/* A terminal has no end of input: closing the master would
			 * hang it up. */
			if (!s->tty) {
				s->in_eof = true;
				flush_stdin(s);
			}
			break;
		case SD_MSG_RESIZE:
			if (s->tty && sd_get_u32(&f, &v, &err) == 0) {
				struct winsize ws = {.ws_row = (unsigned short)(v >> 16),
						     .ws_col = (unsigned short)v};
				ioctl(s->in_w, TIOCSWINSZ, &ws);
			}
			break;
		case SD_MSG_OUT_ACK:
			if (sd_get_u32(&f, &v, &err) == 0) {
				/* Time spent waiting for credit is not quiet time. */
				if (s->out_unacked >= SD_PROTO_WINDOW)
					s->last_news = now_ms();
				s->out_unacked -= v < s->out_unacked ? v : s->out_unacked;
			}
			break;
		case SD_MSG_OUT_CLOSE:
			/* The host's reader is gone: the process meets EPIPE (or
			 * SIGPIPE) on its next write, as it would natively. */
			if (sd_get_u32(&f, &v, &err) == 0 && !s->tty && (v == 1 || v == 2)) {
				volt_close_reset(v == 1 ? &s->out_r : &s->err_r);
			}
			break;
		default:
			break;
		}
	}
	return k < 0 ? -1 : 0;
}

/* One read of a process's output into a frame, within the host's credit. */
static void forward(struct run *r, struct stream *s, int *fd, uint8_t type)
{
	uint8_t buf[SD_PROTO_MAX_PAYLOAD];
	size_t room = SD_PROTO_WINDOW - s->out_unacked;
	ssize_t n = read(*fd, buf, room < sizeof buf ? room : sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	s->last_news = now_ms();
	if (n <= 0) {
		volt_close_reset(fd);
		return;
	}
	s->out_unacked += (size_t)n;
	send_frame(r, type, s->id, buf, (size_t)n);
}

/* A stream whose process exited and whose output is all sent (or cut off
 * after DRAIN_QUIET_MS without any) reports EXIT and ends. */
static void finish_streams(struct run *r)
{
	int64_t now = now_ms();
	for (int i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &r->s[i];
		if (!s->used || !s->exited)
			continue;
		bool open = s->out_r >= 0 || s->err_r >= 0;
		bool waiting_credit = s->out_unacked >= SD_PROTO_WINDOW;
		if (open && (waiting_credit || now - s->last_news < DRAIN_QUIET_MS))
			continue;
		send_u32(r, SD_MSG_EXIT, s->id, (uint32_t)s->status);
		if (s->id == 0) {
			r->done = true;
			r->status = s->status;
		}
		stream_free(s);
	}
}

static void send_acks(struct run *r)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (r->s[i].used && r->s[i].in_ack) {
			send_u32(r, SD_MSG_IN_ACK, r->s[i].id, r->s[i].in_ack);
			r->s[i].in_ack = 0;
		}
}

static void loop(struct run *r)
{
	enum { FIXED = 2 };
	struct pollfd p[FIXED + 3 * MAX_STREAMS];
	struct {
		struct stream *s;
		int kind; /* 0 stdin, 1 stdout, 2 stderr */
	} who[3 * MAX_STREAMS];
	while (!r->done) {
		int n = FIXED;
		bool draining = false;
		p[0] = (struct pollfd){.fd = r->sfd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = r->g->ctl_in, .events = POLLIN};
		for (int i = 0; i < MAX_STREAMS; i++) {
			struct stream *s = &r->s[i];
			if (!s->used)
				continue;
			draining |= s->exited;
			if (s->in_w >= 0 && s->in_len) {
				who[n - FIXED].s = s, who[n - FIXED].kind = 0;
				p[n++] = (struct pollfd){.fd = s->in_w, .events = POLLOUT};
			}
			if (s->out_unacked >= SD_PROTO_WINDOW)
				continue;
			if (s->out_r >= 0) {
				who[n - FIXED].s = s, who[n - FIXED].kind = 1;
				p[n++] = (struct pollfd){.fd = s->out_r, .events = POLLIN};
			}
			if (s->err_r >= 0) {
				who[n - FIXED].s = s, who[n - FIXED].kind = 2;
				p[n++] = (struct pollfd){.fd = s->err_r, .events = POLLIN};
			}
		}
		int k = poll(p, (nfds_t)n, draining ? DRAIN_QUIET_MS / 4 : -1);
		if (k < 0 && errno != EINTR)
			return;
		if (k > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(r->sfd, &si, sizeof si) > 0)
				reap(r);
		}
		for (int i = FIXED; k > 0 && i < n; i++) {
			if (!p[i].revents)
				continue;
			struct stream *s = who[i - FIXED].s;
			if (who[i - FIXED].kind == 0)
				flush_stdin(s);
			else if (who[i - FIXED].kind == 1)
				forward(r, s, &s->out_r, SD_MSG_STDOUT);
			else
				forward(r, s, &s->err_r, SD_MSG_STDERR);
		}
		/* Control last: a frame may end a stream the slots above point at. */
		if (k > 0 && p[1].revents && pump_control(r) < 0)
			return; /* nobody to report to */
		send_acks(r);
		finish_streams(r);
	}
}

int sd_guest_run(const struct sd_guest_run *g)
{
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return 1;
	r->g = g;
	r->status = 1;
	for (int i = 0; i < MAX_STREAMS; i++)
		stream_free(&r->s[i]);
	sd_decoder_init(&r->dec);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* A process that exits with stdin unread makes our next write EPIPE,
	 * not a signal (children start with an empty mask: process.c). */
	sigset_t block = chld;
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, NULL);
	r->sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	r->ctx = (struct volt_ctx){
	    .root = g->root, .cgroup_root = VOLT_CGROUP_ROOT, .log = g->log, .backend = "native"};
	struct volt_error err = {0};
	struct stream *main_s = stream_new(r, 0);
	if (r->sfd < 0)
		volt_err(&err, errno, "signalfd");
	else if (with_pipes(main_s, do_create, r, NULL, &err) == 0) {
		struct volt_error ignored;
		if (sd_frame_write(g->ctl_out, SD_MSG_READY, 0, NULL, 0, &ignored) == 0)
			loop(r);
		int status = r->status;
		/* The VM stops: nothing may outlive the report. */
		for (int i = 0; i < MAX_STREAMS; i++)
			if (r->s[i].used && !r->s[i].exited && r->s[i].pid > 0)
				kill(r->s[i].pid, SIGKILL);
		for (int i = 0; i < MAX_STREAMS; i++)
			stream_free(&r->s[i]);
		free(r);
		return status;
	}
	send_error(r, 0, err.msg);
	for (int i = 0; i < MAX_STREAMS; i++)
		stream_free(&r->s[i]);
	free(r);
	return 1;
}
