/* The CPU state of the 64-bit Linux boot protocol entry, as pure data: the
 * identity-mapped page tables, the boot GDT and the register values. The
 * monitor writes the bytes with sd_x86_setup_write() and copies the
 * registers into its vCPU with sd_x86_apply(); nothing here calls KVM. */
#ifndef STARDUST_VMM_X86_SETUP_H
#define STARDUST_VMM_X86_SETUP_H

#include <linux/kvm.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"

/* The boot protocol wants __BOOT_CS = 0x10 and __BOOT_DS = 0x18. */
#define SD_GDT_NULL    0
#define SD_GDT_CODE    2
#define SD_GDT_DATA    3
#define SD_GDT_TSS     4 /* 16-byte system descriptor: slots 4 and 5 */
#define SD_GDT_ENTRIES 6
#define SD_SEL_CODE    (SD_GDT_CODE * 8)
#define SD_SEL_DATA    (SD_GDT_DATA * 8)
#define SD_SEL_TSS     (SD_GDT_TSS * 8)

/* PML4, PDPT and 4 page directories of 2 MiB pages: the first 4 GiB. */
#define SD_PT_PAGES  6
#define SD_PT_BYTES  (SD_PT_PAGES * 4096)
#define SD_PT_MAPPED (4ULL << 30)

#define SD_PTE_P  (1ULL << 0)
#define SD_PTE_RW (1ULL << 1)
#define SD_PTE_PS (1ULL << 7)

#define SD_CR0_PE   (1ULL << 0)
#define SD_CR0_ET   (1ULL << 4)
#define SD_CR0_PG   (1ULL << 31)
#define SD_CR4_PAE  (1ULL << 5)
#define SD_EFER_LME (1ULL << 8)
#define SD_EFER_LMA (1ULL << 10)

struct sd_x86_entry {
	struct kvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rip, rsp, rbp, rsi, rflags;
};

/* Page tables laid out from base_gpa (4 KiB aligned): PML4 at base, PDPT at
 * base + 4 KiB, the page directories after it; identity map of SD_PT_MAPPED
 * bytes with 2 MiB pages. */
void sd_x86_page_tables(uint8_t out[SD_PT_BYTES], uint64_t base_gpa);

/* Register state for entering a 64-bit kernel at entry_rip with the zero
 * page at zero_page_gpa, page tables at SD_PAGE_TABLES_GPA and the GDT/IDT
 * at their layout.h addresses. */
void sd_x86_entry_state(struct sd_x86_entry *e, uint64_t entry_rip, uint64_t zero_page_gpa);

/* The GDT bytes that describe the segments of e (what ltr/a segment reload
 * would read back). */
void sd_x86_gdt(uint64_t out[SD_GDT_ENTRIES], const struct sd_x86_entry *e);

/* One 8-byte descriptor for a code/data segment. */
uint64_t sd_x86_gdt_entry(const struct kvm_segment *s);

/* Write the page tables, GDT and IDT into guest memory. */
int sd_x86_setup_write(struct sd_guest_mem *m, const struct sd_x86_entry *e, struct volt_error *err);

/* Overwrite the boot-relevant fields of sregs/regs (obtained from
 * KVM_GET_SREGS/KVM_GET_REGS, so the APIC base and the rest stay KVM's). */
void sd_x86_apply(const struct sd_x86_entry *e, struct kvm_sregs *sregs, struct kvm_regs *regs);

#endif
