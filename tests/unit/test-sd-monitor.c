/* The monitor's pure parts, without KVM: the bus (dispatch, overlapping and
 * out-of-range windows), the vCPU exit handler fed hand-made kvm_run pages
 * (port and MMIO exits, string I/O, the stop exits), the system ports, the
 * 16550 model as Linux's 8250 probe sees it, the seccomp allow-lists
 * (compiled with libseccomp, then enforced in a child), the jail (in a
 * child) and the CLI configuration. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stardust/vmm/acpi.h"
#include "stardust/vmm/bus.h"
#include "stardust/vmm/config.h"
#include "stardust/vmm/jail.h"
#include "stardust/vmm/monitor-seccomp.h"
#include "stardust/vmm/monitor.h"
#include "stardust/vmm/serial.h"
#include "stardust/vmm/sysports.h"
#include "stardust/vmm/vcpu.h"
#include "stardust/vmm/vm-state.h"

static int n_test;
static int failed;

static void check(int ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n_test, name);
	if (!ok)
		failed = 1;
}

/* A device that records the last access. */
struct rec {
	uint64_t off;
	uint32_t len;
	uint8_t last[8];
	int reads, writes;
	int refuse;
};

static int rec_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	struct rec *r = opaque;
	r->off = off;
	r->len = len;
	r->reads++;
	memset(data, 0xa5, len);
	if (r->refuse)
		return volt_err(err, -EINVAL, "rec: refused read at %#llx", (unsigned long long)off);
	return 0;
}

static int rec_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	struct rec *r = opaque;
	r->off = off;
	r->len = len;
	r->writes++;
	memcpy(r->last, data, len > 8 ? 8 : len);
	return 0;
}

static void test_bus(void)
{
	struct sd_bus b;
	struct volt_error err = {0};
	struct rec a = {0}, c = {0};
	sd_bus_init(&b, "mmio", 0xff);
	check(sd_bus_add(&b, "a", 0xd0000000, 0x200, rec_read, rec_write, &a, &err) == 0 &&
		  sd_bus_add(&b, "c", 0xd0001000, 0x200, rec_read, rec_write, &c, &err) == 0,
	      "bus: two disjoint windows are accepted");
	check(sd_bus_add(&b, "x", 0xd00001ff, 0x10, NULL, NULL, NULL, &err) < 0 && err.errnum == EEXIST,
	      "bus: a window overlapping another's last byte is refused");
	check(sd_bus_add(&b, "x", 0xcffffff0, 0x20, NULL, NULL, NULL, &err) < 0,
	      "bus: a window overlapping another's first byte is refused");
	check(sd_bus_add(&b, "x", 0xe0000000, 0, NULL, NULL, NULL, &err) < 0 &&
		  sd_bus_add(&b, "x", UINT64_MAX - 4, 0x10, NULL, NULL, NULL, &err) < 0,
	      "bus: empty and wrapping windows are refused");
	check(sd_bus_add(&b, "x", 0xd0000200, 0x10, NULL, NULL, NULL, &err) == 0,
	      "bus: a window right after another is accepted");

	check(sd_bus_find(&b, 0xd0000000, 4) == &b.dev[0] && sd_bus_find(&b, 0xd00001fc, 4) == &b.dev[0],
	      "bus: accesses at both ends of a window find it");
	check(!sd_bus_find(&b, 0xd00001fe, 4) && !sd_bus_find(&b, 0xcffffffe, 4),
	      "bus: accesses straddling a window edge find nothing");
	check(!sd_bus_find(&b, 0xd0000800, 4) && !sd_bus_find(&b, UINT64_MAX - 1, 4) &&
		  !sd_bus_find(&b, 0xd0000000, 0),
	      "bus: out-of-range, wrapping and empty accesses find nothing");

	uint32_t v = 0x12345678;
	check(sd_bus_write(&b, 0xd0001010, &v, 4, &err) == SD_BUS_OK && c.off == 0x10 && c.len == 4 &&
		  memcmp(c.last, &v, 4) == 0 && a.writes == 0,
	      "bus: a write reaches the right device at its window offset");
	uint8_t buf[4];
	check(sd_bus_read(&b, 0xd0000004, buf, 2, &err) == SD_BUS_OK && a.off == 4 && buf[0] == 0xa5,
	      "bus: a read returns the device's bytes");
	memset(buf, 0, sizeof(buf));
	check(sd_bus_read(&b, 0xd0000ffe, buf, 4, &err) == SD_BUS_UNCLAIMED && buf[0] == 0xff &&
		  buf[3] == 0xff,
	      "bus: an unclaimed read reads all ones");
	a.refuse = 1;
	check(sd_bus_read(&b, 0xd0000000, buf, 4, &err) < 0 && strstr(err.msg, "refused"),
	      "bus: a device refusal comes back with its message");
	check(sd_bus_read(&b, 0xd0000200, buf, 1, &err) == SD_BUS_OK && buf[0] == 0xff,
	      "bus: a window without a read handler reads as the fill byte");
	sd_bus_destroy(&b);
}

