#include "stardust/vmm/x86-setup.h"

#include <errno.h>
#include <string.h>

#include "stardust/vmm/layout.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void sd_x86_page_tables(uint8_t out[SD_PT_BYTES], uint64_t base_gpa)
{
	memset(out, 0, SD_PT_BYTES);
	uint64_t pdpt = base_gpa + 0x1000;
	put64(out, pdpt | SD_PTE_P | SD_PTE_RW);
	for (uint64_t i = 0; i < SD_PT_PAGES - 2; i++) {
		uint64_t pd = base_gpa + 0x2000 + i * 0x1000;
		put64(out + 0x1000 + i * 8, pd | SD_PTE_P | SD_PTE_RW);
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t phys = (i * 512 + j) << 21;
			put64(out + 0x2000 + i * 0x1000 + j * 8, phys | SD_PTE_P | SD_PTE_RW | SD_PTE_PS);
		}
	}
}

static struct kvm_segment flat(uint16_t sel, uint8_t type, uint8_t db, uint8_t l)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = sel,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = db,
	    .s = 1,
	    .l = l,
	    .g = 1,
	};
}

void sd_x86_entry_state(struct sd_x86_entry *e, uint64_t entry_rip, uint64_t zero_page_gpa)
{
	memset(e, 0, sizeof(*e));
	/* type 0xb: code, execute/read, accessed; 0x3: data, read/write, accessed.
	 * Accessed is preset so the CPU never writes the descriptor back. */
	e->cs = flat(SD_SEL_CODE, 0xb, 0, 1);
	e->ds = flat(SD_SEL_DATA, 0x3, 1, 0);
	e->es = e->ds;
	e->fs = e->ds;
	e->gs = e->ds;
	e->ss = e->ds;
	/* VM entry insists on a usable busy TSS in TR even though the guest
	 * never switches tasks; type 0xb = 64-bit busy TSS. */
	e->tr = (struct kvm_segment){
	    .base = 0, .limit = 0x67, .selector = SD_SEL_TSS, .type = 0xb, .present = 1, .s = 0};
	e->ldt = (struct kvm_segment){.selector = 0, .type = 0x2, .present = 1, .limit = 0xffff};
	e->gdt = (struct kvm_dtable){.base = SD_GDT_GPA, .limit = SD_GDT_ENTRIES * 8 - 1};
	e->idt = (struct kvm_dtable){.base = SD_IDT_GPA, .limit = 7};
	e->cr0 = SD_CR0_PE | SD_CR0_ET | SD_CR0_PG;
	e->cr3 = SD_PAGE_TABLES_GPA;
	e->cr4 = SD_CR4_PAE;
	e->efer = SD_EFER_LME | SD_EFER_LMA;
	e->rip = entry_rip;
	e->rsp = SD_BOOT_STACK_GPA;
	e->rbp = SD_BOOT_STACK_GPA;
	e->rsi = zero_page_gpa;
	e->rflags = 0x2; /* bit 1 is reserved and reads as 1; IF clear */
}

uint64_t sd_x86_gdt_entry(const struct kvm_segment *s)
{
	/* KVM takes the limit in bytes; with G set the descriptor holds it in
	 * 4 KiB units. */
	uint64_t lim = s->g ? (uint64_t)s->limit >> 12 : s->limit;
	uint64_t base = s->base;
	uint64_t access = (uint64_t)(s->type & 0xf) | (uint64_t)(s->s & 1) << 4 |
			  (uint64_t)(s->dpl & 3) << 5 | (uint64_t)(s->present & 1) << 7;
	uint64_t flags = (uint64_t)(s->avl & 1) | (uint64_t)(s->l & 1) << 1 | (uint64_t)(s->db & 1) << 2 |
			 (uint64_t)(s->g & 1) << 3;
	return (lim & 0xffff) | (base & 0xffffff) << 16 | access << 40 | ((lim >> 16) & 0xf) << 48 |
	       flags << 52 | ((base >> 24) & 0xff) << 56;
}

void sd_x86_gdt(uint64_t out[SD_GDT_ENTRIES], const struct sd_x86_entry *e)
{
	memset(out, 0, SD_GDT_ENTRIES * sizeof(out[0]));
	out[SD_GDT_CODE] = sd_x86_gdt_entry(&e->cs);
	out[SD_GDT_DATA] = sd_x86_gdt_entry(&e->ds);
	out[SD_GDT_TSS] = sd_x86_gdt_entry(&e->tr);
	out[SD_GDT_TSS + 1] = e->tr.base >> 32; /* upper half of the 16-byte system descriptor */
}

int sd_x86_setup_write(struct sd_guest_mem *m, const struct sd_x86_entry *e, struct volt_error *err)
{
	uint8_t *pt = sd_gpa(m, e->cr3, SD_PT_BYTES);
	uint8_t *gdt = sd_gpa(m, e->gdt.base, (uint64_t)e->gdt.limit + 1);
	uint8_t *idt = sd_gpa(m, e->idt.base, (uint64_t)e->idt.limit + 1);
	if (!pt || !gdt || !idt)
		return volt_err(err, -EFAULT,
				"x86 setup: page tables %#llx, GDT %#llx or IDT %#llx outside guest memory",
				(unsigned long long)e->cr3, (unsigned long long)e->gdt.base,
				(unsigned long long)e->idt.base);
	if ((uint64_t)e->gdt.limit + 1 != SD_GDT_ENTRIES * 8)
		return volt_err(err, -EINVAL, "x86 setup: GDT limit %u is not %d entries", e->gdt.limit,
				SD_GDT_ENTRIES);
	sd_x86_page_tables(pt, e->cr3);
	uint64_t g[SD_GDT_ENTRIES];
	sd_x86_gdt(g, e);
	for (int i = 0; i < SD_GDT_ENTRIES; i++)
		put64(gdt + 8 * i, g[i]);
	memset(idt, 0, (size_t)e->idt.limit + 1);
	return 0;
}

void sd_x86_apply(const struct sd_x86_entry *e, struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	sregs->cs = e->cs;
	sregs->ds = e->ds;
	sregs->es = e->es;
	sregs->fs = e->fs;
	sregs->gs = e->gs;
	sregs->ss = e->ss;
	sregs->tr = e->tr;
	sregs->ldt = e->ldt;
	sregs->gdt = e->gdt;
	sregs->idt = e->idt;
	sregs->cr0 = e->cr0;
	sregs->cr3 = e->cr3;
	sregs->cr4 = e->cr4;
	sregs->efer = e->efer;
	memset(regs, 0, sizeof(*regs));
	regs->rip = e->rip;
	regs->rsp = e->rsp;
	regs->rbp = e->rbp;
	regs->rsi = e->rsi;
	regs->rflags = e->rflags;
}
