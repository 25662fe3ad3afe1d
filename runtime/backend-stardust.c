/* The Stardust backend: the container's "init" is a relay process
 * (stardust/shim/relay.h) that boots the bundle in a KVM microVM with
 * stardust-vmm; stardust-init applies config.json inside the guest with this
 * same library. create builds the VM's disk (the bundle as ext4) and
 * initramfs and returns once the guest is ready; start goes through
 * exec.sock exactly as with the native backend. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "exec-sock.h"
#include "terminal.h"
#include "stardust/shim/exec-req.h"
#include "stardust/shim/host-paths.h"
#include "stardust/shim/image.h"
#include "stardust/shim/initramfs.h"
#include "stardust/shim/proto.h"
#include "stardust/shim/relay.h"
#include "stardust/shim/vm-opts.h"

#define SD_IMG_FILE    "stardust.img"
#define SD_INITRD_FILE "stardust.initrd"

static char *read_text(const char *path, struct volt_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f) {
		volt_err(err, errno, "%s", path);
		return NULL;
	}
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f);
	if (n < 0) {
		free(buf);
		volt_err(err, errno ? errno : EIO, "%s", path);
		return NULL;
	}
	return buf;
}

/* Everything the VM is made of, resolved before anything is built. */
struct vm_files {
	struct sd_vm_opts o;
	char kernel[4096], moddir[4096], vmm[4096], init[4096];
	char img[4096], initrd[4096], stage[4096];
	int tty; /* process.terminal: the host pty's slave, for the relay */
};

/* Guest RAM for the kernel and stardust-init on top of a memory limit, and
 * host memory for the monitor and relay on top of the guest's RAM. */
#define SD_GUEST_MEM_OVERHEAD_MIB 128
#define SD_HOST_MEM_OVERHEAD_MIB  64

/* The VM's RAM: org.volt.vm.memory, else with linux.resources.memory.limit
 * the limit (which the guest enforces on the container) plus the guest's own
 * needs, else the default. */
static uint64_t vm_memory_mib(const struct oci_config *c, const struct sd_vm_opts *o)
{
	const struct oci_opt_i64 *lim = &c->linux.resources.memory.limit;
	if (oci_map_get(&c->annotations, SD_ANN_MEMORY) || !lim->set || lim->v <= 0)
		return o->mem_mib;
	uint64_t mib = ((uint64_t)lim->v + (1 << 20) - 1) >> 20;
	return mib + SD_GUEST_MEM_OVERHEAD_MIB;
}

/* Device rules hold in the guest (the monitor needs /dev/kvm); a memory
 * limit becomes the VM's RAM, so the host cgroup gets room for all of it
 * plus the monitor instead of the guest's limit. */
static void sd_host_resources(const struct oci_config *c, struct oci_resources *r)
{
	r->devices = NULL;
	r->n_devices = 0;
	struct oci_memory *m = &r->memory;
	struct sd_vm_opts o;
	struct volt_error ignored;
	if (!m->limit.set || m->limit.v <= 0 || sd_vm_opts_parse(&c->annotations, &o, &ignored) < 0)
		return;
	int64_t host = (int64_t)((vm_memory_mib(c, &o) + SD_HOST_MEM_OVERHEAD_MIB) << 20);
	if (host < m->limit.v)
		return;
	if (m->swap.set && m->swap.v > 0)
		m->swap.v += host - m->limit.v; /* memory+swap stays above memory */
	m->limit.v = host;
	if (m->reservation.set && m->reservation.v > host)
		m->reservation.v = host;
}

static int resolve_files(struct volt_backend_create *b, struct vm_files *f, struct volt_error *err)
{
	if (sd_vm_opts_parse(&b->config->annotations, &f->o, err) < 0)
		return -1;
	f->o.mem_mib = vm_memory_mib(b->config, &f->o);
	if (f->o.kernel)
		snprintf(f->kernel, sizeof f->kernel, "%s", f->o.kernel);
	else if (sd_find_default_kernel("/boot", "/lib/modules", f->kernel, sizeof f->kernel, err) < 0)
		return -1;
	if (f->o.modules)
		snprintf(f->moddir, sizeof f->moddir, "%s", f->o.modules);
	else {
		char ver[256];
		if (sd_kernel_version_from_path(f->kernel, ver, sizeof ver, err) < 0)
			return -1;
		snprintf(f->moddir, sizeof f->moddir, "/lib/modules/%s", ver);
	}
	if (access(f->kernel, R_OK) != 0)
		return volt_err(err, errno, "guest kernel %s", f->kernel);
	if (sd_find_vmm(f->vmm, sizeof f->vmm, err) < 0 || sd_find_init(f->init, sizeof f->init, err) < 0)
		return -1;
	const char *dir = b->ctx->root, *id = b->state->id;
	snprintf(f->img, sizeof f->img, "%s/%s/" SD_IMG_FILE, dir, id);
	snprintf(f->stage, sizeof f->stage, "%s/%s/stage", dir, id);
	snprintf(f->initrd, sizeof f->initrd, "%s/%s/" SD_INITRD_FILE, dir, id);
	return 0;
}

