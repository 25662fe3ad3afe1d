#include "stardust/vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/vmm/cpuid.h"

/* Boot-time MSRs: what firmware would leave for Linux (the syscall MSRs
 * cleared, fast strings on, MTRRs enabled with write-back as the default
 * type so the guest does not run its RAM uncached). */
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MISC_ENABLE_FAST_STR  1ULL
#define MTRR_ENABLE	      (1ULL << 11)
#define MTRR_TYPE_WB	      6ULL

#define APIC_LVT0	   0x350
#define APIC_LVT1	   0x360
#define APIC_MODE_NMI	   4u
#define APIC_MODE_EXTINT   7u
#define APIC_LVT_MASKED	   (1u << 16)
#define APIC_DELIVERY_MASK 0x700u

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

int sd_kvm_open(struct sd_kvm *k, const char *dev, struct volt_error *err)
{
	memset(k, 0, sizeof(*k));
	k->kvm_fd = k->vm_fd = -1;
	if (!dev)
		dev = "/dev/kvm";
	k->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0)
		return volt_err(err, errno, "kvm: open %s", dev);
	int v = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		sd_kvm_close(k);
		return volt_err(err, -EINVAL, "kvm: %s speaks API version %d, not %d", dev, v,
				KVM_API_VERSION);
	}
	static const struct {
		int cap;
		const char *name;
	} need[] = {
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},	{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},	{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			sd_kvm_close(k);
			return volt_err(err, -ENOTSUP, "kvm: %s lacks %s", dev, need[i].name);
		}
	}
	int sz = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		sd_kvm_close(k);
		return volt_err(err, sz < 0 ? errno : -EINVAL, "kvm: KVM_GET_VCPU_MMAP_SIZE");
	}
	k->run_size = (size_t)sz;

	k->cpuid = calloc(1, sizeof(*k->cpuid) + SD_KVM_CPUID_MAX * sizeof(struct kvm_cpuid_entry2));
	if (!k->cpuid) {
		sd_kvm_close(k);
		return volt_err(err, ENOMEM, "kvm: cpuid table");
	}
	/* Two entries short of the room: the filter may append KVM's leaves. */
	k->cpuid->nent = SD_KVM_CPUID_MAX - 2;
	if (xioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, k->cpuid) < 0) {
		int e = errno;
		sd_kvm_close(k);
		return volt_err(err, e, "kvm: KVM_GET_SUPPORTED_CPUID (%d entries)", SD_KVM_CPUID_MAX - 2);
	}

	do
		k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0UL);
	while (k->vm_fd < 0 && errno == EINTR);
	if (k->vm_fd < 0) {
		int e = errno;
		sd_kvm_close(k);
		return volt_err(err, e, "kvm: KVM_CREATE_VM");
	}
	if (fcntl(k->vm_fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;
		sd_kvm_close(k);
		return volt_err(err, e, "kvm: close-on-exec on the VM fd");
	}
	return 0;
}

int sd_kvm_setup_x86(struct sd_kvm *k, bool irqchip, bool pit, struct volt_error *err)
{
	uint64_t idmap = SD_KVM_IDENTITY_MAP_GPA;
	if (xioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return volt_err(err, errno, "kvm: KVM_SET_IDENTITY_MAP_ADDR %#" PRIx64, idmap);
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)SD_KVM_TSS_GPA) < 0)
		return volt_err(err, errno, "kvm: KVM_SET_TSS_ADDR %#llx", SD_KVM_TSS_GPA);
	if (!irqchip)
		return pit ? volt_err(err, -EINVAL, "kvm: a PIT needs the in-kernel irqchip") : 0;
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return volt_err(err, errno, "kvm: KVM_CREATE_IRQCHIP");
	k->irqchip = true;
	if (pit) {
		/* The dummy speaker makes KVM answer port 0x61 itself. */
		struct kvm_pit_config pc = {.flags = KVM_PIT_SPEAKER_DUMMY};
		if (xioctl(k->vm_fd, KVM_CREATE_PIT2, &pc) < 0)
			return volt_err(err, errno, "kvm: KVM_CREATE_PIT2");
	}
	return 0;
}

