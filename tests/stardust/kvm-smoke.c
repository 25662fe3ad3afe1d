/* KVM smoke test for the monitor core: tiny guests run through the real
 * vCPU code (kvm.c, vcpu.c, the buses, the exit port, the serial model,
 * the vCPU seccomp allow-list) on /dev/kvm.
 *   1. real mode, in-kernel irqchip and PIT, on a vCPU thread under the vCPU
 *      seccomp list: a byte to COM1, an MMIO write and read-back through a
 *      test device, the read value to the exit port;
 *   2. 64-bit entry state from x86-setup.h (page tables, GDT, RSI = zero
 *      page): the guest reports RSI >> 8 on the exit port;
 *   3. real mode without irqchip: a bare HLT stops the VM as "halted".
 * Without /dev/kvm it prints "SKIP: no /dev/kvm" and exits 77. TAP output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stardust/vmm/bus.h"
#include "stardust/vmm/kvm.h"
#include "stardust/vmm/layout.h"
#include "stardust/vmm/monitor-seccomp.h"
#include "stardust/vmm/serial.h"
#include "stardust/vmm/sysports.h"
#include "stardust/vmm/vcpu.h"
#include "stardust/vmm/vm-state.h"
#include "stardust/vmm/x86-setup.h"

#define TEST_MMIO_GPA 0x20000ULL

static int n_test;
static int failed;

static void check(int ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n_test, name);
	if (!ok)
		failed = 1;
}

/* Test device: remembers the last byte written, reads it back plus one. */
static int tdev_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	uint8_t *last = opaque;
	memset(data, 0, len);
	((uint8_t *)data)[0] = (uint8_t)(*last + 1);
	return 0;
}

static int tdev_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	*(uint8_t *)opaque = ((const uint8_t *)data)[0];
	return 0;
}

struct rig {
	struct sd_kvm kvm;
	struct sd_guest_mem mem;
	struct sd_vm_state state;
	struct sd_bus pio, mmio;
	struct sd_vcpu_ctx ctx;
	struct sd_vcpu vcpu;
	struct volt_error err;
};

static int rig_up(struct rig *r, uint64_t mem, bool irqchip)
{
	memset(r, 0, sizeof(*r));
	r->vcpu.k.fd = -1;
	sd_bus_init(&r->pio, "pio", 0xff);
	sd_bus_init(&r->mmio, "mmio", 0xff);
	if (sd_vm_state_init(&r->state, &r->err) < 0 || sd_kvm_open(&r->kvm, NULL, &r->err) < 0 ||
	    sd_kvm_setup_x86(&r->kvm, irqchip, irqchip, &r->err) < 0 ||
	    sd_guest_mem_alloc(&r->mem, mem, &r->err) < 0 ||
	    sd_kvm_set_memory(&r->kvm, &r->mem, &r->err) < 0 ||
	    sd_sysports_register(&r->pio, &r->state, irqchip, &r->err) < 0 ||
	    sd_kvm_vcpu_create(&r->kvm, 0, 1, &r->vcpu.k, &r->err) < 0)
		return -1;
	r->ctx = (struct sd_vcpu_ctx){.pio = &r->pio, .mmio = &r->mmio, .state = &r->state};
	r->vcpu.ctx = &r->ctx;
	return 0;
}

static void rig_down(struct rig *r)
{
	sd_kvm_vcpu_close(&r->vcpu.k);
	sd_kvm_close(&r->kvm);
	sd_guest_mem_free(&r->mem);
	sd_bus_destroy(&r->pio);
	sd_bus_destroy(&r->mmio);
	sd_vm_state_destroy(&r->state);
}

static int real_mode(struct rig *r, uint64_t ip)
{
	struct kvm_sregs s;
	struct kvm_regs regs;
	if (ioctl(r->vcpu.k.fd, KVM_GET_SREGS, &s) < 0 || ioctl(r->vcpu.k.fd, KVM_GET_REGS, &regs) < 0)
		return volt_err(&r->err, errno, "get registers");
	s.cs.base = 0;
	s.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = ip;
	regs.rflags = 2;
	if (ioctl(r->vcpu.k.fd, KVM_SET_SREGS, &s) < 0 || ioctl(r->vcpu.k.fd, KVM_SET_REGS, &regs) < 0)
		return volt_err(&r->err, errno, "set registers");
	return 0;
}

