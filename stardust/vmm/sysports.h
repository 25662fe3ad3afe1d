/* The few legacy I/O ports a Linux guest touches on a machine without
 * firmware, and the two through which it says it is done:
 *
 *   0x501       exit port (Stardust's own): a write of any width stops the VM
 *               and its low byte becomes the guest's exit code, which
 *               stardust-vmm exits with. stardust-init writes the
 *               container's status here. (Same port as qemu's isa-debug-exit,
 *               but the byte is taken as is, not as (code << 1) | 1.)
 *   0x600       ACPI sleep control/status (the FADT's hardware-reduced
 *               registers): SLP_EN with SLP_TYP = _S5 is a clean power-off,
 *               which is what `poweroff` in the guest ends in.
 *   0x64        i8042 command: 0xfe (pulse reset) is a reset request.
 *   0x80        POST code: writes ignored.
 *   0x70, 0x71  CMOS index/data: no RTC (the FADT says so); reads 0.
 *   0x61        system control port B, only without the in-kernel PIT
 *               (whose dummy speaker answers it): reads 0.
 *
 * Everything else is unclaimed: reads all ones, writes dropped. */
#ifndef STARDUST_VMM_SYSPORTS_H
#define STARDUST_VMM_SYSPORTS_H

#include <stdbool.h>

#include "oci/error.h"
#include "stardust/vmm/bus.h"
#include "stardust/vmm/vm-state.h"

#define SD_PORT_EXIT	  0x501
#define SD_PORT_SLEEP	  0x600
#define SD_PORT_I8042_CMD 0x64
#define SD_PORT_POST	  0x80
#define SD_PORT_CMOS	  0x70
#define SD_PORT_SYSCTL_B  0x61

#define SD_I8042_RESET 0xfe

/* pit: the in-kernel PIT exists (then port 0x61 is KVM's). */
int sd_sysports_register(struct sd_bus *pio, struct sd_vm_state *s, bool pit, struct volt_error *err);

#endif
