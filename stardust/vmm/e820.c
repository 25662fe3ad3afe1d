#include "stardust/vmm/e820.h"

#include <errno.h>
#include <inttypes.h>

#include "stardust/vmm/layout.h"

static int add(struct sd_e820_entry *tab, size_t cap, size_t *n, uint64_t addr, uint64_t size, uint32_t type,
	       struct volt_error *err)
{
	if (size == 0)
		return 0;
	if (*n >= cap)
		return volt_err(err, -ENOSPC, "e820: table full at %zu entries", cap);
	tab[*n] = (struct sd_e820_entry){.addr = addr, .size = size, .type = type};
	(*n)++;
	return 0;
}

int sd_e820_build(uint64_t ram_bytes, struct sd_e820_entry *tab, size_t cap, size_t *n,
		  struct volt_error *err)
{
	*n = 0;
	if (ram_bytes < SD_E820_MIN_RAM)
		return volt_err(err, -EINVAL, "e820: guest RAM %" PRIu64 " bytes is below the minimum %llu",
				ram_bytes, SD_E820_MIN_RAM);
	uint64_t low = ram_bytes < SD_MMIO_HOLE_START ? ram_bytes : SD_MMIO_HOLE_START;
	uint64_t high = ram_bytes - low;
	if (high > UINT64_MAX - SD_HIGH_MEM_START)
		return volt_err(err, -EINVAL, "e820: guest RAM %" PRIu64 " bytes overflows the address space",
				ram_bytes);

	/* The EBDA and the BIOS area are reserved as on a PC, so Linux keeps
	 * its hands off them; 0xa0000..0xe0000 is a hole (no entry) like
	 * the VGA window on real hardware. The ACPI tables sit where the
	 * BIOS ROM would, typed ACPI so the kernel knows they hold tables. */
	if (add(tab, cap, n, 0, SD_EBDA_GPA, SD_E820_RAM, err) < 0 ||
	    add(tab, cap, n, SD_EBDA_GPA, SD_ISA_HOLE_GPA - SD_EBDA_GPA, SD_E820_RESERVED, err) < 0 ||
	    add(tab, cap, n, SD_ACPI_GPA, SD_ACPI_SIZE, SD_E820_ACPI, err) < 0 ||
	    add(tab, cap, n, SD_KERNEL_MIN_GPA, low - SD_KERNEL_MIN_GPA, SD_E820_RAM, err) < 0 ||
	    add(tab, cap, n, SD_HIGH_MEM_START, high, SD_E820_RAM, err) < 0)
		return -1;
	return 0;
}

uint64_t sd_guest_mem_ram(const struct sd_guest_mem *m)
{
	uint64_t total = 0;
	for (size_t i = 0; i < m->n; i++)
		total += m->r[i].size;
	return total;
}

int sd_e820_for_mem(const struct sd_guest_mem *m, struct sd_e820_entry *tab, size_t cap, size_t *n,
		    struct volt_error *err)
{
	*n = 0;
	if (m->n < 1 || m->n > 2 || m->r[0].gpa != 0 || m->r[0].size > SD_MMIO_HOLE_START)
		return volt_err(err, -EINVAL,
				"e820: guest memory region 0 must start at 0 and end below %#llx",
				SD_MMIO_HOLE_START);
	if (m->n == 2 && (m->r[0].size != SD_MMIO_HOLE_START || m->r[1].gpa != SD_HIGH_MEM_START))
		return volt_err(err, -EINVAL,
				"e820: guest memory region 1 must start at %#llx after a full low region",
				SD_HIGH_MEM_START);
	return sd_e820_build(sd_guest_mem_ram(m), tab, cap, n, err);
}
