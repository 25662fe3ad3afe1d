#include "stardust/shim/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stardust/shim/proto.h"

/* Frames for the guest wait here, not in a blocking write: a guest that
 * stops reading its console must not stop us draining its output, reading
 * signals or noticing the monitor's exit. Host stdin is read only while the
 * buffer is empty, so it holds at most one STDIN frame plus small ones. */
#define OUT_CAP (65536 + SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD)

struct relay {
	const struct sd_relay_args *a;
	pid_t vmm;
	int sfd;
	int start_conn; /* `start` waiting for STARTED, or -1 */
	bool ready, started, stdin_open, have_exit, vmm_gone;
	int vmm_status;
	uint32_t exit_status;
	struct sd_decoder dec;
	uint64_t pending_sigs;	   /* bit n-1: signal n did not fit in out yet */
	size_t out_start, out_end; /* unsent bytes are out[out_start, out_end) */
	uint8_t out[OUT_CAP];
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

static _Noreturn void exec_vmm(const struct sd_relay_args *a)
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
	execv(a->vmm_argv[0], a->vmm_argv);
	say("volt-stardust: exec %s failed\n", a->vmm_argv[0]);
	_exit(127);
}

/* The monitor in a new PID namespace (it cannot make one for itself, see
 * stardust/vmm/jail.h). */
static pid_t spawn_vmm(const struct sd_relay_args *a)
{
	struct clone_args ca = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		exec_vmm(a);
	return pid;
}

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

static void on_frame(struct relay *r, const struct sd_frame *f)
{
	struct volt_error err;
	char text[SD_PROTO_MAX_PAYLOAD + 1];
	switch (f->type) {
	case SD_MSG_READY:
		r->ready = true;
		for (int i = 0; i < 2; i++)
			if (r->a->unlink_at_ready[i])
				unlink(r->a->unlink_at_ready[i]);
		ctl_reply(r, 'R', NULL);
		break;
	case SD_MSG_STARTED:
		r->started = true;
		r->stdin_open = true;
		if (r->start_conn >= 0)
			close(r->start_conn); /* EOF: started */
		r->start_conn = -1;
		break;
	case SD_MSG_ERROR:
		memcpy(text, f->payload, f->len);
		text[f->len] = '\0';
		if (!r->ready)
			ctl_reply(r, 'E', text);
		else if (r->start_conn >= 0) {
			write_out(r->start_conn, (const uint8_t *)text, f->len);
			close(r->start_conn);
			r->start_conn = -1;
		} else
			say("volt-stardust: guest: %s\n", text);
		break;
	case SD_MSG_STDOUT:
		write_out(STDOUT_FILENO, f->payload, f->len);
		break;
	case SD_MSG_STDERR:
		write_out(STDERR_FILENO, f->payload, f->len);
		break;
	case SD_MSG_EXIT:
		if (sd_get_u32(f, &r->exit_status, &err) == 0)
			r->have_exit = true;
		break;
	default:
		say("volt-stardust: guest sent an unexpected %s frame\n", sd_msg_name(f->type));
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
		kill(r->vmm, SIGKILL); /* a guest that breaks the protocol is not trusted further */
		return -1;
	}
	return 1;
}

/* Queue a frame for the guest; false when it does not fit now. */
static bool queue_frame(struct relay *r, uint8_t type, const void *p, size_t n)
{
	if (r->out_start) {
		memmove(r->out, r->out + r->out_start, r->out_end - r->out_start);
		r->out_end -= r->out_start;
		r->out_start = 0;
	}
	struct volt_error err;
	int k = sd_frame_encode(r->out + r->out_end, sizeof r->out - r->out_end, type, p, n, &err);
	if (k < 0)
		return false;
	r->out_end += (size_t)k;
	return true;
}

static bool queue_signal(struct relay *r, int sig)
{
	uint8_t b[4];
	sd_put_u32(b, (uint32_t)sig);
	return queue_frame(r, SD_MSG_SIGNAL, b, sizeof b);
}

