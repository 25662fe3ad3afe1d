/* Loading a Linux kernel by the x86 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): an uncompressed ELF64 vmlinux or a
 * bzImage, the command line, the initrd and the zero page (struct
 * boot_params). Everything is validated before the first byte is written,
 * and every write goes through sd_gpa(): an image that would land outside
 * guest memory is an error, never a write. */
#ifndef STARDUST_VMM_BOOT_H
#define STARDUST_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"

/* Offsets in the zero page / in a bzImage's first sector (boot.rst,
 * zero-page.rst). */
#define SD_BP_ACPI_RSDP_ADDR	0x070
#define SD_BP_EXT_RAMDISK_IMAGE 0x0c0
#define SD_BP_EXT_RAMDISK_SIZE	0x0c4
#define SD_BP_EXT_CMD_LINE_PTR	0x0c8
#define SD_BP_E820_ENTRIES	0x1e8
#define SD_BP_SENTINEL		0x1ef
#define SD_BP_SETUP_SECTS	0x1f1
#define SD_BP_BOOT_FLAG		0x1fe
#define SD_BP_JUMP		0x200
#define SD_BP_HEADER		0x202
#define SD_BP_VERSION		0x206
#define SD_BP_TYPE_OF_LOADER	0x210
#define SD_BP_LOADFLAGS		0x211
#define SD_BP_CODE32_START	0x214
#define SD_BP_RAMDISK_IMAGE	0x218
#define SD_BP_RAMDISK_SIZE	0x21c
#define SD_BP_CMD_LINE_PTR	0x228
#define SD_BP_INITRD_ADDR_MAX	0x22c
#define SD_BP_KERNEL_ALIGNMENT	0x230
#define SD_BP_RELOCATABLE	0x234
#define SD_BP_XLOADFLAGS	0x236
#define SD_BP_CMDLINE_SIZE	0x238
#define SD_BP_PREF_ADDRESS	0x258
#define SD_BP_INIT_SIZE		0x260
#define SD_BP_HDR_LIMIT		0x290 /* the setup header's room in the zero page ends here */
#define SD_BP_E820_TABLE	0x2d0

#define SD_HDRS_MAGIC		   0x53726448u /* "HdrS" */
#define SD_BOOT_FLAG_MAGIC	   0xaa55
#define SD_LOADFLAG_LOADED_HIGH	   0x01
#define SD_XLF_KERNEL_64	   0x0001
#define SD_BOOT_MIN_PROTOCOL	   0x020c /* 2.12: the first with xloadflags / 64-bit entry */
#define SD_BOOT_PROTOCOL	   0x020f /* what this loader fills for an ELF kernel */
#define SD_LOADER_UNDEFINED	   0xff
#define SD_CMDLINE_MAX_DEFAULT	   2047 /* COMMAND_LINE_SIZE - 1, when the image does not say */
#define SD_INITRD_ADDR_MAX_DEFAULT 0x7fffffffULL

enum sd_kernel_kind {
	SD_KERNEL_UNKNOWN = 0,
	SD_KERNEL_ELF,
	SD_KERNEL_BZIMAGE,
};

/* The fields of a bzImage setup header the loader uses. */
struct sd_bzimage {
	uint16_t version;
	uint8_t setup_sects; /* as found; 0 means 4 */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t code32_start;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint32_t cmdline_size;
	uint64_t pref_address;
	uint32_t init_size;
	size_t hdr_end;	  /* end of the setup header in the file */
	size_t pm_offset; /* protected-mode kernel: file offset and size */
	size_t pm_size;
};

struct sd_boot_cfg {
	const uint8_t *kernel; /* whole file */
	size_t kernel_size;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_size;
	const char *cmdline; /* NULL = empty */
	uint64_t rsdp_gpa;   /* 0 = none: the guest scans 0xe0000..0xfffff */
};

struct sd_boot_info {
	enum sd_kernel_kind kind;
	uint16_t protocol;     /* bzImage header version, or SD_BOOT_PROTOCOL for ELF */
	uint64_t entry;	       /* RIP of the 64-bit entry (startup_64) */
	uint64_t zero_page;    /* RSI */
	uint64_t kernel_start; /* the kernel's reservation, which the initrd avoids */
	uint64_t kernel_end;
	uint64_t initrd_gpa; /* 0 when no initrd */
	uint64_t initrd_size;
	uint64_t cmdline_gpa;
	size_t cmdline_len;
};

enum sd_kernel_kind sd_kernel_detect(const uint8_t *img, size_t size);

/* Parse and check a bzImage header: "HdrS", boot protocol >= 2.12, a
 * 64-bit kernel (XLF_KERNEL_64), loadable high, the setup within the file. */
int sd_bzimage_parse(const uint8_t *img, size_t size, struct sd_bzimage *out, struct volt_error *err);

/* Load cfg's kernel (ELF64 vmlinux at its physical addresses, or bzImage's
 * protected-mode part at SD_BZIMAGE_LOAD_GPA), the command line at
 * SD_CMDLINE_GPA, the initrd as high as the kernel allows below the end of
 * low RAM (page aligned), and the zero page at SD_ZERO_PAGE_GPA with the
 * e820 map of m. */
int sd_boot_load(struct sd_guest_mem *m, const struct sd_boot_cfg *cfg, struct sd_boot_info *out,
		 struct volt_error *err);

#endif
