#include "stardust/shim/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/shim/proto.h"

/* Frames for the guest wait here, not in a blocking write: a guest that
 * stops reading its console must not stop us draining its output, reading
 * signals or noticing the monitor's exit. Host input is read only while a
 * whole frame fits, and credits bound it per stream. */
#define OUT_CAP	    (65536 + SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD)
#define MAX_STREAMS 64

struct stream {
	bool used;
	uint32_t id;
	int fd[3]; /* stdin, stdout, stderr on the host; -1 once closed */
	int conn;  /* the exec client, -1 for stream 0 or once it left */
	bool exec_sent, ended;
	bool kill_pending;    /* its client left: SIGKILL for the guest process, once there is room */
	uint32_t exit_status; /* from EXIT, sent to the client after the output */
	size_t in_credit;     /* STDIN bytes the guest can take now */
	bool in_eof_sent;
	struct {
		uint8_t *b;
		size_t len;
	} o[2];			/* output for fd[1], fd[2] not yet written */
	uint32_t ack_pending;	/* output written (or dropped) since the last OUT_ACK */
	uint8_t close_pending;	/* bit 0 stdout, bit 1 stderr: OUT_CLOSE to send */
	uint64_t pending_sigs;	/* bit n-1: signal n did not fit in out yet */
	struct sd_decoder *dec; /* frames from the client */
};

struct relay {
	const struct sd_relay_args *a;
	pid_t vmm;
	int vmm_pidfd;
	int sfd;
	bool warned_stream, warned_type; /* a hostile guest's noise is reported once */
	int start_conn;			 /* `start` waiting for STARTED, or -1 */
	bool ready, started, have_exit, vmm_gone;
	int vmm_status;
	uint32_t exit_status;
	uint32_t next_id;
	struct sd_decoder dec;
	size_t out_start, out_end; /* unsent bytes are out[out_start, out_end) */
	uint8_t out[OUT_CAP];
	struct stream s[MAX_STREAMS];
};

static void say(const char *fmt, const char *detail)
{
	char buf[1200];
	int n = snprintf(buf, sizeof buf, fmt, detail);
	/* detail can be guest text of any length: send only what fit. */
	if (n >= (int)sizeof buf)
		n = (int)sizeof buf - 1;
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to report */
	}
}

static void ctl_reply(struct relay *r, char code, const char *msg)
{
	if (r->a->ctl < 0)
		return;
	char buf[1100];
	int n = snprintf(buf, sizeof buf, "%c%s", code, msg ? msg : "");
	if (n >= (int)sizeof buf)
		n = (int)sizeof buf - 1;
	if (n < 0)
		return;
	if (send(r->a->ctl, buf, (size_t)n, MSG_NOSIGNAL) < 0) {
		/* the creator is gone: nothing to tell */
	}
}

static _Noreturn void exec_vmm(const struct sd_relay_args *a, pid_t relay)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int in = fcntl(a->vmm_in, F_DUPFD_CLOEXEC, 10), out = fcntl(a->vmm_out, F_DUPFD_CLOEXEC, 10);
	if (in < 0 || out < 0 || dup2(in, SD_VMM_CONSOLE_IN_FD) < 0 || dup2(out, SD_VMM_CONSOLE_OUT_FD) < 0)
		_exit(126);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
	/* Nothing the caller (an engine) let us inherit reaches the monitor: a
	 * directory fd would lead out of its jail's empty root. */
	if (syscall(SYS_close_range, SD_VMM_CONSOLE_OUT_FD + 1, ~0U, 0) < 0)
		_exit(126);
	/* A uid of its own for each monitor (the relay's pid is unique while
	 * the VM lives): a guest that took over one monitor cannot signal or
	 * ptrace another, nor any process of a shared user such as nobody. */
	size_t n = 0;
	char *argv[48], user[32];
	while (a->vmm_argv[n] && n < sizeof argv / sizeof *argv - 3) {
		argv[n] = a->vmm_argv[n];
		n++;
	}
	unsigned id = SD_VMM_ID_BASE + (unsigned)relay; /* getppid() is 0 in the new PID namespace */
	snprintf(user, sizeof user, "%u:%u", id, id);
	argv[n] = "--user";
	argv[n + 1] = user;
	argv[n + 2] = NULL;
	execv(argv[0], argv);
	say("volt-stardust: exec %s failed\n", argv[0]);
	_exit(127);
}

