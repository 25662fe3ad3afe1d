#include "stardust/vmm/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/vmm/acpi.h"
#include "stardust/vmm/boot.h"
#include "stardust/vmm/bus.h"
#include "stardust/vmm/kvm.h"
#include "stardust/vmm/layout.h"
#include "stardust/vmm/monitor-seccomp.h"
#include "stardust/vmm/serial.h"
#include "stardust/vmm/sysports.h"
#include "stardust/vmm/tap.h"
#include "stardust/vmm/vcpu.h"
#include "stardust/vmm/virtio/block.h"
#include "stardust/vmm/virtio/console.h"
#include "stardust/vmm/virtio/mmio.h"
#include "stardust/vmm/virtio/net.h"
#include "stardust/vmm/x86-setup.h"

#define CMDLINE_MAX 4096

struct irq_line {
	int vm_fd;
	uint32_t gsi;
};

struct file_map {
	uint8_t *p;
	size_t size;
};

struct vm {
	struct sd_kvm kvm;
	struct sd_guest_mem mem;
	struct sd_vm_state state;
	struct sd_bus pio, mmio;
	struct sd_serial serial;
	struct irq_line serial_irq;

	bool has_blk, has_con;
	struct sd_blk blk;
	struct sd_mmio blk_t;
	struct irq_line blk_irq;
	struct sd_console con;
	struct sd_mmio con_t;
	struct irq_line con_irq;
	struct sd_bus_dev *con_dev;
	bool con_rx_wanted; /* last seen by the console's MMIO handler */
	bool has_net;
	struct sd_net net;
	struct sd_mmio net_t;
	struct irq_line net_irq;
	struct sd_bus_dev *net_dev;
	bool net_rx_wanted; /* last seen by the network device's MMIO handler */

	struct sd_vcpu vcpus[SD_CFG_VCPUS_MAX];
	uint32_t n_vcpus;
	struct sd_vcpu_ctx ctx;
	struct sd_seccomp_prog prog_vcpu, prog_main;

	int disk_fd, con_in, con_out;
	bool own_con_in, own_con_out;
	int net_fd;
	bool own_net_fd;
	int wake_efd, sig_fd;
	struct file_map kernel, initrd;
};

static void irq_cb(void *opaque, int level)
{
	struct irq_line *l = opaque;
	/* A failure here means the VM fd is gone: nothing to tell the guest. */
	(void)sd_kvm_irq_line(l->vm_fd, l->gsi, level);
}

static void wake_main(void *opaque)
{
	struct vm *vm = opaque;
	uint64_t one = 1;
	ssize_t w;
	do
		w = write(vm->wake_efd, &one, sizeof(one));
	while (w < 0 && errno == EINTR);
}

static int map_file(const char *what, const char *path, struct file_map *out, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "%s %s", what, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "%s %s: stat", what, path);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return volt_err(err, -EINVAL, "%s %s: not a non-empty regular file", what, path);
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return volt_err(err, errno, "%s %s: mmap", what, path);
	out->p = p;
	out->size = (size_t)st.st_size;
	return 0;
}

static void unmap_file(struct file_map *f)
{
	if (f->p)
		munmap(f->p, f->size);
	f->p = NULL;
}

static int open_endpoint(const char *what, int fd, const char *path, int flags, int *out, bool *own,
			 struct volt_error *err)
{
	if (path) {
		*out = open(path, flags | O_CLOEXEC, 0600);
		if (*out < 0)
			return volt_err(err, errno, "%s %s", what, path);
		*own = true;
		return 0;
	}
	if (fcntl(fd, F_GETFD) < 0)
		return volt_err(err, errno, "%s fd %d", what, fd);
	*out = fd;
	*own = false;
	return 0;
}

/* virtio-mmio bus handlers: opaque is the transport. */
static int virtio_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	return sd_mmio_read(opaque, off, data, len, err);
}

static int virtio_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	return sd_mmio_write(opaque, off, data, len, err);
}

/* Whether the main thread should poll the console's input fd. Under the
 * console's bus lock. */
static bool con_rx_wanted(const struct vm *vm)
{
	const struct sd_console *c = &vm->con;
	return c->queues[SD_CONSOLE_RXQ].active && !c->rx_blocked && !c->in_eof && c->in_fd >= 0;
}

static int console_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	struct vm *vm = opaque;
	int r = sd_mmio_write(&vm->con_t, off, data, len, err);
	/* The receive queue came up (DRIVER_OK) or the driver posted
	 * buffers: the main thread may have stopped polling the input. */
	bool wanted = con_rx_wanted(vm);
	if (wanted && !vm->con_rx_wanted)
		wake_main(vm);
	vm->con_rx_wanted = wanted;
	return r;
}

