/* What the guest sees of CPUID: KVM_GET_SUPPORTED_CPUID's table, filtered
 * per vCPU. The guest is told it runs under KVM (hypervisor bit and KVM's
 * signature leaves, so Linux uses kvmclock rather than polling the CMOS
 * clock), gets its own APIC ID and CPU count, and loses the features the
 * monitor does not back (nested virtualisation, vPMU, thermal and debug
 * store machinery, MONITOR/MWAIT). Pure: no ioctls. */
#ifndef STARDUST_VMM_CPUID_H
#define STARDUST_VMM_CPUID_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_CPUID_KVM_SIGNATURE 0x40000000u
#define SD_CPUID_KVM_FEATURES  0x40000001u

/* KVM paravirtual features (0x40000001 EAX) a guest may use here. */
#define SD_KVM_FEATURE_CLOCKSOURCE	  (1u << 0)
#define SD_KVM_FEATURE_NOP_IO_DELAY	  (1u << 1)
#define SD_KVM_FEATURE_CLOCKSOURCE2	  (1u << 3)
#define SD_KVM_FEATURE_PV_EOI		  (1u << 6)
#define SD_KVM_FEATURE_PV_UNHALT	  (1u << 7)
#define SD_KVM_FEATURE_CLOCKSOURCE_STABLE (1u << 24)
#define SD_KVM_FEATURES_ALLOWED                                                                              \
	(SD_KVM_FEATURE_CLOCKSOURCE | SD_KVM_FEATURE_NOP_IO_DELAY | SD_KVM_FEATURE_CLOCKSOURCE2 |            \
	 SD_KVM_FEATURE_PV_EOI | SD_KVM_FEATURE_PV_UNHALT | SD_KVM_FEATURE_CLOCKSOURCE_STABLE)
/* Used when the table has no 0x40000001: kvmclock exists on every KVM. */
#define SD_KVM_FEATURES_DEFAULT                                                                              \
	(SD_KVM_FEATURE_CLOCKSOURCE | SD_KVM_FEATURE_NOP_IO_DELAY | SD_KVM_FEATURE_CLOCKSOURCE2 |            \
	 SD_KVM_FEATURE_CLOCKSOURCE_STABLE)

struct sd_cpuid_cfg {
	uint32_t vcpu_index; /* also the APIC ID */
	uint32_t n_vcpus;
};

/* Filter the n entries of tab in place (cap entries of room: the KVM leaves
 * are appended if missing). On success *n is the new count. Fails if there
 * is no room or the cfg is inconsistent (vcpu_index >= n_vcpus, n_vcpus 0
 * or above 254, the largest xAPIC ID the MADT can describe). */
int sd_cpuid_filter(struct kvm_cpuid_entry2 *tab, size_t *n, size_t cap, const struct sd_cpuid_cfg *cfg,
		    struct volt_error *err);

/* The entry for function/index, or NULL. */
struct kvm_cpuid_entry2 *sd_cpuid_find(struct kvm_cpuid_entry2 *tab, size_t n, uint32_t function,
				       uint32_t index);

#endif