/* A kvm_run page plus room for port data, as KVM maps it. */
struct fake_vcpu {
	struct sd_vcpu v;
	struct sd_vcpu_ctx ctx;
	struct sd_bus pio, mmio;
	struct sd_vm_state st;
	struct kvm_run *run;
};

static void fv_init(struct fake_vcpu *f)
{
	struct volt_error err;
	memset(f, 0, sizeof(*f));
	f->run = aligned_alloc(4096, 8192);
	memset(f->run, 0, 8192);
	sd_bus_init(&f->pio, "pio", 0xff);
	sd_bus_init(&f->mmio, "mmio", 0xff);
	sd_vm_state_init(&f->st, &err);
	sd_sysports_register(&f->pio, &f->st, false, &err);
	f->ctx = (struct sd_vcpu_ctx){.pio = &f->pio, .mmio = &f->mmio, .state = &f->st};
	f->v.ctx = &f->ctx;
	f->v.k.run = f->run;
	f->v.k.run_size = 8192;
	f->v.k.fd = -1;
}

static void fv_free(struct fake_vcpu *f)
{
	sd_bus_destroy(&f->pio);
	sd_bus_destroy(&f->mmio);
	sd_vm_state_destroy(&f->st);
	free(f->run);
}

static int port_exit(struct fake_vcpu *f, int out, uint16_t port, uint8_t size, uint32_t count,
		     const void *data)
{
	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	f->run->io.port = port;
	f->run->io.size = size;
	f->run->io.count = count;
	f->run->io.data_offset = 4096;
	if (data)
		memcpy((uint8_t *)f->run + 4096, data, (size_t)size * count);
	return sd_vcpu_handle_exit(&f->v);
}