void sd_kvm_close(struct sd_kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k->cpuid);
	k->vm_fd = k->kvm_fd = -1;
	k->cpuid = NULL;
}

int sd_guest_mem_alloc(struct sd_guest_mem *m, uint64_t bytes, struct volt_error *err)
{
	memset(m, 0, sizeof(*m));
	if (bytes == 0 || (bytes & 0xfff))
		return volt_err(err, -EINVAL,
				"guest memory: %" PRIu64 " bytes is not a positive number of pages", bytes);
	uint64_t low = bytes < SD_MMIO_HOLE_START ? bytes : SD_MMIO_HOLE_START;
	uint64_t sizes[2] = {low, bytes - low};
	uint64_t gpas[2] = {0, SD_HIGH_MEM_START};
	for (int i = 0; i < 2 && sizes[i]; i++) {
		if (sizes[i] > SIZE_MAX) {
			sd_guest_mem_free(m);
			return volt_err(err, -E2BIG, "guest memory: %" PRIu64 " bytes", sizes[i]);
		}
		void *p = mmap(NULL, (size_t)sizes[i], PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			sd_guest_mem_free(m);
			return volt_err(err, e, "guest memory: mmap %" PRIu64 " bytes", sizes[i]);
		}
		m->r[m->n++] = (struct sd_mem_region){.gpa = gpas[i], .size = sizes[i], .host = p};
	}
	return 0;
}

void sd_guest_mem_free(struct sd_guest_mem *m)
{
	for (size_t i = 0; i < m->n; i++)
		munmap(m->r[i].host, (size_t)m->r[i].size);
	m->n = 0;
}

int sd_kvm_set_memory(struct sd_kvm *k, const struct sd_guest_mem *m, struct volt_error *err)
{
	for (size_t i = 0; i < m->n; i++) {
		struct kvm_userspace_memory_region r = {
		    .slot = (uint32_t)i,
		    .guest_phys_addr = m->r[i].gpa,
		    .memory_size = m->r[i].size,
		    .userspace_addr = (uint64_t)(uintptr_t)m->r[i].host,
		};
		if (xioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return volt_err(err, errno,
					"kvm: memory slot %zu at %#" PRIx64 " (%" PRIu64 " bytes)", i,
					m->r[i].gpa, m->r[i].size);
	}
	return 0;
}

int sd_kvm_irq_line(int vm_fd, uint32_t gsi, int level)
{
	struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)(level != 0)};
	return xioctl(vm_fd, KVM_IRQ_LINE, &l);
}

static int set_cpuid(struct sd_kvm *k, struct sd_kvm_vcpu *v, uint32_t n_vcpus, struct volt_error *err)
{
	_cleanup_free_ struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + SD_KVM_CPUID_MAX * sizeof(struct kvm_cpuid_entry2));
	if (!c)
		return volt_err(err, ENOMEM, "vcpu %u: cpuid table", v->index);
	size_t n = k->cpuid->nent;
	memcpy(c->entries, k->cpuid->entries, n * sizeof(c->entries[0]));
	struct sd_cpuid_cfg cfg = {.vcpu_index = v->index, .n_vcpus = n_vcpus};
	if (sd_cpuid_filter(c->entries, &n, SD_KVM_CPUID_MAX, &cfg, err) < 0)
		return volt_err_ctx(err, "vcpu %u: ", v->index);
	c->nent = (uint32_t)n;
	if (xioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_SET_CPUID2 (%zu entries)", v->index, n);
	return 0;
}

