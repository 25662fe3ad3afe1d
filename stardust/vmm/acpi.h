/* ACPI tables for a hardware-reduced microVM: RSDP (v2) -> XSDT -> FADT
 * (HW_REDUCED_ACPI, no legacy devices, DSDT pointer) and MADT (a local APIC
 * per vCPU and one IO APIC); the DSDT describes each virtio-mmio transport
 * as an LNRO0005 device, which is how a stock distribution kernel without
 * VIRTIO_MMIO_CMDLINE_DEVICES finds them (as under qemu -M microvm). */
#ifndef STARDUST_VMM_ACPI_H
#define STARDUST_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"

#define SD_ACPI_MAX_VIRTIO   64
#define SD_ACPI_MAX_VCPUS    254
#define SD_ACPI_IOAPIC_GPA   0xfec00000u
#define SD_ACPI_LAPIC_GPA    0xfee00000u
#define SD_ACPI_IOAPIC_PINS  24 /* KVM's in-kernel IO APIC */
#define SD_ACPI_VIRTIO_SIZE  0x200
#define SD_ACPI_OEM_ID	     "VOLT  "
#define SD_ACPI_OEM_TABLE_ID "STARDUST"

/* The guest writes (SLP_TYP << 2) | SLP_EN to the sleep control port to
 * power off: SLP_TYP is _S5's first value. */
#define SD_ACPI_S5_SLP_TYP 5
#define SD_ACPI_SLP_EN	   0x20

struct sd_acpi_virtio {
	uint64_t base;
	uint64_t size; /* 0: SD_ACPI_VIRTIO_SIZE */
	uint32_t irq;  /* IO APIC pin (GSI) */
	bool edge;     /* false: level triggered, as qemu microvm declares them */
};

struct sd_acpi_cfg {
	uint32_t n_vcpus;
	const struct sd_acpi_virtio *virtio;
	size_t n_virtio;
	/* I/O port of the ACPI sleep control/status registers, 0 = none: then
	 * the guest has no ACPI poweroff. */
	uint16_t sleep_port;
};

/* Build the tables at base_gpa (16-byte aligned; SD_ACPI_GPA is where the
 * e820 map says ACPI), at most SD_ACPI_SIZE bytes. *rsdp_gpa gets the
 * RSDP's address for boot_params.acpi_rsdp_addr. Checks every device
 * (inside the 32-bit MMIO hole, clear of the APICs and of each other, IRQ an
 * IO APIC pin) before writing. */
int sd_acpi_build(struct sd_guest_mem *m, uint64_t base_gpa, const struct sd_acpi_cfg *cfg,
		  uint64_t *rsdp_gpa, struct volt_error *err);

#endif