/* Write what the pipe takes now, then queue signals that waited for room. */
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
			r->pending_sigs = 0;
			return;
		}
		r->out_start += (size_t)w;
	}
	if (r->out_start == r->out_end)
		r->out_start = r->out_end = 0;
	for (int sig = 1; sig <= 64 && r->pending_sigs; sig++) {
		uint64_t bit = 1ULL << (sig - 1);
		if ((r->pending_sigs & bit) && queue_signal(r, sig))
			r->pending_sigs &= ~bit;
	}
}

static void on_signal(struct relay *r, int sig)
{
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
	if (sig >= 1 && sig <= 64 && (r->pending_sigs || !queue_signal(r, sig)))
		r->pending_sigs |= 1ULL << (sig - 1);
}

static void on_start_conn(struct relay *r)
{
	int c = accept4(r->a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char b;
	if (r->started || r->start_conn >= 0 || recv(c, &b, 1, 0) != 1 || b != 'S') {
		close(c);
		return;
	}
	if (!queue_frame(r, SD_MSG_START, NULL, 0)) {
		/* Only a flood of signals fills the buffer before START. */
		static const char msg[] = "the VM's control channel is busy: try again";
		write_out(c, (const uint8_t *)msg, sizeof msg - 1);
		close(c);
		return;
	}
	r->start_conn = c;
}

static void on_stdin(struct relay *r)
{
	uint8_t buf[SD_PROTO_MAX_PAYLOAD];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	/* Polled only with out empty: a whole frame still fits. */
	if (n <= 0) {
		r->stdin_open = false;
		queue_frame(r, SD_MSG_STDIN_EOF, NULL, 0);
		return;
	}
	queue_frame(r, SD_MSG_STDIN, buf, (size_t)n);
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

_Noreturn void sd_relay_run(const struct sd_relay_args *a)
{
	struct relay r = {.a = a, .start_conn = -1};
	sd_decoder_init(&r.dec);
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigprocmask(SIG_SETMASK, &all, NULL);
	r.sfd = signalfd(-1, &all, SFD_CLOEXEC);
	char go;
	if (r.sfd < 0 || recv(a->ctl, &go, 1, 0) != 1)
		_exit(1);
	r.vmm = spawn_vmm(a);
	if (r.vmm < 0) {
		char msg[160];
		snprintf(msg, sizeof msg, "start stardust-vmm in a new PID namespace: %s", strerror(errno));
		ctl_reply(&r, 'E', msg);
		_exit(1);
	}
	close(a->vmm_in);
	close(a->vmm_out);
	fcntl(a->to_guest, F_SETFL, fcntl(a->to_guest, F_GETFL) | O_NONBLOCK);
	int64_t deadline = now_ms() + (int64_t)a->boot_timeout_s * 1000;
	while (!r.vmm_gone) {
		bool sending = r.out_end > r.out_start;
		struct pollfd p[5] = {
		    {.fd = r.sfd, .events = POLLIN},
		    {.fd = a->from_guest, .events = POLLIN},
		    {.fd = r.ready && !r.started ? a->listen_fd : -1, .events = POLLIN},
		    {.fd = r.started && r.stdin_open && !sending ? STDIN_FILENO : -1, .events = POLLIN},
		    {.fd = sending ? a->to_guest : -1, .events = POLLOUT},
		};
		int timeout = -1;
		if (!r.ready) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "the guest was not ready within %u s",
					 a->boot_timeout_s);
				ctl_reply(&r, 'E', msg);
				kill(r.vmm, SIGKILL);
				r.ready = true; /* said already */
				continue;
			}
			timeout = (int)left;
		}
		if (poll(p, 5, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(r.sfd, &si, sizeof si) == sizeof si)
				on_signal(&r, (int)si.ssi_signo);
		}
		if (p[1].revents && pump_guest(&r) < 0) {
			/* The guest side is closed: the monitor is on its way out. */
			int st;
			if (waitpid(r.vmm, &st, 0) == r.vmm) {
				r.vmm_gone = true;
				r.vmm_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
		}
		if (p[2].revents & POLLIN)
			on_start_conn(&r);
		if (p[3].revents)
			on_stdin(&r);
		flush_out(&r);
	}
	finish(&r);
}
