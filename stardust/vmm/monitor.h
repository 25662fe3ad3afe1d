/* One microVM from a struct sd_vm_config, start to finish: open /dev/kvm and
 * the images, lay out guest memory (kernel and initrd by the boot protocol,
 * ACPI tables describing the virtio-mmio devices, page tables and GDT),
 * create the vCPUs, confine the monitor (jail.h, then monitor-seccomp.h per
 * thread), run until the guest stops, tear everything down.
 *
 * Devices: COM1 (only with cfg->serial), the ports of sysports.h (the exit
 * port 0x501 and the ACPI sleep port 0x600 are how the guest says it is
 * done), and virtio-mmio windows from SD_VIRTIO_MMIO_BASE, one page apart,
 * each on its own level-triggered IO APIC pin from SD_VIRTIO_IRQ_BASE:
 * first the block device (cfg->disk), then the console (cfg->console), then
 * the network device (cfg->net: a tap opened before the jail, or an
 * inherited fd). The guest finds them through the DSDT (LNRO0005), as
 * Debian's kernel needs.
 *
 * Threads: one per vCPU (MMIO and port exits, so virtio-blk I/O and
 * virtio-net transmit happen on the vCPU that kicked the queue) and the main
 * thread (console input, frames from the network backend, stop requests,
 * SIGTERM/SIGINT/SIGHUP through a signalfd). */
#ifndef STARDUST_VMM_MONITOR_H
#define STARDUST_VMM_MONITOR_H

#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/config.h"
#include "stardust/vmm/jail.h"
#include "stardust/vmm/vm-state.h"

#define SD_VIRTIO_MMIO_BASE   0xd0000000ULL
#define SD_VIRTIO_MMIO_STRIDE 0x1000ULL
#define SD_VIRTIO_IRQ_BASE    5 /* clear of the PIT (0, 2), COM1 (4) and the RTC (8) */

struct sd_monitor_result {
	enum sd_stop_reason reason;
	int exit_code;	       /* with SD_STOP_EXIT_PORT */
	struct volt_error err; /* with SD_STOP_ERROR */
	uint64_t refused, unclaimed;
	struct volt_error first_refused;
	struct sd_jail_result jail;
	char cmdline[1024]; /* the start of what the guest got, for diagnostics */
};

/* Returns <0 (err filled) when the VM could not be built or started; once
 * it ran, 0 with res saying how it ended. */
int sd_monitor_run(const struct sd_vm_config *cfg, struct sd_monitor_result *res, struct volt_error *err);

/* The process exit status for a run: the guest's exit code, 0 for a clean
 * power-off (or a HLT nothing can wake), 1 for anything else. */
int sd_monitor_exit_status(const struct sd_monitor_result *res);

#endif
