/* The KVM side of a Stardust VM: /dev/kvm, the VM fd with its in-kernel
 * irqchip and PIT, guest memory registered as memory slots, and vCPU fds set
 * up for the 64-bit boot protocol. Thin wrappers over <linux/kvm.h>; the
 * state they load is computed by the pure modules (cpuid.h, x86-setup.h). */
#ifndef STARDUST_VMM_KVM_H
#define STARDUST_VMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/guest-mem.h"
#include "stardust/vmm/x86-setup.h"

/* Intel VMX needs three pages for the real-mode TSS and one for the
 * identity-mapped page table it uses while the guest runs unpaged. They sit
 * at the top of the 32-bit MMIO hole, clear of the APICs (0xfec00000,
 * 0xfee00000) and of the virtio windows. */
#define SD_KVM_IDENTITY_MAP_GPA 0xfffbc000ULL
#define SD_KVM_TSS_GPA		0xfffbd000ULL

#define SD_KVM_CPUID_MAX 256 /* entries asked of KVM_GET_SUPPORTED_CPUID at most */

struct sd_kvm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;	  /* KVM_GET_VCPU_MMAP_SIZE */
	bool irqchip;		  /* KVM_CREATE_IRQCHIP done */
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, SD_KVM_CPUID_MAX entries of room */
};

struct sd_kvm_vcpu {
	int fd;
	uint32_t index; /* also the APIC ID */
	struct kvm_run *run;
	size_t run_size;
};

/* Open dev (NULL: /dev/kvm), check the API version and the capabilities the
 * monitor relies on, create the VM and read the supported CPUID. Every fd is
 * close-on-exec. */
int sd_kvm_open(struct sd_kvm *k, const char *dev, struct volt_error *err);
/* TSS and identity-map addresses, then (irqchip) the in-kernel PIC/IO
 * APIC/LAPICs, before any vCPU, and (pit, needs irqchip) the PIT: guests
 * booted with `nolapic` tick on it; its speaker port 0x61 is answered in the
 * kernel. Without an irqchip HLT exits to the monitor. */
int sd_kvm_setup_x86(struct sd_kvm *k, bool irqchip, bool pit, struct volt_error *err);
void sd_kvm_close(struct sd_kvm *k);

/* Guest RAM laid out as guest-mem.h says: up to SD_MMIO_HOLE_START from 0,
 * the rest from SD_HIGH_MEM_START. Anonymous, MAP_NORESERVE: untouched
 * guest pages cost the host nothing. */
int sd_guest_mem_alloc(struct sd_guest_mem *m, uint64_t bytes, struct volt_error *err);
void sd_guest_mem_free(struct sd_guest_mem *m);
/* One memory slot per region. */
int sd_kvm_set_memory(struct sd_kvm *k, const struct sd_guest_mem *m, struct volt_error *err);

/* Drive an interrupt line (a GSI: IO APIC pin, and PIC pin below 16). */
int sd_kvm_irq_line(int vm_fd, uint32_t gsi, int level);

/* Create vCPU `index` of n_vcpus with its kvm_run mapping, the filtered
 * CPUID (cpuid.h), the boot MSRs, a reset FPU, and LINT0 as ExtINT / LINT1
 * as NMI (so PIC interrupts reach a guest that keeps its local APIC off). */
int sd_kvm_vcpu_create(struct sd_kvm *k, uint32_t index, uint32_t n_vcpus, struct sd_kvm_vcpu *v,
		       struct volt_error *err);
/* Load the 64-bit boot protocol entry state (the boot vCPU only: the others
 * wait in the kernel for the guest's INIT/SIPI). */
int sd_kvm_vcpu_boot(struct sd_kvm_vcpu *v, const struct sd_x86_entry *e, struct volt_error *err);
void sd_kvm_vcpu_close(struct sd_kvm_vcpu *v);

#endif
