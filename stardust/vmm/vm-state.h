/* Why and how a VM stopped, shared by every thread of the monitor. The first
 * stop request wins (a guest that writes its exit code and then triple
 * faults still reports the code); every later one is ignored. The request is
 * also an eventfd, so the main thread can poll for it next to its devices. */
#ifndef STARDUST_VMM_VM_STATE_H
#define STARDUST_VMM_VM_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"

enum sd_stop_reason {
	SD_STOP_NONE = 0,
	SD_STOP_EXIT_PORT, /* the guest wrote its exit code to SD_PORT_EXIT */
	SD_STOP_POWEROFF,  /* ACPI S5, or KVM's SYSTEM_EVENT shutdown */
	SD_STOP_HALT,	   /* HLT with no in-kernel irqchip: nothing can wake it */
	SD_STOP_RESET,	   /* triple fault, reboot request (Linux's panic=-1 ends here too) */
	SD_STOP_SIGNAL,	   /* the monitor was asked to stop (SIGTERM, SIGINT, SIGHUP) */
	SD_STOP_ERROR,	   /* the monitor or KVM failed; err says why */
};

struct sd_vm_state {
	pthread_mutex_t lock;
	int stopping; /* atomic: read on every vCPU exit */
	enum sd_stop_reason reason;
	int exit_code; /* SD_STOP_EXIT_PORT: 0..255 */
	struct volt_error err;
	int stop_efd; /* written once, at the first request */
	/* Guest accesses a device refused, and accesses nobody claimed: the
	 * guest sees a completed access, the monitor reports them at the end. */
	uint64_t refused;
	uint64_t unclaimed;
	struct volt_error first_refused;
};

int sd_vm_state_init(struct sd_vm_state *s, struct volt_error *err);
void sd_vm_state_destroy(struct sd_vm_state *s);
/* Record a stop request (e: for SD_STOP_ERROR, may be NULL). Returns true if
 * this request was the first. Safe from any thread; async-signal-unsafe. */
bool sd_vm_stop(struct sd_vm_state *s, enum sd_stop_reason reason, int exit_code, const struct volt_error *e);
bool sd_vm_stopping(const struct sd_vm_state *s);
void sd_vm_note_refused(struct sd_vm_state *s, const struct volt_error *e);
void sd_vm_note_unclaimed(struct sd_vm_state *s);
const char *sd_stop_reason_name(enum sd_stop_reason r);

#endif