static int console_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	struct vm *vm = opaque;
	return sd_mmio_read(&vm->con_t, off, data, len, err);
}

/* Whether the main thread should poll the network backend fd. Under the
 * network device's bus lock. */
static bool net_rx_wanted(const struct vm *vm)
{
	const struct sd_net *n = &vm->net;
	return n->queues[SD_NET_RXQ].active && !n->rx_blocked && !n->rx_eof;
}

static int net_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	struct vm *vm = opaque;
	int r = sd_mmio_write(&vm->net_t, off, data, len, err);
	bool wanted = net_rx_wanted(vm);
	if (wanted && !vm->net_rx_wanted)
		wake_main(vm);
	vm->net_rx_wanted = wanted;
	return r;
}

static int net_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	struct vm *vm = opaque;
	return sd_mmio_read(&vm->net_t, off, data, len, err);
}

static int add_virtio(struct vm *vm, const char *name, struct sd_acpi_virtio *acpi, size_t *n, void *opaque,
		      sd_bus_read_fn rd, sd_bus_write_fn wr, struct volt_error *err)
{
	uint64_t base = SD_VIRTIO_MMIO_BASE + *n * SD_VIRTIO_MMIO_STRIDE;
	acpi[*n] = (struct sd_acpi_virtio){
	    .base = base, .size = SD_MMIO_WINDOW, .irq = SD_VIRTIO_IRQ_BASE + (uint32_t)*n, .edge = false};
	if (sd_bus_add(&vm->mmio, name, base, SD_MMIO_WINDOW, rd, wr, opaque, err) < 0)
		return -1;
	(*n)++;
	return 0;
}

static int setup_devices(struct vm *vm, const struct sd_vm_config *cfg, struct sd_acpi_virtio *acpi,
			 size_t *n_virtio, struct volt_error *err)
{
	int vm_fd = vm->kvm.vm_fd;
	if (sd_sysports_register(&vm->pio, &vm->state, true, err) < 0)
		return -1;
	if (cfg->serial) {
		vm->serial_irq = (struct irq_line){vm_fd, SD_SERIAL_COM1_IRQ};
		sd_serial_init(&vm->serial, STDOUT_FILENO, irq_cb, &vm->serial_irq);
		if (sd_bus_add(&vm->pio, "serial", SD_SERIAL_COM1_PORT, SD_SERIAL_PORTS, sd_serial_read,
			       sd_serial_write, &vm->serial, err) < 0)
			return -1;
	}
	*n_virtio = 0;
	if (cfg->disk) {
		if (sd_blk_init(&vm->blk, &vm->mem, vm->disk_fd, cfg->disk_ro, "stardust-root", err) < 0)
			return -1;
		vm->blk_irq = (struct irq_line){vm_fd, SD_VIRTIO_IRQ_BASE + (uint32_t)*n_virtio};
		sd_mmio_init(&vm->blk_t, &vm->blk.dev, irq_cb, &vm->blk_irq);
		if (add_virtio(vm, "virtio-blk", acpi, n_virtio, &vm->blk_t, virtio_read, virtio_write, err) <
		    0)
			return -1;
		vm->has_blk = true;
	}
	if (cfg->console) {
		if (sd_console_init(&vm->con, &vm->mem, vm->con_in, vm->con_out, err) < 0)
			return -1;
		vm->con.rx_kick = wake_main;
		vm->con.rx_kick_opaque = vm;
		vm->con_irq = (struct irq_line){vm_fd, SD_VIRTIO_IRQ_BASE + (uint32_t)*n_virtio};
		sd_mmio_init(&vm->con_t, &vm->con.dev, irq_cb, &vm->con_irq);
		uint64_t base = SD_VIRTIO_MMIO_BASE + *n_virtio * SD_VIRTIO_MMIO_STRIDE;
		if (add_virtio(vm, "virtio-console", acpi, n_virtio, vm, console_read, console_write, err) <
		    0)
			return -1;
		vm->con_dev = sd_bus_find(&vm->mmio, base, 1);
		vm->has_con = true;
	}
	if (cfg->net) {
		/* Last, so that adding it moves neither vda nor hvc0. */
		char seed[32];
		snprintf(seed, sizeof(seed), "fd:%d", cfg->net_fd);
		if (sd_net_init(&vm->net, &vm->mem, vm->net_fd, cfg->net_mac_set ? cfg->net_mac : NULL,
				cfg->net_tap ? cfg->net_tap : seed, err) < 0)
			return -1;
		vm->net.rx_kick = wake_main;
		vm->net.rx_kick_opaque = vm;
		vm->net_irq = (struct irq_line){vm_fd, SD_VIRTIO_IRQ_BASE + (uint32_t)*n_virtio};
		sd_mmio_init(&vm->net_t, &vm->net.dev, irq_cb, &vm->net_irq);
		uint64_t base = SD_VIRTIO_MMIO_BASE + *n_virtio * SD_VIRTIO_MMIO_STRIDE;
		if (add_virtio(vm, "virtio-net", acpi, n_virtio, vm, net_read, net_write, err) < 0)
			return -1;
		vm->net_dev = sd_bus_find(&vm->mmio, base, 1);
		vm->has_net = true;
	}
	return 0;
}

