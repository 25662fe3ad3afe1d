/* Guest physical memory as the monitor sees it: one contiguous mapping
 * starting at guest physical address 0 (below the 32-bit MMIO hole) and, for
 * larger guests, a second one above 4 GiB. Every access the monitor makes on
 * behalf of the guest goes through sd_gpa(), which refuses ranges that are
 * not entirely inside guest memory, so a hostile guest cannot make the
 * monitor touch its own memory. */
#ifndef STARDUST_VMM_GUEST_MEM_H
#define STARDUST_VMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define SD_MEM_REGIONS_MAX 2
#define SD_MMIO_HOLE_START 0xc0000000ULL /* 3 GiB: devices live above, RAM resumes at 4 GiB */
#define SD_HIGH_MEM_START 0x100000000ULL

struct sd_mem_region {
	uint64_t gpa;  /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping */
};

struct sd_guest_mem {
	struct sd_mem_region r[SD_MEM_REGIONS_MAX];
	size_t n;
};

/* Host pointer for [gpa, gpa+len) if the whole range lies in one region
 * (and does not wrap), else NULL. len 0 is allowed (returns the pointer). */
static inline void *sd_gpa(const struct sd_guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct sd_mem_region *r = &m->r[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off > r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

#endif
