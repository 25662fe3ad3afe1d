#include "stardust/vmm/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

#include "stardust/vmm/monitor-seccomp.h"

static void stop_error(struct sd_vcpu *v, const struct volt_error *e)
{
	sd_vm_stop(v->ctx->state, SD_STOP_ERROR, 1, e);
}

static void note(struct sd_vcpu *v, int r, const struct volt_error *e)
{
	if (r < 0)
		sd_vm_note_refused(v->ctx->state, e);
	else if (r == SD_BUS_UNCLAIMED)
		sd_vm_note_unclaimed(v->ctx->state);
}

static int handle_io(struct sd_vcpu *v, struct kvm_run *run)
{
	struct volt_error e = {0};
	uint32_t size = run->io.size;
	if (size != 1 && size != 2 && size != 4) {
		volt_err(&e, -EINVAL, "vcpu %u: port %#x access of %u bytes", v->k.index, run->io.port, size);
		stop_error(v, &e);
		return 1;
	}
	/* String I/O (rep outsb/insb) comes as `count` back-to-back items in
	 * the kvm_run page, at data_offset. */
	uint64_t span = (uint64_t)run->io.count * size;
	if (run->io.data_offset < sizeof(*run) || run->io.data_offset + span > v->k.run_size) {
		volt_err(&e, -EINVAL, "vcpu %u: port I/O data outside kvm_run", v->k.index);
		stop_error(v, &e);
		return 1;
	}
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		int r = run->io.direction == KVM_EXIT_IO_OUT
			    ? sd_bus_write(v->ctx->pio, run->io.port, data, size, &e)
			    : sd_bus_read(v->ctx->pio, run->io.port, data, size, &e);
		note(v, r, &e);
	}
	return sd_vm_stopping(v->ctx->state) ? 1 : 0;
}

static int handle_mmio(struct sd_vcpu *v, struct kvm_run *run)
{
	struct volt_error e = {0};
	uint32_t len = run->mmio.len;
	if (len == 0 || len > sizeof(run->mmio.data)) {
		volt_err(&e, -EINVAL, "vcpu %u: MMIO access of %u bytes at %#llx", v->k.index, len,
			 (unsigned long long)run->mmio.phys_addr);
		stop_error(v, &e);
		return 1;
	}
	int r = run->mmio.is_write ? sd_bus_write(v->ctx->mmio, run->mmio.phys_addr, run->mmio.data, len, &e)
				   : sd_bus_read(v->ctx->mmio, run->mmio.phys_addr, run->mmio.data, len, &e);
	note(v, r, &e);
	return sd_vm_stopping(v->ctx->state) ? 1 : 0;
}

static int handle_system_event(struct sd_vcpu *v, struct kvm_run *run)
{
	struct volt_error e = {0};
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		sd_vm_stop(v->ctx->state, SD_STOP_POWEROFF, 0, NULL);
		return 1;
	case KVM_SYSTEM_EVENT_RESET:
		sd_vm_stop(v->ctx->state, SD_STOP_RESET, 0, NULL);
		return 1;
	case KVM_SYSTEM_EVENT_CRASH:
		volt_err(&e, -EIO, "vcpu %u: the guest reported a crash", v->k.index);
		break;
	default:
		volt_err(&e, -EIO, "vcpu %u: unexpected system event %u", v->k.index, run->system_event.type);
		break;
	}
	stop_error(v, &e);
	return 1;
}

int sd_vcpu_handle_exit(struct sd_vcpu *v)
{
	struct kvm_run *run = v->k.run;
	struct volt_error e = {0};
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(v, run);
	case KVM_EXIT_MMIO:
		return handle_mmio(v, run);
	case KVM_EXIT_INTR:
		return sd_vm_stopping(v->ctx->state) ? 1 : 0;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel irqchip: no interrupt can wake it. */
		sd_vm_stop(v->ctx->state, SD_STOP_HALT, 0, NULL);
		return 1;
	case KVM_EXIT_SHUTDOWN:
		sd_vm_stop(v->ctx->state, SD_STOP_RESET, 0, NULL);
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(v, run);
	case KVM_EXIT_FAIL_ENTRY:
		volt_err(&e, -EIO, "vcpu %u: VM entry failed, hardware reason %#llx", v->k.index,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		volt_err(&e, -EIO, "vcpu %u: KVM internal error, suberror %u", v->k.index,
			 run->internal.suberror);
		break;
	default:
		volt_err(&e, -EIO, "vcpu %u: unexpected exit reason %u", v->k.index, run->exit_reason);
		break;
	}
	stop_error(v, &e);
	return 1;
}

int sd_vcpu_loop(struct sd_vcpu *v)
{
	while (!sd_vm_stopping(v->ctx->state)) {
		if (ioctl(v->k.fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			struct volt_error e = {0};
			volt_err(&e, errno, "vcpu %u: KVM_RUN", v->k.index);
			stop_error(v, &e);
			return -1;
		}
		v->exits++;
		if (sd_vcpu_handle_exit(v))
			break;
	}
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int sd_vcpu_signals_init(struct volt_error *err)
{
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SD_VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return volt_err(err, errno, "vcpu: handler for signal %d", SD_VCPU_KICK_SIGNAL);
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct sd_vcpu *v = arg;
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, SD_VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (v->ctx->seccomp) {
		struct volt_error e = {0};
		if (sd_seccomp_load(v->ctx->seccomp, &e) < 0) {
			volt_err_ctx(&e, "vcpu %u: ", v->k.index);
			stop_error(v, &e);
			return NULL;
		}
	}
	sd_vcpu_loop(v);
	return NULL;
}

int sd_vcpu_start(struct sd_vcpu *v, struct volt_error *err)
{
	int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r != 0)
		return volt_err(err, r, "vcpu %u: thread", v->k.index);
	v->started = true;
	return 0;
}

void sd_vcpu_kick(struct sd_vcpu *v)
{
	if (!v->started)
		return;
	if (v->k.run)
		__atomic_store_n(&v->k.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, SD_VCPU_KICK_SIGNAL);
}

void sd_vcpu_join(struct sd_vcpu *v)
{
	if (!v->started)
		return;
	pthread_join(v->thread, NULL);
	v->started = false;
}
