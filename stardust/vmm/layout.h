/* Where the monitor puts things in guest physical memory before the first
 * instruction runs. Everything below 1 MiB is firmware territory for Linux:
 * the kernel never takes it over as general RAM, so the boot structures,
 * page tables and ACPI tables live there and the kernel proper starts at
 * 1 MiB. One header so the e820 map, the loader and the ACPI builder agree. */
#ifndef STARDUST_VMM_LAYOUT_H
#define STARDUST_VMM_LAYOUT_H

#define SD_GDT_GPA	    0x500ULL /* boot GDT (null, null, __BOOT_CS, __BOOT_DS, TSS) */
#define SD_IDT_GPA	    0x540ULL /* empty IDT: any exception before Linux loads its own is fatal anyway */
#define SD_ZERO_PAGE_GPA    0x7000ULL /* struct boot_params */
#define SD_BOOT_STACK_GPA   0x8ff0ULL
#define SD_PAGE_TABLES_GPA  0x9000ULL /* PML4, PDPT, 4 PDs: 0x9000..0xefff */
#define SD_CMDLINE_GPA	    0x20000ULL
#define SD_CMDLINE_AREA	    0x10000ULL	/* bytes reserved for the command line */
#define SD_EBDA_GPA	    0x9fc00ULL	/* low RAM ends here, as on a PC */
#define SD_ISA_HOLE_GPA	    0xa0000ULL	/* VGA window and option ROMs: never RAM */
#define SD_ACPI_GPA	    0xe0000ULL	/* RSDP first: inside the BIOS area Linux scans */
#define SD_ACPI_SIZE	    0x20000ULL	/* up to 1 MiB */
#define SD_KERNEL_MIN_GPA   0x100000ULL /* nothing from a kernel file may land below */
#define SD_BZIMAGE_LOAD_GPA 0x100000ULL

#endif