/* The monitor in a new PID namespace (it cannot make one for itself, see
 * stardust/vmm/jail.h). */
static pid_t spawn_vmm(const struct sd_relay_args *a, int *pidfd)
{
	struct clone_args ca = {
	    .flags = CLONE_NEWPID | CLONE_PIDFD,
	    .pidfd = (unsigned long long)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	pid_t relay = getpid();
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		exec_vmm(a, relay);
	return pid;
}

/* Through the pidfd: once reaped, the pid may be someone else's. */
static void kill_vmm(const struct relay *r)
{
	if (!r->vmm_gone)
		syscall(SYS_pidfd_send_signal, r->vmm_pidfd, SIGKILL, NULL, 0);
}

/* Blocking write of a short message (an answer to `start`). */
static void write_out(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the reader went away: drop, as a closed pipe would */
		p += w;
		n -= (size_t)w;
	}
}

/* ---- frames to the guest ---------------------------------------------- */

static size_t out_room(const struct relay *r)
{
	return sizeof r->out - (r->out_end - r->out_start);
}

/* Queue a frame for the guest; false when it does not fit now. */
static bool queue_frame(struct relay *r, uint8_t type, uint32_t id, const void *p, size_t n)
{
	if (r->out_start) {
		memmove(r->out, r->out + r->out_start, r->out_end - r->out_start);
		r->out_end -= r->out_start;
		r->out_start = 0;
	}
	struct volt_error err;
	int k = sd_frame_encode(r->out + r->out_end, sizeof r->out - r->out_end, type, id, p, n, &err);
	if (k < 0)
		return false;
	r->out_end += (size_t)k;
	return true;
}

static bool queue_u32(struct relay *r, uint8_t type, uint32_t id, uint32_t v)
{
	uint8_t b[4];
	sd_put_u32(b, v);
	return queue_frame(r, type, id, b, sizeof b);
}

/* The host pty's size, for the guest's (RESIZE); false when unset. */
static bool queue_size(struct relay *r)
{
	struct winsize ws;
	if (r->a->tty < 0 || ioctl(r->a->tty, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
		return false;
	return queue_u32(r, SD_MSG_RESIZE, 0, (uint32_t)ws.ws_row << 16 | ws.ws_col);
}

/* ---- streams ------------------------------------------------------------ */

static struct stream *find(struct relay *r, uint32_t id)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (r->s[i].used && r->s[i].id == id)
			return &r->s[i];
	return NULL;
}

static void stream_free(struct stream *s)
{
	if (s->id != 0)
		for (int i = 0; i < 3; i++)
			volt_close_reset(&s->fd[i]);
	volt_close_reset(&s->conn);
	free(s->o[0].b);
	free(s->o[1].b);
	free(s->dec);
	memset(s, 0, sizeof *s);
	s->fd[0] = s->fd[1] = s->fd[2] = s->conn = -1;
}

static struct stream *stream_new(struct relay *r, uint32_t id)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (!r->s[i].used) {
			struct stream *s = &r->s[i];
			s->used = true;
			s->id = id;
			s->in_credit = SD_PROTO_WINDOW;
			return s;
		}
	return NULL;
}

/* A frame for the exec client (short: STARTED, ERROR, EXIT). */
static void to_client(struct stream *s, uint8_t type, const void *p, size_t n)
{
	if (s->conn < 0)
		return;
	uint8_t buf[SD_PROTO_HDR + 1024];
	struct volt_error err;
	int k = sd_frame_encode(buf, sizeof buf, type, 0, p, n < 1024 ? n : 1024, &err);
	if (k < 0)
		return;
	/* A few bytes on a fresh socket: the buffer takes them. A client that
	 * cannot take them is gone: its process must not run on unseen. */
	if (send(s->conn, buf, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT) != k) {
		volt_close_reset(&s->conn);
		s->kill_pending = s->exec_sent && !s->ended;
	}
}