static void test_real_mode_thread(void)
{
	static const uint8_t code[] = {
	    0xba, 0xf8, 0x03,		  /* mov dx, 0x3f8 */
	    0xb0, 'K',			  /* mov al, 'K' */
	    0xee,			  /* out dx, al */
	    0xb8, 0x00, 0x20,		  /* mov ax, 0x2000 */
	    0x8e, 0xd8,			  /* mov ds, ax */
	    0xc6, 0x06, 0x10, 0x00, 0x5a, /* mov byte [0x10], 0x5a  (MMIO 0x20010) */
	    0xa0, 0x10, 0x00,		  /* mov al, [0x10] */
	    0xba, 0x01, 0x05,		  /* mov dx, 0x501 */
	    0xee,			  /* out dx, al */
	    0xf4,			  /* hlt */
	};
	struct rig r;
	int pipefd[2] = {-1, -1};
	uint8_t last = 0;
	struct sd_serial serial;
	struct sd_seccomp_prog prog = {0};
	int ok = rig_up(&r, 0x10000, true) == 0 && pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) == 0;
	if (ok) {
		sd_serial_init(&serial, pipefd[1], NULL, NULL);
		memcpy(sd_gpa(&r.mem, 0x1000, sizeof(code)), code, sizeof(code));
		ok = sd_bus_add(&r.pio, "serial", SD_SERIAL_COM1_PORT, SD_SERIAL_PORTS, sd_serial_read,
				sd_serial_write, &serial, &r.err) == 0 &&
		     sd_bus_add(&r.mmio, "test", TEST_MMIO_GPA, 0x100, tdev_read, tdev_write, &last,
				&r.err) == 0 &&
		     real_mode(&r, 0x1000) == 0 && sd_vcpu_signals_init(&r.err) == 0 &&
		     sd_seccomp_build(SD_SECCOMP_VCPU, &prog, &r.err) == 0;
	}
	if (ok) {
		r.ctx.seccomp = &prog;
		ok = sd_vcpu_start(&r.vcpu, &r.err) == 0;
	}
	if (ok) {
		struct pollfd p = {.fd = r.state.stop_efd, .events = POLLIN};
		int n = poll(&p, 1, 10000);
		if (n != 1)
			sd_vm_stop(&r.state, SD_STOP_ERROR, 1, NULL);
		check(n == 1, "real mode: the guest stopped within 10 s");
		sd_vcpu_kick(&r.vcpu);
		sd_vcpu_join(&r.vcpu);
		char out[8] = {0};
		ssize_t got = read(pipefd[0], out, sizeof(out));
		check(got == 1 && out[0] == 'K', "real mode: COM1 output reached the host fd");
		check(last == 0x5a, "real mode: MMIO write reached the device");
		check(r.state.reason == SD_STOP_EXIT_PORT && r.state.exit_code == 0x5b,
		      "real mode: exit port carries the value read over MMIO (0x5b)");
		if (r.state.reason == SD_STOP_ERROR)
			printf("# %s\n", r.state.err.msg);
	} else {
		printf("# setup: %s\n", r.err.msg);
		check(0, "real mode: setup");
	}
	sd_seccomp_prog_free(&prog);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	rig_down(&r);
}

static void test_long_mode(void)
{
	static const uint8_t code[] = {
	    0x89, 0xf0,		    /* mov eax, esi */
	    0xc1, 0xe8, 0x08,	    /* shr eax, 8 */
	    0x66, 0xba, 0x01, 0x05, /* mov dx, 0x501 */
	    0xee,		    /* out dx, al */
	    0xf4,		    /* hlt */
	};
	struct rig r;
	struct sd_x86_entry e;
	int ok = rig_up(&r, 4 << 20, false) == 0;
	if (ok) {
		memcpy(sd_gpa(&r.mem, SD_KERNEL_MIN_GPA, sizeof(code)), code, sizeof(code));
		sd_x86_entry_state(&e, SD_KERNEL_MIN_GPA, SD_ZERO_PAGE_GPA);
		ok = sd_x86_setup_write(&r.mem, &e, &r.err) == 0 &&
		     sd_kvm_vcpu_boot(&r.vcpu.k, &e, &r.err) == 0;
	}
	if (ok) {
		sd_vcpu_loop(&r.vcpu);
		check(r.state.reason == SD_STOP_EXIT_PORT &&
			  r.state.exit_code == (int)(SD_ZERO_PAGE_GPA >> 8),
		      "64-bit entry: RSI holds the zero page (exit code 0x70)");
		if (r.state.reason == SD_STOP_ERROR)
			printf("# %s\n", r.state.err.msg);
	} else {
		printf("# setup: %s\n", r.err.msg);
		check(0, "64-bit entry: setup");
	}
	rig_down(&r);
}

static void test_halt(void)
{
	struct rig r;
	int ok = rig_up(&r, 0x10000, false) == 0;
	if (ok) {
		*(uint8_t *)sd_gpa(&r.mem, 0x1000, 1) = 0xf4; /* hlt */
		ok = real_mode(&r, 0x1000) == 0;
	}
	if (ok) {
		sd_vcpu_loop(&r.vcpu);
		check(r.state.reason == SD_STOP_HALT, "no irqchip: HLT stops the VM as halted");
	} else {
		printf("# setup: %s\n", r.err.msg);
		check(0, "halt: setup");
	}
	rig_down(&r);
}

int main(void)
{
	if (access("/dev/kvm", F_OK) != 0) {
		printf("SKIP: no /dev/kvm\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_long_mode();
	test_halt();
	/* Last: it loads a seccomp filter on a thread of this process. */
	test_real_mode_thread();
	printf("1..%d\n", n_test);
	return failed;
}
