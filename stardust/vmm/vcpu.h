/* vCPU threads and the KVM_RUN exit loop. Each vCPU runs on its own thread
 * until the VM state says stop: port I/O goes to the port bus, MMIO to the
 * MMIO bus (the virtio-mmio windows), and the exits that end a VM (HLT
 * without an irqchip, triple fault, KVM's system events, entry failures)
 * record why in the shared struct sd_vm_state. A stop is delivered to a
 * thread blocked in KVM_RUN by setting kvm_run.immediate_exit and sending
 * SD_VCPU_KICK_SIGNAL, whose handler does nothing: the ioctl returns EINTR. */
#ifndef STARDUST_VMM_VCPU_H
#define STARDUST_VMM_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/bus.h"
#include "stardust/vmm/kvm.h"
#include "stardust/vmm/monitor-seccomp.h"
#include "stardust/vmm/vm-state.h"

#define SD_VCPU_KICK_SIGNAL SIGUSR1

/* What every vCPU of one VM shares. */
struct sd_vcpu_ctx {
	struct sd_bus *pio;
	struct sd_bus *mmio;
	struct sd_vm_state *state;
	/* The vCPU allow-list (monitor-seccomp.h), loaded by each vCPU thread
	 * before its first KVM_RUN; NULL: none. */
	const struct sd_seccomp_prog *seccomp;
};

struct sd_vcpu {
	struct sd_kvm_vcpu k;
	const struct sd_vcpu_ctx *ctx;
	pthread_t thread;
	bool started;
	uint64_t exits;
};

/* Handle the exit described in v->k.run. Returns 1 when the VM must stop
 * (the reason is recorded), 0 to run on. Needs no KVM: a test can fill a
 * kvm_run by hand. */
int sd_vcpu_handle_exit(struct sd_vcpu *v);
/* KVM_RUN until the VM stops, in the calling thread. */
int sd_vcpu_loop(struct sd_vcpu *v);

/* Install the no-op handler of SD_VCPU_KICK_SIGNAL (process-wide, once,
 * before the first vCPU thread). */
int sd_vcpu_signals_init(struct volt_error *err);
/* Run sd_vcpu_loop on a new thread; SD_VCPU_KICK_SIGNAL is unblocked there
 * and the rest of the creator's signal mask kept. */
int sd_vcpu_start(struct sd_vcpu *v, struct volt_error *err);
/* Make a running vCPU leave KVM_RUN (call after sd_vm_stop). */
void sd_vcpu_kick(struct sd_vcpu *v);
void sd_vcpu_join(struct sd_vcpu *v);

#endif