static int load_guest(struct vm *vm, const struct sd_vm_config *cfg, const struct sd_acpi_virtio *acpi,
		      size_t n_virtio, struct sd_monitor_result *res, struct volt_error *err)
{
	struct sd_acpi_cfg acfg = {
	    .n_vcpus = cfg->vcpus, .virtio = acpi, .n_virtio = n_virtio, .sleep_port = SD_PORT_SLEEP};
	uint64_t rsdp = 0;
	if (sd_acpi_build(&vm->mem, SD_ACPI_GPA, &acfg, &rsdp, err) < 0)
		return -1;

	_cleanup_free_ char *cmdline = malloc(CMDLINE_MAX);
	if (!cmdline)
		return volt_err(err, ENOMEM, "kernel command line");
	if (sd_vm_cmdline(cfg, cmdline, CMDLINE_MAX, err) < 0)
		return -1;
	snprintf(res->cmdline, sizeof(res->cmdline), "%s", cmdline);

	struct sd_boot_cfg bcfg = {
	    .kernel = vm->kernel.p,
	    .kernel_size = vm->kernel.size,
	    .initrd = vm->initrd.p,
	    .initrd_size = vm->initrd.size,
	    .cmdline = cmdline,
	    .rsdp_gpa = rsdp,
	};
	struct sd_boot_info info;
	if (sd_boot_load(&vm->mem, &bcfg, &info, err) < 0)
		return -1;

	struct sd_x86_entry entry;
	sd_x86_entry_state(&entry, info.entry, info.zero_page);
	if (sd_x86_setup_write(&vm->mem, &entry, err) < 0)
		return -1;

	for (uint32_t i = 0; i < cfg->vcpus; i++) {
		struct sd_vcpu *v = &vm->vcpus[i];
		if (sd_kvm_vcpu_create(&vm->kvm, i, cfg->vcpus, &v->k, err) < 0)
			return -1;
		v->ctx = &vm->ctx;
		vm->n_vcpus = i + 1;
	}
	/* The others wait for the guest's INIT/SIPI in the kernel. */
	return sd_kvm_vcpu_boot(&vm->vcpus[0].k, &entry, err);
}

/* Signals that ask the monitor to stop arrive on a signalfd; a closed
 * console reader must be a write error, not a death. */
static int setup_signals(struct vm *vm, struct volt_error *err)
{
	if (sd_vcpu_signals_init(err) < 0)
		return -1;
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, NULL) < 0)
		return volt_err(err, errno, "ignore SIGPIPE");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* The kick signal is blocked too: only vCPU threads take it. */
	sigaddset(&set, SD_VCPU_KICK_SIGNAL);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return volt_err(err, EINVAL, "block signals");
	sigdelset(&set, SD_VCPU_KICK_SIGNAL);
	vm->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->sig_fd < 0)
		return volt_err(err, errno, "signalfd");
	return 0;
}