static int set_msrs(struct sd_kvm_vcpu *v, struct volt_error *err)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} boot[] = {
	    {MSR_IA32_SYSENTER_CS, 0},
	    {MSR_IA32_SYSENTER_ESP, 0},
	    {MSR_IA32_SYSENTER_EIP, 0},
	    {MSR_STAR, 0},
	    {MSR_LSTAR, 0},
	    {MSR_CSTAR, 0},
	    {MSR_SYSCALL_MASK, 0},
	    {MSR_KERNEL_GS_BASE, 0},
	    {MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STR},
	    {MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB},
	};
	size_t n = sizeof(boot) / sizeof(boot[0]);
	_cleanup_free_ struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + n * sizeof(struct kvm_msr_entry));
	if (!msrs)
		return volt_err(err, ENOMEM, "vcpu %u: MSR table", v->index);
	msrs->nmsrs = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		msrs->entries[i].index = boot[i].index;
		msrs->entries[i].data = boot[i].data;
	}
	/* KVM_SET_MSRS returns how many it took: it stops at the first refusal. */
	int r = xioctl(v->fd, KVM_SET_MSRS, msrs);
	if (r < 0)
		return volt_err(err, errno, "vcpu %u: KVM_SET_MSRS", v->index);
	if ((size_t)r != n)
		return volt_err(err, -EINVAL, "vcpu %u: KVM_SET_MSRS refused MSR %#x", v->index,
				boot[r].index);
	return 0;
}

static uint32_t get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t lvt_mode(uint32_t reg, uint32_t mode)
{
	return (reg & ~(APIC_DELIVERY_MASK | APIC_LVT_MASKED)) | mode << 8;
}

static int set_lint(struct sd_kvm_vcpu *v, struct volt_error *err)
{
	struct kvm_lapic_state la;
	if (xioctl(v->fd, KVM_GET_LAPIC, &la) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_GET_LAPIC", v->index);
	put32(la.regs + APIC_LVT0, lvt_mode(get32(la.regs + APIC_LVT0), APIC_MODE_EXTINT));
	put32(la.regs + APIC_LVT1, lvt_mode(get32(la.regs + APIC_LVT1), APIC_MODE_NMI));
	if (xioctl(v->fd, KVM_SET_LAPIC, &la) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_SET_LAPIC", v->index);
	return 0;
}

int sd_kvm_vcpu_create(struct sd_kvm *k, uint32_t index, uint32_t n_vcpus, struct sd_kvm_vcpu *v,
		       struct volt_error *err)
{
	memset(v, 0, sizeof(*v));
	v->index = index;
	do
		v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	while (v->fd < 0 && errno == EINTR);
	if (v->fd < 0)
		return volt_err(err, errno, "vcpu %u: KVM_CREATE_VCPU", index);
	if (fcntl(v->fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;
		sd_kvm_vcpu_close(v);
		return volt_err(err, e, "vcpu %u: close-on-exec", index);
	}
	void *run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		int e = errno;
		sd_kvm_vcpu_close(v);
		return volt_err(err, e, "vcpu %u: mmap kvm_run", index);
	}
	v->run = run;
	v->run_size = k->run_size;

	/* x87 control word and MXCSR as after FNINIT / reset: all exceptions
	 * masked. */
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	if (set_cpuid(k, v, n_vcpus, err) < 0 || set_msrs(v, err) < 0) {
		sd_kvm_vcpu_close(v);
		return -1;
	}
	if (xioctl(v->fd, KVM_SET_FPU, &fpu) < 0) {
		int e = errno;
		sd_kvm_vcpu_close(v);
		return volt_err(err, e, "vcpu %u: KVM_SET_FPU", index);
	}
	if (k->irqchip && set_lint(v, err) < 0) {
		sd_kvm_vcpu_close(v);
		return -1;
	}
	return 0;
}

int sd_kvm_vcpu_boot(struct sd_kvm_vcpu *v, const struct sd_x86_entry *e, struct volt_error *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	if (xioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_GET_SREGS", v->index);
	if (xioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_GET_REGS", v->index);
	sd_x86_apply(e, &sregs, &regs);
	if (xioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_SET_SREGS", v->index);
	if (xioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return volt_err(err, errno, "vcpu %u: KVM_SET_REGS", v->index);
	return 0;
}

void sd_kvm_vcpu_close(struct sd_kvm_vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