static void test_exits(void)
{
	struct fake_vcpu f;
	struct rec pr = {0}, mr = {0};
	struct volt_error err;
	fv_init(&f);
	sd_bus_add(&f.pio, "rec", 0x3f8, 8, rec_read, rec_write, &pr, &err);
	sd_bus_add(&f.mmio, "rec", 0xd0000000, 0x200, rec_read, rec_write, &mr, &err);

	uint8_t two[2] = {'h', 'i'};
	check(port_exit(&f, 1, 0x3f8, 1, 2, two) == 0 && pr.writes == 2 && pr.last[0] == 'i',
	      "exit: string OUT (rep outsb) delivers every item");
	check(port_exit(&f, 0, 0x3fd, 1, 1, NULL) == 0 && pr.off == 5 && ((uint8_t *)f.run)[4096] == 0xa5,
	      "exit: IN is answered through the port bus");
	check(port_exit(&f, 0, 0x1234, 2, 1, NULL) == 0 && ((uint8_t *)f.run)[4096] == 0xff &&
		  ((uint8_t *)f.run)[4097] == 0xff && f.st.unclaimed == 1,
	      "exit: an unclaimed port reads all ones and is counted");
	check(port_exit(&f, 0, SD_PORT_CMOS + 1, 1, 1, NULL) == 0 && ((uint8_t *)f.run)[4096] == 0,
	      "exit: CMOS data reads 0");
	check(port_exit(&f, 1, SD_PORT_POST, 1, 1, two) == 0 && !sd_vm_stopping(&f.st),
	      "exit: POST code writes are ignored");

	f.run->exit_reason = KVM_EXIT_MMIO;
	f.run->mmio.phys_addr = 0xd0000070;
	f.run->mmio.len = 4;
	f.run->mmio.is_write = 1;
	memcpy(f.run->mmio.data, "\x0f\0\0\0", 4);
	check(sd_vcpu_handle_exit(&f.v) == 0 && mr.writes == 1 && mr.off == 0x70 && mr.last[0] == 0x0f,
	      "exit: an MMIO write reaches the window's device at its offset");
	f.run->mmio.is_write = 0;
	f.run->mmio.phys_addr = 0xd00001fe;
	check(sd_vcpu_handle_exit(&f.v) == 0 && mr.reads == 0 && f.run->mmio.data[0] == 0xff &&
		  f.st.unclaimed == 2,
	      "exit: an MMIO read straddling the window end is unclaimed");
	mr.refuse = 1;
	f.run->mmio.phys_addr = 0xd0000000;
	check(sd_vcpu_handle_exit(&f.v) == 0 && f.st.refused == 1 &&
		  strstr(f.st.first_refused.msg, "refused"),
	      "exit: a refused MMIO access is counted with its message, the VM runs on");
	f.run->mmio.len = 9;
	check(sd_vcpu_handle_exit(&f.v) == 1 && f.st.reason == SD_STOP_ERROR,
	      "exit: an MMIO length above 8 stops the VM with an error");
	fv_free(&f);

	fv_init(&f);
	check(port_exit(&f, 0, 0x3f8, 3, 1, NULL) == 1 && f.st.reason == SD_STOP_ERROR,
	      "exit: a 3-byte port access is an error");
	fv_free(&f);

	fv_init(&f);
	f.run->io.data_offset = 8000;
	f.run->exit_reason = KVM_EXIT_IO;
	f.run->io.size = 4;
	f.run->io.count = 100;
	check(sd_vcpu_handle_exit(&f.v) == 1 && f.st.reason == SD_STOP_ERROR,
	      "exit: port data beyond the kvm_run mapping is an error, not a read");
	fv_free(&f);

	fv_init(&f);
	uint16_t code = 0x0142;
	check(port_exit(&f, 1, SD_PORT_EXIT, 2, 1, &code) == 1 && f.st.reason == SD_STOP_EXIT_PORT &&
		  f.st.exit_code == 0x42,
	      "exit port: the low byte of the write is the exit code, the VM stops");
	f.run->exit_reason = KVM_EXIT_SHUTDOWN;
	check(sd_vcpu_handle_exit(&f.v) == 1 && f.st.reason == SD_STOP_EXIT_PORT && f.st.exit_code == 0x42,
	      "stop: the first reason wins over a later triple fault");
	uint64_t n = 0;
	check(read(f.st.stop_efd, &n, sizeof(n)) == 8 && n == 1, "stop: the stop eventfd fired exactly once");
	fv_free(&f);

	static const struct {
		uint32_t reason, type;
		enum sd_stop_reason want;
		const char *name;
	} stops[] = {
	    {KVM_EXIT_HLT, 0, SD_STOP_HALT, "exit: HLT without irqchip stops as halted"},
	    {KVM_EXIT_SHUTDOWN, 0, SD_STOP_RESET, "exit: triple fault stops as reset"},
	    {KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, SD_STOP_POWEROFF,
	     "exit: system event shutdown"},
	    {KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET, SD_STOP_RESET, "exit: system event reset"},
	    {KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_CRASH, SD_STOP_ERROR, "exit: system event crash"},
	    {KVM_EXIT_FAIL_ENTRY, 0, SD_STOP_ERROR, "exit: failed entry is an error"},
	    {KVM_EXIT_DEBUG, 0, SD_STOP_ERROR, "exit: an unexpected reason is an error"},
	};
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		fv_init(&f);
		f.run->exit_reason = stops[i].reason;
		f.run->system_event.type = stops[i].type;
		check(sd_vcpu_handle_exit(&f.v) == 1 && f.st.reason == stops[i].want, stops[i].name);
		fv_free(&f);
	}
	fv_init(&f);
	f.run->exit_reason = KVM_EXIT_INTR;
	check(sd_vcpu_handle_exit(&f.v) == 0 && !sd_vm_stopping(&f.st), "exit: EINTR-style exit runs on");
	fv_free(&f);

	fv_init(&f);
	uint8_t wak = 0x80, s5 = (SD_ACPI_S5_SLP_TYP << 2) | SD_ACPI_SLP_EN;
	check(port_exit(&f, 1, SD_PORT_SLEEP, 1, 1, &wak) == 0 && !sd_vm_stopping(&f.st) &&
		  port_exit(&f, 1, SD_PORT_SLEEP, 1, 1, &s5) == 1 && f.st.reason == SD_STOP_POWEROFF,
	      "ACPI sleep port: WAK_STS is ignored, SLP_EN|S5 powers off");
	fv_free(&f);
	fv_init(&f);
	uint8_t rst = SD_I8042_RESET;
	check(port_exit(&f, 0, SD_PORT_SYSCTL_B, 1, 1, NULL) == 0 && ((uint8_t *)f.run)[4096] == 0 &&
		  port_exit(&f, 1, SD_PORT_I8042_CMD, 1, 1, &rst) == 1 && f.st.reason == SD_STOP_RESET,
	      "legacy ports: 0x61 reads 0 without a PIT, i8042 0xfe resets");
	fv_free(&f);
}

