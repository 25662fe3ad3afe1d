#include "stardust/vmm/monitor-seccomp.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"

/* What every thread of the monitor needs, whatever its kind. */
static const struct sd_seccomp_rule common_rules[] = {
    {"futex", "device locks, the VM state lock, pthread_join"},
    {"rt_sigreturn", "return from the no-op vCPU kick handler"},
    {"rt_sigprocmask", "glibc masks signals around thread exit and pthread_kill"},
    {"restart_syscall", "the kernel restarts an interrupted futex wait with it"},
    {"madvise", "glibc releases a finished thread's stack with MADV_DONTNEED"},
    {"munmap", "free() of a large block; teardown of kvm_run and guest memory"},
    {"clock_gettime", "fallback when the vDSO is not mapped"},
    {"exit", "a thread ends"},
    {"exit_group", "the monitor ends"},
};

static const struct sd_seccomp_rule vcpu_rules[] = {
    /* ioctl: KVM_RUN and KVM_IRQ_LINE only, added with argument checks. */
    {"write", "serial output, the stop eventfd, the console's wake-up eventfd"},
    {"writev", "virtio-console: guest output to the host fd; virtio-net: one frame to the backend"},
    {"poll", "virtio-console: waiting for a non-blocking output fd to drain"},
    {"preadv", "virtio-blk reads"},
    {"pwritev", "virtio-blk writes"},
    {"preadv2", "virtio-blk reads (glibc may pick the v2 call)"},
    {"pwritev2", "virtio-blk writes (glibc may pick the v2 call)"},
    {"fdatasync", "virtio-blk FLUSH"},
};

static const struct sd_seccomp_rule main_rules[] = {
    /* ioctl: KVM_IRQ_LINE only (console input and received frames raise
     * the device's interrupt); mmap without PROT_EXEC, for malloc. The
     * network backend (tap) is opened and checked (TUNSETIFF, TUNGETIFF,
     * fcntl, getsockopt) before the filters are loaded: nothing new here. */
    {"poll", "waiting on the stop, wake-up, signal, console and network backend fds"},
    {"ppoll", "the same, where glibc uses ppoll"},
    {"read", "draining eventfds and the signalfd"},
    {"readv", "virtio-console: host input into the guest's receive buffers; virtio-net: one frame from "
	      "the backend into a posted buffer"},
    {"write", "the stop and wake-up eventfds; error messages on stderr"},
    {"writev", "stdio on stderr"},
    {"getpid", "pthread_kill addresses a vCPU thread by (pid, tid)"},
    {"gettid", "pthread_kill"},
    /* tgkill: kicking a vCPU thread out of KVM_RUN, added below for our own
     * thread group only. */
    {"close", "teardown"},
    {"brk", "malloc"},
    {"fstat", "stdio's first write"},
    {"newfstatat", "stdio's first write"},
};

const struct sd_seccomp_rule *sd_seccomp_common_rules(size_t *n)
{
	*n = sizeof(common_rules) / sizeof(common_rules[0]);
	return common_rules;
}

const struct sd_seccomp_rule *sd_seccomp_rules(enum sd_seccomp_kind kind, size_t *n)
{
	if (kind == SD_SECCOMP_VCPU) {
		*n = sizeof(vcpu_rules) / sizeof(vcpu_rules[0]);
		return vcpu_rules;
	}
	*n = sizeof(main_rules) / sizeof(main_rules[0]);
	return main_rules;
}

static int add_ioctl(scmp_filter_ctx ctx, unsigned long req, const char *name, struct volt_error *err)
{
	int r = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    (struct scmp_arg_cmp){.arg = 1, .op = SCMP_CMP_EQ, .datum_a = req, .datum_b = 0});
	if (r < 0)
		return volt_err(err, -r, "seccomp: ioctl %s rule", name);
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, enum sd_seccomp_kind kind, struct volt_error *err)
{
	size_t nc, n;
	const struct sd_seccomp_rule *lists[] = {sd_seccomp_common_rules(&nc), sd_seccomp_rules(kind, &n)};
	const size_t lens[] = {nc, n};
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lens[l]; i++) {
			const char *name = lists[l][i].syscall;
			int nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR)
				return volt_err(err, -EINVAL, "seccomp: unknown syscall %s", name);
			int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			if (r < 0)
				return volt_err(err, -r, "seccomp: rule for %s", name);
		}
	}
	/* Both kinds raise interrupts: a vCPU from a notify, the main thread
	 * from console input and received frames. Only the vCPU runs the guest. */
	if (add_ioctl(ctx, KVM_IRQ_LINE, "KVM_IRQ_LINE", err) < 0)
		return -1;
	if (kind == SD_SECCOMP_VCPU)
		return add_ioctl(ctx, KVM_RUN, "KVM_RUN", err);
	int t = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    (struct scmp_arg_cmp){
		.arg = 0, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)getpid(), .datum_b = 0});
	if (t < 0)
		return volt_err(err, -t, "seccomp: tgkill rule");
	/* malloc may map, never executable memory. */
	int r = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    (struct scmp_arg_cmp){.arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0});
	if (r < 0)
		return volt_err(err, -r, "seccomp: mmap rule");
	return 0;
}

int sd_seccomp_build(enum sd_seccomp_kind kind, struct sd_seccomp_prog *out, struct volt_error *err)
{
	memset(out, 0, sizeof(*out));
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return volt_err(err, ENOMEM, "seccomp: init");
	int rc = add_rules(ctx, kind, err);
	_cleanup_close_ int fd = -1;
	if (rc == 0) {
		/* libseccomp 2.5 exports only to an fd. */
		fd = memfd_create("sd-seccomp", MFD_CLOEXEC);
		if (fd < 0)
			rc = volt_err(err, errno, "seccomp: memfd");
	}
	if (rc == 0) {
		int r = seccomp_export_bpf(ctx, fd);
		if (r < 0)
			rc = volt_err(err, -r, "seccomp: export");
	}
	seccomp_release(ctx);
	if (rc < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "seccomp: size of the program");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return volt_err(err, -EINVAL, "seccomp: program of %lld bytes", (long long)st.st_size);
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (!insns)
		return volt_err(err, ENOMEM, "seccomp: program");
	if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
		int e = errno ? errno : EIO;
		free(insns);
		return volt_err(err, e, "seccomp: read back the program");
	}
	out->insns = insns;
	out->len = (size_t)st.st_size / sizeof(struct sock_filter);
	return 0;
}

void sd_seccomp_prog_free(struct sd_seccomp_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

int sd_seccomp_load(const struct sd_seccomp_prog *p, struct volt_error *err)
{
	struct sock_fprog prog = {.len = (unsigned short)p->len, .filter = p->insns};
	if (!p->insns || p->len == 0)
		return volt_err(err, -EINVAL, "seccomp: empty program");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return volt_err(err, errno, "seccomp: no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return volt_err(err, errno, "seccomp: load the filter");
	return 0;
}