static int build_vm_files(struct volt_backend_create *b, struct vm_files *f, struct volt_error *err)
{
	if (f->o.ephemeral) {
		if (sd_initramfs_write(f->initrd, f->init, f->moddir, err) < 0)
			return -1;
	} else if (sd_initramfs_cached(SD_INITRAMFS_CACHE, f->init, f->moddir, f->initrd, sizeof f->initrd,
				       err) < 0)
		return -1;
	/* The copy create saved: the guest applies exactly what create parsed. */
	char cfg[64];
	snprintf(cfg, sizeof cfg, "/proc/self/fd/%d/" VOLT_CONFIG_COPY, b->dirfd);
	_cleanup_free_ char *text = read_text(cfg, err);
	if (!text)
		return -1;
	_cleanup_free_ char *guest_cfg = NULL;
	struct sd_guest_mounts m = {0};
	int r = sd_config_for_guest_mounts(text, &guest_cfg, &m, err);
	if (r == 0)
		r = sd_image_build(guest_cfg, b->rootfs, &m, f->img, f->stage, err);
	sd_guest_mounts_free(&m); /* also what a failed rewrite listed */
	return r;
}

/* Wait for the relay's answer: 'R' (ready) or 'E' and why not. */
static int wait_ready(int ctl, const struct sd_vm_opts *o, struct volt_error *err)
{
	struct pollfd p = {.fd = ctl, .events = POLLIN};
	int ms = (int)(o->boot_timeout_s + 10) * 1000;
	int r;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return volt_err(err, -ETIMEDOUT, "microVM: no answer from the relay within %u s",
				o->boot_timeout_s + 10);
	char buf[1200];
	ssize_t n = recv(ctl, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return volt_err(err, -EPIPE, "microVM: the relay died before the guest was ready");
	buf[n] = '\0';
	if (buf[0] == 'R')
		return 0;
	return volt_err(err, -EIO, "microVM: %s", buf + 1);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

/* Fork the relay, put it in the cgroup, let it boot the VM, wait for READY. */
static int spawn_relay(struct volt_backend_create *b, struct vm_files *f, int *pidfd_out,
		       struct volt_error *err)
{
	_cleanup_close_ int listen_fd = volt_exec_sock_listen(b->dirfd, err);
	if (listen_fd < 0)
		return -1;
	int to_g[2] = {-1, -1}, from_g[2] = {-1, -1}, ctl[2] = {-1, -1};
	if (pipe2(to_g, O_CLOEXEC) < 0 || pipe2(from_g, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
		volt_err(err, errno, "microVM control channel");
		close_pair(to_g), close_pair(from_g), close_pair(ctl);
		return -1;
	}
	char mem[24], vcpus[16], in_fd[8], out_fd[8];
	snprintf(mem, sizeof mem, "%llu", (unsigned long long)f->o.mem_mib);
	snprintf(vcpus, sizeof vcpus, "%u", f->o.vcpus);
	snprintf(in_fd, sizeof in_fd, "%d", SD_VMM_CONSOLE_IN_FD);
	snprintf(out_fd, sizeof out_fd, "%d", SD_VMM_CONSOLE_OUT_FD);
	char *argv[24];
	int n = 0;
	argv[n++] = f->vmm;
	argv[n++] = "--kernel", argv[n++] = f->kernel;
	argv[n++] = "--initrd", argv[n++] = f->initrd;
	argv[n++] = "--mem", argv[n++] = mem;
	argv[n++] = "--vcpus", argv[n++] = vcpus;
	argv[n++] = "--disk", argv[n++] = f->img;
	argv[n++] = "--console-in", argv[n++] = in_fd;
	argv[n++] = "--console-out", argv[n++] = out_fd;
	/* The guest learns its address from its command line (vm-net.h). */
	char cmdline[1024], net_tap[96];
	if (sd_vm_opts_guest_cmdline(&f->o, cmdline, sizeof cmdline, err) < 0 ||
	    sd_vm_opts_net_tap_arg(&f->o, net_tap, sizeof net_tap, err) < 0) {
		close_pair(to_g), close_pair(from_g), close_pair(ctl);
		return -1;
	}
	if (*cmdline)
		argv[n++] = "--cmdline", argv[n++] = cmdline;
	if (*net_tap)
		argv[n++] = "--net-tap", argv[n++] = net_tap;
	argv[n] = NULL;
	struct sd_relay_args ra = {
	    .vmm_argv = argv,
	    .vmm_in = to_g[0],
	    .vmm_out = from_g[1],
	    .to_guest = to_g[1],
	    .from_guest = from_g[0],
	    .ctl = ctl[1],
	    .listen_fd = listen_fd,
	    .unlink_at_ready = {f->o.ephemeral ? f->img : NULL, f->o.ephemeral ? f->initrd : NULL},
	    .unlink_at_stop = f->img,
	    .boot_timeout_s = f->o.boot_timeout_s,
	    .tty = f->tty,
	};
	int pidfd = -1;
	pid_t pid = volt_clone_pidfd(0, &pidfd);
	if (pid == 0) {
		close(ctl[0]);
		sd_relay_run(&ra);
	}
	int clone_errno = errno;
	close_pair(to_g), close_pair(from_g);
	close(ctl[1]);
	_cleanup_close_ int ctl_fd = ctl[0];
	if (pid < 0)
		return volt_err(err, clone_errno, "clone3 (microVM relay)");
	int r = 0;
	if (b->cgroup && b->cgroup->ops->enter(b->cgroup, pid, err) < 0)
		r = volt_err_ctx(err, "join cgroup %s", b->cgroup->path);
	else if (send(ctl_fd, "G", 1, MSG_NOSIGNAL) != 1)
		r = volt_err(err, errno, "microVM relay");
	else
		r = wait_ready(ctl_fd, &f->o, err);
	if (r < 0) {
		volt_child_kill_reap(pid, pidfd);
		close(pidfd);
		return -1;
	}
	b->state->pid = pid;
	if (pidfd_out)
		*pidfd_out = pidfd;
	else
		close(pidfd);
	return 0;
}

/* A pty on the host whose master goes to the console socket, as volt-run's
 * in-container one does; its slave is the relay's stream 0, in raw mode:
 * the guest's own pty does the line discipline. */
static int host_pty(const char *console_socket, int console_fd, const struct oci_process *p, int *slave_out,
		    struct volt_error *err)
{
	_cleanup_close_ int sock = -1;
	if (console_fd >= 0) {
		if ((sock = fcntl(console_fd, F_DUPFD_CLOEXEC, 3)) < 0)
			return volt_err(err, errno, "console socket");
	} else if (console_socket) {
		if ((sock = volt_console_connect(console_socket, err)) < 0)
			return volt_err_ctx(err, "--console-socket %s", console_socket);
	} else
		return volt_err(err, -EINVAL, "process.terminal is true: --console-socket is required");
	_cleanup_close_ int master = -1;
	_cleanup_close_ int sl = -1;
	_cleanup_free_ char *path = NULL;
	if (volt_pty_open(&master, &sl, &path, err) < 0)
		return volt_err_ctx(err, "process.terminal");
	struct termios t;
	if (tcgetattr(sl, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(sl, TCSANOW, &t);
	}
	if (p && p->has_console_size && volt_pty_set_size(sl, p->console_height, p->console_width, err) < 0)
		return -1;
	if (volt_console_send(sock, master, err) < 0)
		return volt_err_ctx(err, "--console-socket");
	*slave_out = volt_steal_fd(&sl);
	return 0;
}

static int sd_create(struct volt_backend_create *b, int *pidfd_out, struct volt_error *err)
{
	_cleanup_free_ struct vm_files *f = calloc(1, sizeof *f);
	if (!f)
		return volt_err(err, -ENOMEM, "microVM");
	f->tty = -1;
	if (resolve_files(b, f, err) < 0)
		return -1;
	if (b->config->process.terminal &&
	    host_pty(b->opts->console_socket, b->opts->console_fd, &b->config->process, &f->tty, err) < 0)
		return -1;
	volt_debug(&b->ctx->log, "stardust: kernel %s, modules %s, monitor %s, init %s", f->kernel, f->moddir,
		   f->vmm, f->init);
	int r = 0;
	if (build_vm_files(b, f, err) < 0 || spawn_relay(b, f, pidfd_out, err) < 0) {
		unlink(f->img);
		if (f->o.ephemeral)
			unlink(f->initrd);
		r = -1;
	}
	if (f->tty >= 0)
		close(f->tty); /* the relay has its own copy */
	return r;
}

static int sd_start(const struct volt_ctx *ctx, struct volt_container *c, struct volt_error *err)
{
	char msg[VOLT_ERROR_MSG_MAX];
	int r = volt_exec_sock_start(c->dirfd, c->state.id, msg, sizeof msg, err);
	if (r <= 0)
		return r;
	/* The guest's reason why the process did not start. */
	return volt_err(err, -ENOENT, "container \"%s\" (microVM): %s", c->state.id, msg);
}

/* ---- exec ----------------------------------------------------------------
 * The relay runs the process in the guest (relay.h); here a stand-in host
 * process is made for it: its pid is the one the caller gets (pid file,
 * waits, signals), it forwards every signal it receives and exits with the
 * guest process's status. */

#define EXEC_ANSWER_TIMEOUT_MS 60000

/* 'X' with the process's stdin, stdout and stderr on the host (ours, or a
 * pty's slave): the relay reads and writes them directly, so the exec's
 * output goes where ours would. */
static int send_hello(int conn, const int fds[3], struct volt_error *err)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	char x = 'X';
	const size_t fds_size = 3 * sizeof(int);
	struct iovec iov = {.iov_base = &x, .iov_len = 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(fds_size);
	memcpy(CMSG_DATA(h), fds, fds_size);
	if (sendmsg(conn, &m, MSG_NOSIGNAL) != 1)
		return volt_err(err, errno, "exec: send the request to the microVM relay");
	return 0;
}

/* Wait for the next frame from the relay (bounded by ms, -1: forever).
 * 1: *f; 0: the relay closed the connection; <0 err. */
static int next_frame(int conn, struct sd_decoder *d, struct sd_frame *f, int ms, struct volt_error *err)
{
	for (;;) {
		int k = sd_decoder_next(d, f, err);
		if (k != 0)
			return k;
		struct pollfd p = {.fd = conn, .events = POLLIN};
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return volt_err(err, -ETIMEDOUT, "exec: no answer from the microVM within %d s",
					ms / 1000);
		int got = sd_decoder_fill(d, conn);
		if (got < 0)
			return 0;
	}
}

static void send_size(int conn, int tty)
{
	struct winsize ws;
	struct volt_error err;
	if (tty >= 0 && ioctl(tty, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		sd_frame_write_u32(conn, SD_MSG_RESIZE, 0, (uint32_t)ws.ws_row << 16 | ws.ws_col, &err);
}

static _Noreturn void standin_run(int conn, struct sd_decoder *d, int tty)
{
	/* Nothing of ours is for the guest process: the relay holds its stdio,
	 * and the stand-in keeps only the connection and the pty. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	int c = fcntl(conn, F_DUPFD_CLOEXEC, 10), t = tty >= 0 ? fcntl(tty, F_DUPFD_CLOEXEC, 10) : -1;
	if (c < 0 || dup2(c, 3) < 0 || (t >= 0 && dup2(t, 4) < 0))
		_exit(137);
	conn = 3;
	tty = t >= 0 ? 4 : -1;
	syscall(SYS_close_range, tty >= 0 ? 5U : 4U, ~0U, 0);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	int sfd = signalfd(-1, &all, SFD_CLOEXEC);
	/* --tty: the pty is our controlling terminal, so the size the engine
	 * sets on its master reaches us as SIGWINCH, and goes on as RESIZE. */
	if (tty >= 0 && setsid() >= 0 && ioctl(tty, TIOCSCTTY, 0) == 0)
		send_size(conn, tty);
	struct volt_error err;
	for (;;) {
		struct sd_frame f;
		int k = sd_decoder_next(d, &f, &err);
		if (k < 0)
			_exit(137);
		if (k == 1) {
			uint32_t st;
			if (f.type == SD_MSG_EXIT && sd_get_u32(&f, &st, &err) == 0)
				_exit((int)(st & 0xff));
			continue;
		}
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = conn, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(137);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) != sizeof si || si.ssi_signo == SIGCHLD)
				;
			else if (si.ssi_signo == SIGWINCH && tty >= 0)
				send_size(conn, tty);
			else
				sd_frame_write_u32(conn, SD_MSG_SIGNAL, 0, si.ssi_signo, &err);
		}
		/* The VM stopped without a word for us: as a process killed with
		 * its container. */
		if (p[1].revents && sd_decoder_fill(d, conn) < 0)
			_exit(137);
	}
}

static int sd_exec(const struct volt_ctx *ctx, struct volt_container *c, const struct volt_exec_opts *o,
		   pid_t *pid_out, int *pidfd_out, struct volt_error *err)
{
	if (o->preserve_fds)
		return volt_err(err, -ENOTSUP, "exec --preserve-fds: not supported by the stardust backend");
	struct volt_exec_opts req = *o;
	_cleanup_free_ char *json = NULL;
	if (o->process_file || o->process_json) {
		if (volt_exec_read_process(o, &json, &req.process_json_len, err) < 0)
			return -1;
		req.process_json = json;
		req.process_file = NULL;
		/* Engines ask for a terminal in the process JSON, not with --tty. */
		struct volt_arena a = {0};
		struct oci_process p;
		int k = oci_process_parse(&a, json, req.process_json_len, &p, err);
		bool terminal = k == 0 && p.terminal;
		volt_arena_free(&a);
		if (k < 0)
			return volt_err_ctx(err, "--process %s", o->process_file ? o->process_file : "");
		req.tty = req.tty || terminal;
	}
	_cleanup_free_ uint8_t *payload = malloc(SD_PROTO_MAX_PAYLOAD);
	_cleanup_free_ struct sd_decoder *d = malloc(sizeof *d);
	if (!payload || !d)
		return volt_err(err, -ENOMEM, "exec");
	sd_decoder_init(d);
	int len = sd_exec_req_encode(&req, payload, SD_PROTO_MAX_PAYLOAD, err);
	if (len < 0)
		return -1;
	_cleanup_close_ int tty = -1;
	int fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	if (req.tty) {
		if (host_pty(o->console_socket, o->console_fd, NULL, &tty, err) < 0)
			return -1;
		fds[0] = fds[1] = fds[2] = tty;
	}
	_cleanup_close_ int conn = volt_exec_sock_connect(c->dirfd, c->state.id, err);
	if (conn < 0 || send_hello(conn, fds, err) < 0 ||
	    sd_frame_write(conn, SD_MSG_EXEC, 0, payload, (size_t)len, err) < 0)
		return -1;
	struct sd_frame f;
	int k = next_frame(conn, d, &f, EXEC_ANSWER_TIMEOUT_MS, err);
	if (k < 0)
		return -1;
	if (k == 0)
		return volt_err(err, -EPIPE, "exec: the microVM stopped before the process started");
	if (f.type == SD_MSG_ERROR)
		return volt_err(err, -EIO, "%.*s", (int)f.len, (const char *)f.payload);
	uint32_t guest_pid;
	if (f.type != SD_MSG_STARTED || sd_get_u32(&f, &guest_pid, err) < 0)
		return volt_err(err, -EPROTO, "exec: unexpected %s from the microVM relay",
				sd_msg_name(f.type));
	struct volt_cgroup cg;
	if (volt_cgroup_open(&cg, ctx->cgroup_root, c->state.cgroup_path, err) < 0)
		return -1;
	int pidfd = -1;
	pid_t pid = volt_clone_pidfd(0, &pidfd);
	if (pid < 0)
		return volt_err(err, errno, "clone3 (exec stand-in)");
	if (pid == 0)
		standin_run(conn, d, tty);
	/* In the container's cgroup, as an exec'd process is: ps lists it, and
	 * kill --all and delete --force reach it. */
	if (cg.ops->enter(&cg, pid, err) < 0 ||
	    (o->pid_file && volt_write_pid_file(o->pid_file, pid, err) < 0)) {
		volt_child_kill_reap(pid, pidfd);
		close(pidfd);
		return -1;
	}
	volt_debug(&ctx->log, "exec %s: guest process %u, stand-in %d", c->state.id, guest_pid, pid);
	*pid_out = pid;
	*pidfd_out = pidfd;
	return 0;
}

const struct volt_backend_ops volt_backend_stardust = {
    .name = "stardust",
    .host_resources = sd_host_resources,
    .create = sd_create,
    .start = sd_start,
    .exec = sd_exec,
};