static int irq_level = -1, irq_edges;
static void on_irq(void *opaque, int level)
{
	irq_level = level;
	if (level)
		irq_edges++;
}

static uint8_t uart_in(struct sd_serial *s, unsigned reg)
{
	uint8_t v;
	sd_serial_read(s, reg, &v, 1, NULL);
	return v;
}

static void sout(struct sd_serial *s, unsigned reg, uint8_t v)
{
	sd_serial_write(s, reg, &v, 1, NULL);
}

static void test_serial(void)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0) {
		check(0, "serial: pipe");
		return;
	}
	struct sd_serial s;
	sd_serial_init(&s, p[1], on_irq, NULL);
	sout(&s, SD_UART_RBR_THR, 'o');
	sout(&s, SD_UART_RBR_THR, 'k');
	char buf[4] = {0};
	check(read(p[0], buf, sizeof(buf)) == 2 && !memcmp(buf, "ok", 2),
	      "serial: THR bytes reach the host fd");
	check(uart_in(&s, SD_UART_LSR) == (SD_UART_LSR_THRE | SD_UART_LSR_TEMT),
	      "serial: LSR says THR and TX empty");
	sout(&s, SD_UART_SCR, 0x5a);
	check(uart_in(&s, SD_UART_SCR) == 0x5a, "serial: scratch register holds a value");
	sout(&s, SD_UART_IER, 0);
	check(uart_in(&s, SD_UART_IER) == 0, "serial: IER reads back 0 (8250 probe)");
	sout(&s, SD_UART_IER, 0x0f);
	check(uart_in(&s, SD_UART_IER) == 0x0f && irq_level == 1 && irq_edges == 1,
	      "serial: IER reads back 0x0f, enabling ETBEI raises THRE on the line");
	check(uart_in(&s, SD_UART_IIR_FCR) == SD_UART_IIR_THRI && irq_level == 0,
	      "serial: IIR names THRE and reading it drops the line");
	check(uart_in(&s, SD_UART_IIR_FCR) == SD_UART_IIR_NO_INT, "serial: then IIR says no interrupt");
	sout(&s, SD_UART_RBR_THR, '!');
	check(irq_level == 1 && irq_edges == 2, "serial: each THR write raises THRE again (a new edge)");
	sout(&s, SD_UART_IER, 0);
	check(irq_level == 0, "serial: masking ETBEI drops the line");
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	sout(&s, SD_UART_LCR, SD_UART_LCR_DLAB);
	sout(&s, SD_UART_RBR_THR, 0x01);
	sout(&s, SD_UART_IER, 0x00);
	check(uart_in(&s, SD_UART_RBR_THR) == 1 && uart_in(&s, SD_UART_IER) == 0 && read(p[0], buf, 4) < 0,
	      "serial: with DLAB the divisor latch is written, nothing is sent");
	sout(&s, SD_UART_LCR, 0x03);
	sout(&s, SD_UART_MCR, SD_UART_MCR_LOOP | 0x0a);
	check((uart_in(&s, SD_UART_MSR) & 0xf0) == 0x90, "serial: loopback wires RTS->CTS and OUT2->DCD");
	sout(&s, SD_UART_RBR_THR, 'x');
	check(read(p[0], buf, 4) < 0, "serial: loopback bytes do not reach the host");
	sout(&s, SD_UART_MCR, 0x0b);
	check(uart_in(&s, SD_UART_MSR) == 0xb0, "serial: outside loopback DCD, DSR and CTS are up");
	sout(&s, SD_UART_IIR_FCR, SD_UART_FCR_ENABLE);
	check((uart_in(&s, SD_UART_IIR_FCR) & SD_UART_IIR_FIFO) == SD_UART_IIR_FIFO,
	      "serial: FIFO enabled shows in IIR (a 16550A)");
	close(p[0]);
	close(p[1]);
}