static bool output_pending(const struct stream *s)
{
	return s->o[0].len || s->o[1].len;
}

/* The guest's EXIT arrived and every byte of output is out: tell the client
 * (or, for stream 0, keep the status for our own exit). */
static void maybe_end(struct relay *r, struct stream *s)
{
	if (!s->ended || output_pending(s))
		return;
	if (s->id == 0) {
		r->exit_status = s->exit_status;
		r->have_exit = true;
		return; /* its fds are the relay's own */
	}
	uint8_t b[4];
	sd_put_u32(b, s->exit_status);
	to_client(s, SD_MSG_EXIT, b, sizeof b);
	stream_free(s);
}

static void on_output(struct stream *s, int which, const struct sd_frame *f)
{
	int fd = s->fd[1 + which];
	size_t n = f->len;
	if (fd < 0 || (!s->o[which].b && !(s->o[which].b = malloc(SD_PROTO_WINDOW))) ||
	    s->o[which].len + n > SD_PROTO_WINDOW) {
		/* Nowhere to go (or beyond the credit we gave): dropped. */
		s->ack_pending += (uint32_t)n;
		return;
	}
	memcpy(s->o[which].b + s->o[which].len, f->payload, n);
	s->o[which].len += n;
}

static void on_frame(struct relay *r, const struct sd_frame *f)
{
	struct volt_error err;
	char text[SD_PROTO_MAX_PAYLOAD + 1];
	uint32_t v;
	if (f->type == SD_MSG_READY) {
		r->ready = true;
		for (int i = 0; i < 2; i++)
			if (r->a->unlink_at_ready[i])
				unlink(r->a->unlink_at_ready[i]);
		ctl_reply(r, 'R', NULL);
		queue_size(r); /* a size set before create returned */
		return;
	}
	struct stream *s = find(r, f->stream);
	if (!s) {
		/* A stream that ended meanwhile (an ACK in flight) is normal;
		 * anything more is reported once, never per frame. */
		if (f->type != SD_MSG_IN_ACK && !r->warned_stream) {
			r->warned_stream = true;
			say("volt-stardust: guest sent %s for an unknown stream (reported once)\n",
			    sd_msg_name(f->type));
		}
		return;
	}
	switch (f->type) {
	case SD_MSG_STARTED:
		if (f->stream != 0) {
			to_client(s, SD_MSG_STARTED, f->payload, f->len);
			break;
		}
		r->started = true;
		if (r->start_conn >= 0)
			close(r->start_conn); /* EOF: started */
		r->start_conn = -1;
		break;
	case SD_MSG_ERROR:
		memcpy(text, f->payload, f->len);
		text[f->len] = '\0';
		if (f->stream != 0) {
			to_client(s, SD_MSG_ERROR, f->payload, f->len);
			stream_free(s);
		} else if (!r->ready)
			ctl_reply(r, 'E', text);
		else if (r->start_conn >= 0) {
			write_out(r->start_conn, (const uint8_t *)text, f->len);
			close(r->start_conn);
			r->start_conn = -1;
		} else
			say("volt-stardust: guest: %s\n", text);
		break;
	case SD_MSG_STDOUT:
		on_output(s, 0, f);
		break;
	case SD_MSG_STDERR:
		on_output(s, 1, f);
		break;
	case SD_MSG_IN_ACK:
		if (sd_get_u32(f, &v, &err) == 0)
			s->in_credit =
			    s->in_credit + v > SD_PROTO_WINDOW ? SD_PROTO_WINDOW : s->in_credit + v;
		break;
	case SD_MSG_EXIT:
		if (sd_get_u32(f, &v, &err) == 0) {
			s->ended = true;
			s->exit_status = v;
			maybe_end(r, s);
		}
		break;
	default:
		if (!r->warned_type) {
			r->warned_type = true;
			say("volt-stardust: guest sent an unexpected %s frame (reported once)\n",
			    sd_msg_name(f->type));
		}
	}
}

