#include "stardust/vmm/cpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Leaf 1 ECX */
#define ECX_DTES64     (1u << 2)
#define ECX_MONITOR    (1u << 3)
#define ECX_DS_CPL     (1u << 4)
#define ECX_VMX	       (1u << 5)
#define ECX_SMX	       (1u << 6)
#define ECX_EST	       (1u << 7)
#define ECX_TM2	       (1u << 8)
#define ECX_PDCM       (1u << 15)
#define ECX_HYPERVISOR (1u << 31)
/* Leaf 1 EDX */
#define EDX_DS	 (1u << 21)
#define EDX_ACPI (1u << 22)
#define EDX_HTT	 (1u << 28)
#define EDX_TM	 (1u << 29)
#define EDX_PBE	 (1u << 31)
/* Leaf 6 EAX: the APIC timer keeps running in deep C-states */
#define LEAF6_EAX_ARAT (1u << 2)
/* Leaf 0x80000001 ECX */
#define EXT_ECX_SVM (1u << 2)

struct kvm_cpuid_entry2 *sd_cpuid_find(struct kvm_cpuid_entry2 *tab, size_t n, uint32_t function,
				       uint32_t index)
{
	for (size_t i = 0; i < n; i++) {
		if (tab[i].function != function)
			continue;
		if ((tab[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && tab[i].index != index)
			continue;
		return &tab[i];
	}
	return NULL;
}

static bool dropped(uint32_t function)
{
	/* Architectural performance monitoring: no vPMU is configured. Any
	 * hypervisor leaf other than KVM's two: the guest must see one
	 * coherent hypervisor interface. */
	if (function == 0xa)
		return true;
	return function >= 0x40000000u && function <= 0x4fffffffu && function != SD_CPUID_KVM_SIGNATURE &&
	       function != SD_CPUID_KVM_FEATURES;
}

static struct kvm_cpuid_entry2 *get_or_add(struct kvm_cpuid_entry2 *tab, size_t *n, size_t cap,
					   uint32_t function, struct volt_error *err)
{
	struct kvm_cpuid_entry2 *e = sd_cpuid_find(tab, *n, function, 0);
	if (e)
		return e;
	if (*n >= cap) {
		volt_err(err, -ENOSPC, "cpuid: no room in the %zu-entry table for leaf %#x", cap, function);
		return NULL;
	}
	e = &tab[(*n)++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	return e;
}

int sd_cpuid_filter(struct kvm_cpuid_entry2 *tab, size_t *n, size_t cap, const struct sd_cpuid_cfg *cfg,
		    struct volt_error *err)
{
	if (cfg->n_vcpus == 0 || cfg->n_vcpus > 254 || cfg->vcpu_index >= cfg->n_vcpus)
		return volt_err(err, -EINVAL, "cpuid: vcpu %u of %u is out of range (1..254 vCPUs)",
				cfg->vcpu_index, cfg->n_vcpus);
	if (*n > cap)
		return volt_err(err, -EINVAL, "cpuid: %zu entries in a %zu-entry table", *n, cap);

	size_t out = 0;
	bool had_features = false;
	for (size_t i = 0; i < *n; i++) {
		struct kvm_cpuid_entry2 e = tab[i];
		if (dropped(e.function))
			continue;
		switch (e.function) {
		case 1:
			e.ecx &= ~(ECX_DTES64 | ECX_MONITOR | ECX_DS_CPL | ECX_VMX | ECX_SMX | ECX_EST |
				   ECX_TM2 | ECX_PDCM);
			e.ecx |= ECX_HYPERVISOR;
			e.edx &= ~(EDX_DS | EDX_ACPI | EDX_TM | EDX_PBE);
			/* EBX[31:24] initial APIC ID, [23:16] logical CPUs per package. */
			e.ebx = (e.ebx & 0xffff) | cfg->vcpu_index << 24 | (cfg->n_vcpus & 0xff) << 16;
			if (cfg->n_vcpus > 1)
				e.edx |= EDX_HTT;
			else
				e.edx &= ~EDX_HTT;
			break;
		case 5: /* MONITOR/MWAIT leaf: MONITOR is hidden */
			e.eax = e.ebx = e.ecx = e.edx = 0;
			break;
		case 6:
			/* Thermal and power management is not emulated; ARAT stays,
			 * or Linux would want a broadcast timer the guest lacks. */
			e.eax &= LEAF6_EAX_ARAT;
			e.ebx = e.ecx = e.edx = 0;
			break;
		case 0xb:
		case 0x1f:
			e.edx = cfg->vcpu_index; /* x2APIC ID, every subleaf */
			break;
		case 0x80000001:
			e.ecx &= ~EXT_ECX_SVM;
			break;
		case SD_CPUID_KVM_FEATURES:
			had_features = true;
			e.eax &= SD_KVM_FEATURES_ALLOWED;
			e.ebx = e.ecx = e.edx = 0;
			break;
		default:
			break;
		}
		tab[out++] = e;
	}
	*n = out;

	struct kvm_cpuid_entry2 *sig = get_or_add(tab, n, cap, SD_CPUID_KVM_SIGNATURE, err);
	if (!sig)
		return -1;
	static const char kvm_sig[12] = {'K', 'V', 'M', 'K', 'V', 'M', 'K', 'V', 'M', 0, 0, 0};
	sig->eax = SD_CPUID_KVM_FEATURES; /* highest hypervisor leaf */
	memcpy(&sig->ebx, kvm_sig, 4);
	memcpy(&sig->ecx, kvm_sig + 4, 4);
	memcpy(&sig->edx, kvm_sig + 8, 4);

	struct kvm_cpuid_entry2 *feat = get_or_add(tab, n, cap, SD_CPUID_KVM_FEATURES, err);
	if (!feat)
		return -1;
	if (!had_features)
		feat->eax = SD_KVM_FEATURES_DEFAULT;
	return 0;
}