/* Load the program in a child, run fn, report how the child ended. */
static int in_child_with(const struct sd_seccomp_prog *prog, void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		struct volt_error err;
		if (sd_seccomp_load(prog, &err) < 0)
			_exit(90);
		fn();
		syscall(SYS_exit_group, 0);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void do_allowed_vcpu(void)
{
	if (write(-1, "", 0) == 0)
		_exit(91); /* EBADF expected: the call itself is allowed */
}
static void do_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}
static void do_open(void)
{
	open("/etc/hostname", O_RDONLY);
}
static void do_exec_mmap(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static void do_plain_mmap(void)
{
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		_exit(92);
}
static void do_other_ioctl(void)
{
	ioctl(0, KVM_CREATE_VM, 0);
}

static int killed_by_sys(int st)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static void test_seccomp(void)
{
	struct sd_seccomp_prog vcpu = {0}, main_ = {0};
	struct volt_error err = {0};
	int ok = sd_seccomp_build(SD_SECCOMP_VCPU, &vcpu, &err) == 0 &&
		 sd_seccomp_build(SD_SECCOMP_MAIN, &main_, &err) == 0;
	if (!ok)
		printf("# %s\n", err.msg);
	check(ok && vcpu.len > 10 && main_.len > 10, "seccomp: both allow-lists compile with libseccomp");
	size_t n;
	const struct sd_seccomp_rule *r = sd_seccomp_rules(SD_SECCOMP_VCPU, &n);
	int documented = n > 0;
	for (size_t i = 0; i < n; i++)
		documented &= r[i].why && *r[i].why;
	check(documented, "seccomp: every vCPU rule says why");
	if (!ok)
		return;
	int st = in_child_with(&vcpu, do_allowed_vcpu);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp: vCPU list allows write and exit_group");
	check(killed_by_sys(in_child_with(&vcpu, do_socket)), "seccomp: vCPU list kills socket()");
	check(killed_by_sys(in_child_with(&vcpu, do_open)), "seccomp: vCPU list kills open()");
	check(killed_by_sys(in_child_with(&vcpu, do_other_ioctl)),
	      "seccomp: vCPU list kills ioctls but its own");
	check(killed_by_sys(in_child_with(&vcpu, do_plain_mmap)), "seccomp: vCPU list kills mmap");
	st = in_child_with(&main_, do_plain_mmap);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp: main list allows a non-executable mmap");
	check(killed_by_sys(in_child_with(&main_, do_exec_mmap)), "seccomp: main list kills PROT_EXEC mmap");
	check(killed_by_sys(in_child_with(&main_, do_open)), "seccomp: main list kills open()");
	sd_seccomp_prog_free(&vcpu);
	sd_seccomp_prog_free(&main_);
}

static void test_jail(void)
{
	if (geteuid() != 0) {
		check(1, "jail: # SKIP needs root");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		struct sd_jail_cfg cfg = {.namespaces = true, .set_ids = true, .uid = 65534, .gid = 65534};
		struct sd_jail_result res;
		struct volt_error err;
		if (sd_jail_enter(&cfg, &res, &err) < 0) {
			fprintf(stderr, "# %s\n", err.msg);
			_exit(10);
		}
		if (!res.empty_root || !res.caps_dropped || !(res.unshared & CLONE_NEWNET))
			_exit(11);
		DIR *d = opendir("/");
		int entries = 0;
		for (struct dirent *e; d && (e = readdir(d));)
			entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
		if (!d || entries != 0)
			_exit(12);
		if (mkdir("/x", 0700) == 0 || open("/etc/passwd", O_RDONLY) >= 0)
			_exit(13);
		cap_t c = cap_get_proc();
		cap_flag_value_t v = CAP_SET;
		cap_get_flag(c, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v);
		cap_free(c);
		if (v != CAP_CLEAR)
			_exit(14);
		if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
			_exit(15);
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(16);
		uid_t ru, eu, su;
		gid_t rg, eg, sg;
		if (!res.ids_changed || getresuid(&ru, &eu, &su) < 0 || ru != 65534 || eu != 65534 ||
		    su != 65534 || getresgid(&rg, &eg, &sg) < 0 || rg != 65534 || eg != 65534 ||
		    sg != 65534 || getgroups(0, NULL) != 0)
			_exit(17);
		int pdeath = 0;
		if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0 || pdeath != SIGKILL)
			_exit(18);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("# jail child: status %#x\n", st);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "jail: new namespaces, an empty read-only root, no capabilities, uid and gid 65534 without "
	      "groups (parent-death signal kept), no_new_privs");
}