/* Read what the guest wrote: 1 after data, 0 when nothing is there now, -1
 * at EOF or on a broken stream. */
static int pump_guest(struct relay *r)
{
	int got = sd_decoder_fill(&r->dec, r->a->from_guest);
	if (got <= 0)
		return got;
	struct sd_frame f;
	struct volt_error err;
	int k;
	while ((k = sd_decoder_next(&r->dec, &f, &err)) == 1)
		on_frame(r, &f);
	if (k < 0) {
		say("volt-stardust: %s\n", err.msg);
		kill_vmm(r); /* a guest that breaks the protocol is not trusted further */
		return -1;
	}
	return 1;
}

/* Write what the pipe takes now, then queue what waited for room. */
static void flush_out(struct relay *r)
{
	while (r->out_end > r->out_start) {
		ssize_t w = write(r->a->to_guest, r->out + r->out_start, r->out_end - r->out_start);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			/* The monitor's end is closed: nothing will read these. */
			if (!r->vmm_gone)
				say("volt-stardust: control channel: write: %s\n", strerror(errno));
			r->out_start = r->out_end = 0;
			return;
		}
		r->out_start += (size_t)w;
	}
	if (r->out_start == r->out_end)
		r->out_start = r->out_end = 0;
	for (int i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &r->s[i];
		if (s->used && s->ack_pending && queue_u32(r, SD_MSG_OUT_ACK, s->id, s->ack_pending))
			s->ack_pending = 0;
		if (s->used && s->kill_pending && queue_u32(r, SD_MSG_SIGNAL, s->id, SIGKILL))
			s->kill_pending = false;
		for (int sig = 1; s->used && sig <= 64 && s->pending_sigs; sig++) {
			uint64_t bit = 1ULL << (sig - 1);
			if ((s->pending_sigs & bit) && queue_u32(r, SD_MSG_SIGNAL, s->id, (uint32_t)sig))
				s->pending_sigs &= ~bit;
		}
		for (int w = 0; w < 2; w++)
			if (s->used && (s->close_pending & (1 << w)) &&
			    queue_u32(r, SD_MSG_OUT_CLOSE, s->id, (uint32_t)w + 1))
				s->close_pending &= (uint8_t) ~(1 << w);
	}
}

/* One write of at most PIPE_BUF bytes to a polled-writable fd (see
 * relay.h: the fd may be blocking and shared). */
static void write_output(struct stream *s, int which)
{
	int *fd = &s->fd[1 + which];
	size_t n = s->o[which].len < PIPE_BUF ? s->o[which].len : PIPE_BUF;
	ssize_t w = write(*fd, s->o[which].b, n);
	if (w < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (w <= 0) {
		/* The reader is gone: the rest is dropped, and the guest closes
		 * its end, so the process meets EPIPE as it would natively. */
		s->ack_pending += (uint32_t)s->o[which].len;
		s->o[which].len = 0;
		s->close_pending |= (uint8_t)(1 << which);
		if (s->id != 0)
			volt_close_reset(fd);
		else
			*fd = -1;
		return;
	}
	memmove(s->o[which].b, s->o[which].b + w, s->o[which].len - (size_t)w);
	s->o[which].len -= (size_t)w;
	s->ack_pending += (uint32_t)w;
}

static void on_signal(struct relay *r, int sig)
{
	if (sig == SIGWINCH && r->a->tty >= 0) {
		queue_size(r);
		return;
	}
	if (sig == SIGCHLD) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == r->vmm) {
				r->vmm_gone = true;
				r->vmm_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
		return;
	}
	/* Never dropped: one that does not fit waits in the mask (repeats of
	 * a standard signal coalesce, as they would in a pending set). */
	struct stream *s0 = find(r, 0);
	if (s0 && sig >= 1 && sig <= 64 &&
	    (s0->pending_sigs || !queue_u32(r, SD_MSG_SIGNAL, 0, (uint32_t)sig)))
		s0->pending_sigs |= 1ULL << (sig - 1);
}

