/* The guest's physical memory map as the boot protocol hands it to Linux
 * (boot_params.e820_table). */
#ifndef STARDUST_VMM_E820_H
#define STARDUST_VMM_E820_H

#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"

#define SD_E820_RAM	 1
#define SD_E820_RESERVED 2
#define SD_E820_ACPI	 3

#define SD_E820_MAX 128 /* boot_params has room for 128 entries */

/* Smallest guest the map makes sense for: low RAM, the firmware area and a
 * little RAM above 1 MiB. */
#define SD_E820_MIN_RAM (2ULL << 20)

struct sd_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Map for a guest with ram_bytes of RAM split as guest-mem.h lays it out:
 * up to SD_MMIO_HOLE_START from 0, the rest from SD_HIGH_MEM_START.
 * Entries come out sorted and disjoint. Fails if ram_bytes is below
 * SD_E820_MIN_RAM or the table needs more than cap entries. */
int sd_e820_build(uint64_t ram_bytes, struct sd_e820_entry *tab, size_t cap, size_t *n,
		  struct volt_error *err);

/* The same for the regions of m, which must be laid out that way (region 0
 * at gpa 0, region 1, if any, at SD_HIGH_MEM_START with region 0 filling
 * the space below the hole). */
int sd_e820_for_mem(const struct sd_guest_mem *m, struct sd_e820_entry *tab, size_t cap, size_t *n,
		    struct volt_error *err);

/* Guest RAM in m (sum of the region sizes). */
uint64_t sd_guest_mem_ram(const struct sd_guest_mem *m);

#endif