static int parse(struct sd_vm_config *c, struct volt_error *err, const char *a0, ...)
{
	char *argv[32] = {"stardust-vmm"};
	int argc = 1;
	va_list ap;
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return sd_vm_config_parse(c, argc, argv, err);
}

static void test_config(void)
{
	static struct sd_vm_config c;
	struct volt_error err = {0};
	int r = parse(&c, &err, "--kernel", "vmlinux", "--initrd=init.cpio", "--mem", "512", "--vcpus=2",
		      "--disk", "root.img,ro", "--console-in", "3", "--console-out", "/run/out", "--serial",
		      "--no-seccomp", "--cmdline", "init=/sbin/x", NULL);
	check(r == 0 && !strcmp(c.kernel, "vmlinux") && !strcmp(c.initrd, "init.cpio") && c.mem_mib == 512 &&
		  c.vcpus == 2 && !strcmp(c.disk, "root.img") && c.disk_ro && c.console &&
		  c.console_in_fd == 3 && !c.console_in_path && c.console_out_fd == -1 &&
		  !strcmp(c.console_out_path, "/run/out") && c.serial && !c.seccomp && c.jail &&
		  !strcmp(c.cmdline, "init=/sbin/x"),
	      "config: a full command line parses");
	r = parse(&c, &err, "--kernel", "k", NULL);
	check(r == 0 && c.mem_mib == SD_CFG_MEM_DEFAULT_MIB && c.vcpus == 1 && !c.disk && !c.console &&
		  !c.serial && c.seccomp && c.jail,
	      "config: defaults (256 MiB, 1 vCPU, no devices, seccomp and jail on)");
	r = parse(&c, &err, "--kernel", "k", "--disk", "a,b.img", NULL);
	check(r == 0 && !strcmp(c.disk, "a,b.img") && !c.disk_ro,
	      "config: a comma inside the disk path is kept");
	check(parse(&c, &err, "--initrd", "i", NULL) < 0 && strstr(err.msg, "--kernel"),
	      "config: --kernel is required");
	check(parse(&c, &err, "--kernel", "k", "--console-in", "0", NULL) < 0,
	      "config: console-in needs console-out");
	check(parse(&c, &err, "--kernel", "k", "--mem", "8", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--mem", "12x", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--vcpus", "0", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--vcpus", "-1", NULL) < 0,
	      "config: out-of-range and malformed numbers are refused");
	check(parse(&c, &err, "--kernel", "k", "--bogus", NULL) < 0 &&
		  parse(&c, &err, "--kernel", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--serial=1", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "stray", NULL) < 0,
	      "config: unknown options, missing values, valued flags and stray words are refused");
	check(parse(&c, &err, "--help", NULL) == 0 && c.help, "config: --help needs nothing else");
	r = parse(&c, &err, "--kernel", "k", NULL);
	bool dflt = r == 0 && c.uid == 65534 && c.gid == 65534;
	r = parse(&c, &err, "--kernel", "k", "--user", "1000:100", NULL);
	bool set = r == 0 && c.uid == 1000 && c.gid == 100;
	r = parse(&c, &err, "--kernel", "k", "--user=keep", NULL);
	bool keep = r == 0 && c.uid == (uid_t)-1 && c.gid == (gid_t)-1;
	check(dflt && set && keep, "config: --user UID:GID and keep; 65534:65534 by default");
	check(parse(&c, &err, "--kernel", "k", "--user", "0:0", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--user", "1000", NULL) < 0 &&
		  parse(&c, &err, "--kernel", "k", "--user", "x:1", NULL) < 0 && strstr(err.msg, "--user"),
	      "config: --user refuses root, a missing gid and non-numbers");

	char buf[512];
	parse(&c, &err, "--kernel", "k", "--cmdline", "init=/x", NULL);
	check(sd_vm_cmdline(&c, buf, sizeof(buf), &err) == 0 && !strstr(buf, "console=ttyS0") &&
		  strstr(buf, "quiet") && strstr(buf, "8250.nr_uarts=0") && strstr(buf, "pci=off") &&
		  !strcmp(buf + strlen(buf) - 8, " init=/x"),
	      "cmdline: no serial console without --serial, the user's part last");
	parse(&c, &err, "--kernel", "k", "--serial", NULL);
	check(sd_vm_cmdline(&c, buf, sizeof(buf), &err) == 0 && strstr(buf, "console=ttyS0") &&
		  strstr(buf, "8250.nr_uarts=1"),
	      "cmdline: --serial adds console=ttyS0");
	check(sd_vm_cmdline(&c, buf, 16, &err) < 0, "cmdline: too long for the buffer is an error");
}

static void test_exit_status(void)
{
	struct sd_monitor_result r = {.reason = SD_STOP_EXIT_PORT, .exit_code = 42};
	int ok = sd_monitor_exit_status(&r) == 42;
	r.reason = SD_STOP_POWEROFF;
	ok &= sd_monitor_exit_status(&r) == 0;
	r.reason = SD_STOP_RESET;
	ok &= sd_monitor_exit_status(&r) == 1;
	r.reason = SD_STOP_ERROR;
	ok &= sd_monitor_exit_status(&r) == 1;
	check(ok, "exit status: guest code, 0 on power-off, 1 on reset or error");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_bus();
	test_exits();
	test_serial();
	test_seccomp();
	test_jail();
	test_config();
	test_exit_status();
	printf("1..%d\n", n_test);
	return failed;
}
