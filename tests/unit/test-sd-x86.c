/* Stardust x86 entry state: identity page tables, the boot GDT, the
 * 64-bit register values, and the CPUID filter. Pure, no /dev/kvm. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stardust/vmm/cpuid.h"
#include "stardust/vmm/layout.h"
#include "stardust/vmm/x86-setup.h"
#include "tap.h"

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_page_tables(void)
{
	static uint8_t pt[SD_PT_BYTES];
	sd_x86_page_tables(pt, 0x9000);
	check(get64(pt) == (0xa000 | 3), "PML4[0] -> PDPT at 0xa000, present+writable");
	check(get64(pt + 8) == 0, "PML4[1] empty");
	bool pdpt_ok = true;
	for (int i = 0; i < 4; i++)
		pdpt_ok &= get64(pt + 0x1000 + 8 * i) == ((0xb000ULL + 0x1000ULL * i) | 3);
	check(pdpt_ok && get64(pt + 0x1000 + 32) == 0, "PDPT[0..3] -> four page directories, PDPT[4] empty");
	check(get64(pt + 0x2000) == 0x83, "PD entry 0 maps 0 with a 2 MiB page");
	check(get64(pt + 0x2000 + 8) == 0x200083, "PD entry 1 maps 2 MiB");
	check(get64(pt + 0x3000) == 0x40000083, "second PD starts at 1 GiB");
	check(get64(pt + 0x5000 + 511 * 8) == (0xffe00000ULL | 0x83), "last entry maps 4 GiB - 2 MiB");
	bool all = true;
	for (uint64_t k = 0; k < 2048; k++)
		all &= get64(pt + 0x2000 + 8 * k) == ((k << 21) | 0x83);
	check(all, "all 2048 PD entries identity-map the first 4 GiB");
}

static void test_entry_and_gdt(void)
{
	struct sd_x86_entry e;
	sd_x86_entry_state(&e, 0x1000200, SD_ZERO_PAGE_GPA);
	check(e.cr0 == 0x80000011, "CR0 = PG|ET|PE");
	check(e.cr4 == 0x20, "CR4 = PAE");
	check(e.efer == 0x500, "EFER = LME|LMA");
	check(e.cr3 == SD_PAGE_TABLES_GPA, "CR3 = page tables");
	check(e.rip == 0x1000200 && e.rsi == SD_ZERO_PAGE_GPA && e.rflags == 2,
	      "RIP entry, RSI zero page, RFLAGS 0x2");
	check(e.cs.selector == 0x10 && e.cs.l == 1 && e.cs.db == 0 && e.cs.type == 0xb && e.cs.present,
	      "CS = __BOOT_CS 0x10, 64-bit code");
	check(e.ds.selector == 0x18 && e.ss.selector == 0x18 && e.es.selector == 0x18 && e.ds.type == 3 &&
		  e.ds.db == 1,
	      "DS/ES/SS = __BOOT_DS 0x18, flat data");
	check(e.tr.type == 0xb && e.tr.present && e.tr.s == 0, "TR is a busy 64-bit TSS");

	uint64_t g[SD_GDT_ENTRIES];
	sd_x86_gdt(g, &e);
	check(g[0] == 0 && g[1] == 0, "GDT null entries");
	check(g[2] == 0x00af9b000000ffffULL, "GDT[2] = flat 64-bit code 0x00af9b000000ffff");
	check(g[3] == 0x00cf93000000ffffULL, "GDT[3] = flat data 0x00cf93000000ffff");
	check(g[4] == 0x00008b0000000067ULL && g[5] == 0, "GDT[4..5] = 16-byte busy TSS descriptor");

	size_t sz = 1 << 20;
	uint8_t *ram = calloc(1, sz);
	struct sd_guest_mem m = {.n = 1, .r = {{.gpa = 0, .size = sz, .host = ram}}};
	struct volt_error err = {0};
	check(sd_x86_setup_write(&m, &e, &err) == 0, "setup_write into 1 MiB guest");
	check(get64(ram + SD_GDT_GPA + 16) == g[2] && get64(ram + SD_GDT_GPA + 24) == g[3],
	      "GDT bytes in guest memory at 0x500");
	check(get64(ram + 0x9000) == (0xa000 | 3) && get64(ram + 0xb000 + 8) == 0x200083,
	      "page tables in guest memory at 0x9000");
	struct sd_guest_mem tiny = {.n = 1, .r = {{.gpa = 0, .size = 0xa000, .host = ram}}};
	check(sd_x86_setup_write(&tiny, &e, &err) < 0 && strstr(err.msg, "outside guest memory"),
	      "setup_write refuses page tables beyond guest memory");
	free(ram);

	struct kvm_sregs s;
	struct kvm_regs r;
	memset(&s, 0, sizeof(s));
	memset(&r, 0xff, sizeof(r));
	s.apic_base = 0xfee00900;
	sd_x86_apply(&e, &s, &r);
	check(s.cs.selector == 0x10 && s.cr3 == e.cr3 && s.efer == e.efer && s.gdt.base == SD_GDT_GPA &&
		  s.gdt.limit == 47,
	      "apply: sregs carry the entry state");
	check(s.apic_base == 0xfee00900, "apply: KVM's APIC base untouched");
	check(r.rip == e.rip && r.rsi == e.rsi && r.rax == 0 && r.rflags == 2,
	      "apply: regs set, others zero");
}

static struct kvm_cpuid_entry2 leaf(uint32_t f, uint32_t idx, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct kvm_cpuid_entry2 e;
	memset(&e, 0, sizeof(e));
	e.function = f;
	e.index = idx;
	e.eax = a;
	e.ebx = b;
	e.ecx = c;
	e.edx = d;
	if (f == 0xb)
		e.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	return e;
}

static void test_cpuid(void)
{
	struct kvm_cpuid_entry2 t[16];
	size_t n = 0;
	t[n++] = leaf(0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
	t[n++] = leaf(1, 0, 0x906ea, 0xff010800, (1u << 5) | (1u << 3) | (1u << 0), (1u << 22) | (1u << 0));
	t[n++] = leaf(6, 0, 0x77, 0x2, 0x9, 0);
	t[n++] = leaf(0xa, 0, 0x7300805, 0, 0, 0x603);
	t[n++] = leaf(0xb, 0, 1, 1, 0x100, 7);
	t[n++] = leaf(0xb, 1, 4, 4, 0x201, 7);
	t[n++] = leaf(0x40000000, 0, 0x40000005, 0x7263694d, 0x666f736f, 0x76482074); /* "Microsoft Hv" */
	t[n++] = leaf(0x40000003, 0, 1, 2, 3, 4);
	t[n++] = leaf(0x80000001, 0, 0, 0, (1u << 2) | 1, 0);
	struct sd_cpuid_cfg cfg = {.vcpu_index = 1, .n_vcpus = 2};
	struct volt_error err = {0};
	size_t cap = sizeof(t) / sizeof(t[0]);
	check(sd_cpuid_filter(t, &n, cap, &cfg, &err) == 0, "cpuid filter succeeds");
	struct kvm_cpuid_entry2 *l1 = sd_cpuid_find(t, n, 1, 0);
	check(l1 && (l1->ecx & (1u << 31)), "leaf 1 ECX[31] hypervisor bit set");
	check(l1 && !(l1->ecx & (1u << 5)) && !(l1->ecx & (1u << 3)) && (l1->ecx & 1),
	      "leaf 1: VMX and MONITOR hidden, SSE3 kept");
	check(l1 && l1->ebx >> 24 == 1 && ((l1->ebx >> 16) & 0xff) == 2 && (l1->ebx & 0xffff) == 0x0800,
	      "leaf 1 EBX: APIC ID 1, 2 logical CPUs, CLFLUSH size kept");
	check(l1 && !(l1->edx & (1u << 22)) && (l1->edx & (1u << 28)),
	      "leaf 1 EDX: ACPI thermal off, HTT on");
	check(sd_cpuid_find(t, n, 0xa, 0) == NULL, "leaf 0xa (PMU) removed");
	struct kvm_cpuid_entry2 *l6 = sd_cpuid_find(t, n, 6, 0);
	check(l6 && l6->eax == 0x4 && l6->ecx == 0, "leaf 6: only ARAT left");
	check(sd_cpuid_find(t, n, 0xb, 1) && sd_cpuid_find(t, n, 0xb, 1)->edx == 1 &&
		  sd_cpuid_find(t, n, 0xb, 0)->edx == 1,
	      "leaf 0xb: x2APIC ID = vCPU index in every subleaf");
	check(sd_cpuid_find(t, n, 0x40000003, 0) == NULL, "foreign hypervisor leaf removed");
	struct kvm_cpuid_entry2 *sig = sd_cpuid_find(t, n, 0x40000000, 0);
	char s[13] = {0};
	if (sig) {
		memcpy(s, &sig->ebx, 4);
		memcpy(s + 4, &sig->ecx, 4);
		memcpy(s + 8, &sig->edx, 4);
	}
	check(sig && memcmp(s, "KVMKVMKVM\0\0\0", 12) == 0 && sig->eax == 0x40000001,
	      "0x40000000: KVMKVMKVM signature, max leaf 0x40000001");
	struct kvm_cpuid_entry2 *feat = sd_cpuid_find(t, n, 0x40000001, 0);
	check(feat && feat->eax == SD_KVM_FEATURES_DEFAULT && (feat->eax & 1) && (feat->eax & 8),
	      "0x40000001 added with kvmclock (CLOCKSOURCE, CLOCKSOURCE2)");
	check(!(sd_cpuid_find(t, n, 0x80000001, 0)->ecx & 4), "0x80000001: SVM hidden");

	/* A supported table that has 0x40000001 keeps only allowed bits. */
	struct kvm_cpuid_entry2 t2[4];
	size_t n2 = 0;
	t2[n2++] = leaf(1, 0, 0, 0, 0, 0);
	t2[n2++] = leaf(0x40000001, 0, 0xffffffff, 0, 0, 1);
	check(sd_cpuid_filter(t2, &n2, 4, &(struct sd_cpuid_cfg){.vcpu_index = 0, .n_vcpus = 1}, &err) == 0 &&
		  n2 == 3,
	      "filter with KVM features present: signature appended");
	feat = sd_cpuid_find(t2, n2, 0x40000001, 0);
	check(feat && feat->eax == SD_KVM_FEATURES_ALLOWED && feat->edx == 0,
	      "KVM features masked to the allow-list");
	check(!(sd_cpuid_find(t2, n2, 1, 0)->edx & (1u << 28)), "single vCPU: no HTT");

	struct kvm_cpuid_entry2 t3[1] = {leaf(1, 0, 0, 0, 0, 0)};
	size_t n3 = 1;
	check(sd_cpuid_filter(t3, &n3, 1, &(struct sd_cpuid_cfg){.vcpu_index = 0, .n_vcpus = 1}, &err) < 0 &&
		  strstr(err.msg, "no room"),
	      "filter refuses a table without room for the KVM leaves");
	n3 = 1;
	check(sd_cpuid_filter(t3, &n3, 1, &(struct sd_cpuid_cfg){.vcpu_index = 2, .n_vcpus = 2}, &err) < 0,
	      "filter refuses vcpu_index >= n_vcpus");
}

int main(void)
{
	test_page_tables();
	test_entry_and_gdt();
	test_cpuid();
	return tap_done();
}