/* Stdin of a stream: read within its credit and while a frame fits. */
static void on_input(struct relay *r, struct stream *s)
{
	uint8_t buf[SD_PROTO_MAX_PAYLOAD];
	size_t want = s->in_credit < sizeof buf ? s->in_credit : sizeof buf;
	ssize_t n = read(s->fd[0], buf, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		queue_frame(r, SD_MSG_STDIN_EOF, s->id, NULL, 0);
		s->in_eof_sent = true;
		if (s->id != 0)
			volt_close_reset(&s->fd[0]);
		return;
	}
	queue_frame(r, SD_MSG_STDIN, s->id, buf, (size_t)n);
	s->in_credit -= (size_t)n;
}

/* A terminal is written only after POLLOUT, but POLLOUT on a tty does not
 * promise room for PIPE_BUF bytes: a reader that stops (or ^S) would block
 * us. Our own open file description of it can be non-blocking without
 * touching the caller's; other fds are returned as they are. */
static int nonblocking_tty(int fd)
{
	if (fd < 0 || !isatty(fd))
		return fd;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int n = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (n < 0)
		return fd;
	close(fd);
	return n;
}

/* 'X' with three fds: the start of an exec client's request. */
static int recv_hello(int c, int fds[3])
{
	char b = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	ssize_t n = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
	if (n != 1)
		return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (b == 'S')
		return h ? -1 : 0;
	if (b != 'X' || !h || h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(3 * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(h), 3 * sizeof(int));
	return 1;
}

static void on_conn(struct relay *r)
{
	int c = accept4(r->a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	int fds[3] = {-1, -1, -1};
	int kind = recv_hello(c, fds);
	if (kind == 0) { /* start */
		if (r->started || r->start_conn >= 0 || !queue_frame(r, SD_MSG_START, 0, NULL, 0)) {
			static const char msg[] = "the VM is busy or already started";
			write_out(c, (const uint8_t *)msg, sizeof msg - 1);
			close(c);
			return;
		}
		r->start_conn = c;
		return;
	}
	struct stream *s = kind == 1 ? stream_new(r, ++r->next_id) : NULL;
	if (!s) {
		struct stream busy = {.conn = c};
		if (kind == 1) {
			static const char msg[] = "exec: too many processes at once in this microVM";
			to_client(&busy, SD_MSG_ERROR, msg, sizeof msg - 1); /* closes conn if it fails */
		}
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		volt_close_reset(&busy.conn);
		return;
	}
	for (int i = 0; i < 3; i++)
		s->fd[i] = nonblocking_tty(fds[i]);
	s->conn = c;
	s->dec = malloc(sizeof *s->dec);
	if (!s->dec) {
		stream_free(s);
		return;
	}
	sd_decoder_init(s->dec);
	fcntl(c, F_SETFL, O_NONBLOCK);
}

/* Frames from an exec client: EXEC first, then SIGNALs. */
static void on_client(struct relay *r, struct stream *s)
{
	if (sd_decoder_fill(s->dec, s->conn) < 0) {
		/* Gone: its process must not run on unseen. */
		volt_close_reset(&s->conn);
		if (s->exec_sent)
			s->kill_pending = true;
		else
			stream_free(s);
		return;
	}
	struct sd_frame f;
	struct volt_error err;
	int k;
	while ((k = sd_decoder_next(s->dec, &f, &err)) == 1) {
		if (f.type == SD_MSG_EXEC && !s->exec_sent) {
			if (!queue_frame(r, SD_MSG_EXEC, s->id, f.payload, f.len)) {
				static const char msg[] = "the VM's control channel is busy: try again";
				to_client(s, SD_MSG_ERROR, msg, sizeof msg - 1);
				stream_free(s);
				return;
			}
			s->exec_sent = true;
		} else if (f.type == SD_MSG_SIGNAL && s->exec_sent && f.len == 4) {
			uint32_t sig;
			/* Never dropped: one that does not fit waits, as stream 0's do. */
			if (sd_get_u32(&f, &sig, &err) == 0 && sig >= 1 && sig <= 64 &&
			    (s->pending_sigs || !queue_frame(r, f.type, s->id, f.payload, f.len)))
				s->pending_sigs |= 1ULL << (sig - 1);
		} else if (f.type == SD_MSG_RESIZE && s->exec_sent && f.len == 4)
			queue_frame(r, f.type, s->id, f.payload, f.len); /* the next one will do */
	}
	if (k < 0) {
		to_client(s, SD_MSG_ERROR, err.msg, strlen(err.msg));
		volt_close_reset(&s->conn);
		if (s->exec_sent)
			s->kill_pending = true;
		else
			stream_free(s);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Noreturn void finish(struct relay *r)
{
	/* The monitor is gone: what it wrote is all in the pipe. */
	fcntl(r->a->from_guest, F_SETFL, O_NONBLOCK);
	while (pump_guest(r) > 0)
		;
	/* Stream 0's last output, blocking now: nothing else is left to serve. */
	struct stream *s0 = find(r, 0);
	for (int w = 0; s0 && w < 2; w++)
		if (s0->fd[1 + w] >= 0)
			write_out(s0->fd[1 + w], s0->o[w].b, s0->o[w].len);
	if (s0 && s0->ended) {
		r->have_exit = true;
		r->exit_status = s0->exit_status;
	}
	if (r->a->unlink_at_stop)
		unlink(r->a->unlink_at_stop);
	if (!r->ready) {
		char msg[128];
		snprintf(msg, sizeof msg,
			 "the VM stopped before the guest was ready (stardust-vmm status %d)", r->vmm_status);
		ctl_reply(r, 'E', msg);
	}
	if (r->start_conn >= 0) {
		static const char msg[] = "the VM stopped before the process started";
		write_out(r->start_conn, (const uint8_t *)msg, sizeof msg - 1);
	}
	if (r->have_exit)
		_exit((int)(r->exit_status & 0xff));
	if (r->ready) {
		char st[16];
		snprintf(st, sizeof st, "%d", r->vmm_status);
		say("volt-stardust: the VM stopped without an exit status (stardust-vmm status %s)\n", st);
	}
	_exit(r->vmm_status ? r->vmm_status : 1);
}

enum { P_SIG, P_GUEST_IN, P_LISTEN, P_GUEST_OUT, P_FIXED };

_Noreturn void sd_relay_run(const struct sd_relay_args *a)
{
	struct relay *r = calloc(1, sizeof *r);
	if (!r)
		_exit(1);
	r->a = a;
	r->start_conn = -1;
	for (int i = 0; i < MAX_STREAMS; i++) {
		r->s[i].fd[0] = r->s[i].fd[1] = r->s[i].fd[2] = r->s[i].conn = -1;
	}
	struct stream *s0 = stream_new(r, 0);
	s0->fd[0] = STDIN_FILENO, s0->fd[1] = STDOUT_FILENO, s0->fd[2] = STDERR_FILENO;
	if (a->tty >= 0) {
		s0->fd[0] = s0->fd[1] = s0->fd[2] = a->tty;
		/* Our controlling terminal: its size changes reach us as SIGWINCH. */
		if (setsid() < 0 || ioctl(a->tty, TIOCSCTTY, 0) < 0)
			say("volt-stardust: the pty: %s (size changes will not reach the guest)\n",
			    strerror(errno));
	}
	sd_decoder_init(&r->dec);
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	/* What our own writes raise (a reader gone, a background write to a
	 * terminal, a file too large) is ours, not the container's: ignored,
	 * the write fails instead. */
	static const int own[] = {SIGPIPE, SIGTTOU, SIGTTIN, SIGXFSZ};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		signal(own[i], SIG_IGN);
		sigdelset(&all, own[i]);
	}
	sigprocmask(SIG_SETMASK, &all, NULL);
	r->sfd = signalfd(-1, &all, SFD_CLOEXEC);
	char go;
	if (r->sfd < 0 || recv(a->ctl, &go, 1, 0) != 1)
		_exit(1);
	r->vmm = spawn_vmm(a, &r->vmm_pidfd);
	if (r->vmm < 0) {
		char msg[160];
		snprintf(msg, sizeof msg, "start stardust-vmm in a new PID namespace: %s", strerror(errno));
		ctl_reply(r, 'E', msg);
		_exit(1);
	}
	close(a->vmm_in);
	close(a->vmm_out);
	fcntl(a->to_guest, F_SETFL, fcntl(a->to_guest, F_GETFL) | O_NONBLOCK);
	int64_t deadline = now_ms() + (int64_t)a->boot_timeout_s * 1000;
	struct pollfd p[P_FIXED + 4 * MAX_STREAMS];
	struct {
		struct stream *s;
		int kind; /* 0 stdin, 1 stdout, 2 stderr, 3 client */
	} who[4 * MAX_STREAMS];
	while (!r->vmm_gone) {
		bool sending = r->out_end > r->out_start;
		bool frame_fits = out_room(r) >= SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD;
		p[P_SIG] = (struct pollfd){.fd = r->sfd, .events = POLLIN};
		p[P_GUEST_IN] = (struct pollfd){.fd = a->from_guest, .events = POLLIN};
		p[P_LISTEN] = (struct pollfd){.fd = r->ready ? a->listen_fd : -1, .events = POLLIN};
		p[P_GUEST_OUT] = (struct pollfd){.fd = sending ? a->to_guest : -1, .events = POLLOUT};
		int n = P_FIXED;
		for (int i = 0; i < MAX_STREAMS; i++) {
			struct stream *s = &r->s[i];
			if (!s->used)
				continue;
			bool running = s->id == 0 ? r->started : s->exec_sent;
			if (running && !s->in_eof_sent && s->fd[0] >= 0 && s->in_credit && frame_fits) {
				who[n - P_FIXED].s = s, who[n - P_FIXED].kind = 0;
				p[n++] = (struct pollfd){.fd = s->fd[0], .events = POLLIN};
			}
			/* One of stdout and stderr per round: they may be one pipe. */
			int w = s->o[0].len && s->fd[1] >= 0 ? 0 : s->o[1].len && s->fd[2] >= 0 ? 1 : -1;
			if (w >= 0) {
				who[n - P_FIXED].s = s, who[n - P_FIXED].kind = 1 + w;
				p[n++] = (struct pollfd){.fd = s->fd[1 + w], .events = POLLOUT};
			}
			if (s->conn >= 0) {
				who[n - P_FIXED].s = s, who[n - P_FIXED].kind = 3;
				p[n++] = (struct pollfd){.fd = s->conn, .events = POLLIN};
			}
		}
		int timeout = -1;
		if (!r->ready) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "the guest was not ready within %u s",
					 a->boot_timeout_s);
				ctl_reply(r, 'E', msg);
				kill_vmm(r);
				r->ready = true; /* said already */
				continue;
			}
			timeout = (int)left;
		}
		int k = poll(p, (nfds_t)n, timeout);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (p[P_SIG].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(r->sfd, &si, sizeof si) == sizeof si)
				on_signal(r, (int)si.ssi_signo);
		}
		/* Host side first: the guest's frames below may end a stream. */
		for (int i = P_FIXED; i < n; i++) {
			struct stream *s = who[i - P_FIXED].s;
			if (!p[i].revents || !s->used)
				continue;
			switch (who[i - P_FIXED].kind) {
			case 0:
				if (out_room(r) >= SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD)
					on_input(r, s);
				break;
			case 1:
			case 2:
				write_output(s, who[i - P_FIXED].kind - 1);
				maybe_end(r, s);
				break;
			case 3:
				on_client(r, s);
				break;
			}
		}
		if (p[P_LISTEN].revents & POLLIN)
			on_conn(r);
		if (p[P_GUEST_IN].revents && pump_guest(r) < 0) {
			/* The guest side is closed: the monitor is on its way out. */
			int st;
			if (waitpid(r->vmm, &st, 0) == r->vmm) {
				r->vmm_gone = true;
				r->vmm_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
		}
		flush_out(r);
	}
	finish(r);
}