static void drain(int fd)
{
	uint8_t buf[sizeof(struct signalfd_siginfo)];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void console_input(struct vm *vm)
{
	struct volt_error e = {0};
	sd_bus_dev_lock(vm->con_dev);
	int r = sd_console_rx(&vm->con, &e);
	if (r < 0 && !vm->con.queues[SD_CONSOLE_RXQ].broken)
		vm->con.in_eof = true; /* a host read error: stop reading, keep the VM */
	vm->con_rx_wanted = con_rx_wanted(vm);
	sd_bus_dev_unlock(vm->con_dev);
	if (r < 0)
		sd_vm_note_refused(&vm->state, &e);
}

/* Frames from the backend into the guest; a read error or a closed
 * backend only stops the device's receive side (sd_net sets rx_eof). */
static void net_input(struct vm *vm)
{
	struct volt_error e = {0};
	sd_bus_dev_lock(vm->net_dev);
	int r = sd_net_rx(&vm->net, &e);
	vm->net_rx_wanted = net_rx_wanted(vm);
	sd_bus_dev_unlock(vm->net_dev);
	if (r < 0)
		sd_vm_note_refused(&vm->state, &e);
}

static void main_loop(struct vm *vm)
{
	while (!sd_vm_stopping(&vm->state)) {
		struct pollfd p[5] = {
		    {.fd = vm->state.stop_efd, .events = POLLIN},
		    {.fd = vm->wake_efd, .events = POLLIN},
		    {.fd = vm->sig_fd, .events = POLLIN},
		    {.fd = -1, .events = POLLIN},
		    {.fd = -1, .events = POLLIN},
		};
		if (vm->has_con) {
			sd_bus_dev_lock(vm->con_dev);
			if (con_rx_wanted(vm))
				p[3].fd = vm->con.in_fd;
			sd_bus_dev_unlock(vm->con_dev);
		}
		if (vm->has_net) {
			sd_bus_dev_lock(vm->net_dev);
			if (net_rx_wanted(vm))
				p[4].fd = vm->net.fd;
			sd_bus_dev_unlock(vm->net_dev);
		}
		int n = poll(p, 5, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			struct volt_error e = {0};
			volt_err(&e, errno, "monitor: poll");
			sd_vm_stop(&vm->state, SD_STOP_ERROR, 1, &e);
			break;
		}
		if (p[1].revents)
			drain(vm->wake_efd);
		if (p[2].revents) {
			drain(vm->sig_fd);
			sd_vm_stop(&vm->state, SD_STOP_SIGNAL, 0, NULL);
		}
		if (p[3].fd >= 0 && p[3].revents)
			console_input(vm);
		if (p[4].fd >= 0 && p[4].revents)
			net_input(vm);
	}
}

static void teardown(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		sd_vcpu_kick(&vm->vcpus[i]);
	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		sd_vcpu_join(&vm->vcpus[i]);
	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		sd_kvm_vcpu_close(&vm->vcpus[i].k);
	sd_kvm_close(&vm->kvm);
	sd_guest_mem_free(&vm->mem);
	unmap_file(&vm->kernel);
	unmap_file(&vm->initrd);
	if (vm->disk_fd >= 0)
		close(vm->disk_fd);
	if (vm->own_con_in && vm->con_in >= 0)
		close(vm->con_in);
	if (vm->own_con_out && vm->con_out >= 0)
		close(vm->con_out);
	if (vm->own_net_fd && vm->net_fd >= 0)
		close(vm->net_fd);
	if (vm->wake_efd >= 0)
		close(vm->wake_efd);
	if (vm->sig_fd >= 0)
		close(vm->sig_fd);
	sd_bus_destroy(&vm->pio);
	sd_bus_destroy(&vm->mmio);
	sd_seccomp_prog_free(&vm->prog_vcpu);
	sd_seccomp_prog_free(&vm->prog_main);
	sd_vm_state_destroy(&vm->state);
}

/* Before the jail: its network namespace and dropped capabilities would
 * keep us from attaching to the tap. An inherited fd is made non-blocking,
 * so that a full peer drops a frame instead of stopping a vCPU. */
static int open_net(struct vm *vm, const struct sd_vm_config *cfg, struct volt_error *err)
{
	if (cfg->net_tap) {
		vm->net_fd = sd_tap_open(cfg->net_tap, err);
		if (vm->net_fd < 0)
			return volt_err_ctx(err, "--net-tap");
		vm->own_net_fd = true;
		return 0;
	}
	int fl = fcntl(cfg->net_fd, F_GETFL);
	if (fl < 0 || fcntl(cfg->net_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return volt_err(err, errno, "--net-fd %d", cfg->net_fd);
	vm->net_fd = cfg->net_fd;
	vm->own_net_fd = false;
	return 0;
}

static int open_everything(struct vm *vm, const struct sd_vm_config *cfg, struct volt_error *err)
{
	if (sd_kvm_open(&vm->kvm, cfg->kvm_dev, err) < 0 || sd_kvm_setup_x86(&vm->kvm, true, true, err) < 0)
		return -1;
	if (map_file("kernel", cfg->kernel, &vm->kernel, err) < 0)
		return -1;
	if (cfg->initrd && map_file("initrd", cfg->initrd, &vm->initrd, err) < 0)
		return -1;
	if (cfg->disk) {
		vm->disk_fd = open(cfg->disk, (cfg->disk_ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (vm->disk_fd < 0)
			return volt_err(err, errno, "disk %s", cfg->disk);
	}
	if (cfg->console &&
	    (open_endpoint("console input", cfg->console_in_fd, cfg->console_in_path, O_RDONLY | O_NONBLOCK,
			   &vm->con_in, &vm->own_con_in, err) < 0 ||
	     open_endpoint("console output", cfg->console_out_fd, cfg->console_out_path,
			   O_WRONLY | O_CREAT | O_APPEND, &vm->con_out, &vm->own_con_out, err) < 0))
		return -1;
	if (cfg->net && open_net(vm, cfg, err) < 0)
		return -1;
	vm->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_efd < 0)
		return volt_err(err, errno, "eventfd");
	return 0;
}

static int run(struct vm *vm, const struct sd_vm_config *cfg, struct sd_monitor_result *res,
	       struct volt_error *err)
{
	if (sd_vm_state_init(&vm->state, err) < 0)
		return -1;
	sd_bus_init(&vm->pio, "pio", 0xff);
	sd_bus_init(&vm->mmio, "mmio", 0xff);
	if (open_everything(vm, cfg, err) < 0)
		return -1;

	uint64_t bytes = cfg->mem_mib << 20;
	if (sd_guest_mem_alloc(&vm->mem, bytes, err) < 0 || sd_kvm_set_memory(&vm->kvm, &vm->mem, err) < 0)
		return -1;
	struct sd_acpi_virtio acpi[3];
	size_t n_virtio = 0;
	if (setup_devices(vm, cfg, acpi, &n_virtio, err) < 0 ||
	    load_guest(vm, cfg, acpi, n_virtio, res, err) < 0)
		return -1;
	/* Copied into guest memory: the files are not needed any more. */
	unmap_file(&vm->kernel);
	unmap_file(&vm->initrd);

	/* Everything is open: confine the process before the first thread,
	 * since capabilities are per thread. */
	if (cfg->jail) {
		struct sd_jail_cfg jc = {
		    .namespaces = true, .set_ids = cfg->uid != (uid_t)-1, .uid = cfg->uid, .gid = cfg->gid};
		if (sd_jail_enter(&jc, &res->jail, err) < 0)
			return -1;
	}
	vm->ctx = (struct sd_vcpu_ctx){.pio = &vm->pio, .mmio = &vm->mmio, .state = &vm->state};
	if (cfg->seccomp) {
		if (sd_seccomp_build(SD_SECCOMP_VCPU, &vm->prog_vcpu, err) < 0 ||
		    sd_seccomp_build(SD_SECCOMP_MAIN, &vm->prog_main, err) < 0)
			return -1;
		vm->ctx.seccomp = &vm->prog_vcpu;
	}
	if (setup_signals(vm, err) < 0)
		return -1;

	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		if (sd_vcpu_start(&vm->vcpus[i], err) < 0)
			return -1;
	if (cfg->seccomp && sd_seccomp_load(&vm->prog_main, err) < 0)
		return -1;
	main_loop(vm);
	return 0;
}

int sd_monitor_run(const struct sd_vm_config *cfg, struct sd_monitor_result *res, struct volt_error *err)
{
	memset(res, 0, sizeof(*res));
	if (cfg->vcpus == 0 || cfg->vcpus > SD_CFG_VCPUS_MAX)
		return volt_err(err, -EINVAL, "vcpus: %u is not in 1..%d", cfg->vcpus, SD_CFG_VCPUS_MAX);
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return volt_err(err, ENOMEM, "monitor state");
	vm->kvm.kvm_fd = vm->kvm.vm_fd = -1;
	vm->disk_fd = vm->con_in = vm->con_out = vm->net_fd = vm->wake_efd = vm->sig_fd = -1;
	vm->state.stop_efd = -1;

	int r = run(vm, cfg, res, err);
	if (r < 0) /* threads already started must see a stop before the kick */
		sd_vm_stop(&vm->state, SD_STOP_ERROR, 1, err);
	pthread_mutex_lock(&vm->state.lock);
	res->reason = vm->state.reason;
	res->exit_code = vm->state.exit_code;
	res->err = vm->state.err;
	res->refused = vm->state.refused;
	res->unclaimed = vm->state.unclaimed;
	res->first_refused = vm->state.first_refused;
	pthread_mutex_unlock(&vm->state.lock);
	teardown(vm);
	free(vm);
	return r;
}

int sd_monitor_exit_status(const struct sd_monitor_result *res)
{
	switch (res->reason) {
	case SD_STOP_EXIT_PORT:
		return res->exit_code;
	case SD_STOP_POWEROFF:
	case SD_STOP_HALT:
		return 0;
	default:
		return 1;
	}
}
