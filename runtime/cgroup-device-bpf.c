/* cgroup v2 has no devices files: access to device nodes is decided by an
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup.
 * The program is generated here instruction by instruction (no libbpf):
 *
 *   r2 = ctx->access_type & 0xffff   (BPF_DEVCG_DEV_CHAR / _BLOCK)
 *   r3 = ctx->access_type >> 16      (BPF_DEVCG_ACC_* mask)
 *   r4 = ctx->major, r5 = ctx->minor
 *   for each rule, last first: if it matches, return allow ? 1 : 0
 *   return 0
 *
 * Checking the last rule first and stopping at the first match gives the
 * v1 "later rules override earlier ones" order. An allow rule matches when
 * it grants every requested access bit, a deny rule when it takes away any
 * of them (so "deny w" refuses an open for read+write). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/cgroup-internal.h"

#define INSN(c, d, s, o, i)                                                                                  \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o)	   INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_K(op, d, i)	   INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV_X(d, s)	   INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, i)	   INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JMP_K(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define EXIT()		   INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_mask(const char *access)
{
	int m = 0;
	for (const char *p = access ? access : "rwm"; *p; p++)
		m |= *p == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *p == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *p == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return m;
}

int volt_cg_device_prog(const struct oci_device_rule *rules, size_t n, struct bpf_insn *insns, size_t cap)
{
	size_t k = 0;
#define EMIT(x)                                                                                              \
	do {                                                                                                 \
		if (k >= cap) {                                                                              \
			errno = E2BIG;                                                                       \
			return -1;                                                                           \
		}                                                                                            \
		insns[k++] = (x);                                                                            \
	} while (0)

	EMIT(LDX_W(BPF_REG_2, BPF_REG_1, (short)offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	EMIT(ALU_K(BPF_AND, BPF_REG_2, 0xffff));
	EMIT(LDX_W(BPF_REG_3, BPF_REG_1, (short)offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	EMIT(ALU_K(BPF_RSH, BPF_REG_3, 16));
	EMIT(LDX_W(BPF_REG_4, BPF_REG_1, (short)offsetof(struct bpf_cgroup_dev_ctx, major)));
	EMIT(LDX_W(BPF_REG_5, BPF_REG_1, (short)offsetof(struct bpf_cgroup_dev_ctx, minor)));

	for (size_t i = n; i-- > 0;) {
		const struct oci_device_rule *r = &rules[i];
		int acc = access_mask(r->access);
		if (acc == 0)
			continue; /* grants or takes nothing */
		bool all_acc = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
		/* the number of tests decides the jump distances to the next rule */
		int tests = (r->type != 'a') + (r->major >= 0) + (r->minor >= 0) + (all_acc ? 0 : 1);
		int len = tests + (all_acc ? 0 : 2) + 2; /* + access scratch moves + return */
		int left = len;				 /* instructions of this block not yet emitted */
		if (r->type != 'a') {
			left--;
			EMIT(JMP_K(BPF_JNE, BPF_REG_2,
				   r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, (short)left));
		}
		if (!all_acc) {
			EMIT(MOV_X(BPF_REG_1, BPF_REG_3));
			EMIT(ALU_K(BPF_AND, BPF_REG_1, acc));
			left -= 3;
			if (r->allow) /* every requested bit granted */
				EMIT(INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, (short)left, 0));
			else /* any requested bit taken away */
				EMIT(JMP_K(BPF_JEQ, BPF_REG_1, 0, (short)left));
		}
		if (r->major >= 0) {
			left--;
			EMIT(JMP_K(BPF_JNE, BPF_REG_4, (int)r->major, (short)left));
		}
		if (r->minor >= 0) {
			left--;
			EMIT(JMP_K(BPF_JNE, BPF_REG_5, (int)r->minor, (short)left));
		}
		EMIT(MOV_K(BPF_REG_0, r->allow ? 1 : 0));
		EMIT(EXIT());
		if (tests == 0) /* matches everything: the rest is unreachable, which the verifier refuses */
			return (int)k;
	}
	EMIT(MOV_K(BPF_REG_0, 0));
	EMIT(EXIT());
#undef EMIT
	return (int)k;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int volt_cg_v2_devices(const struct volt_cg_dir *d, const struct oci_resources *r, struct volt_error *err)
{
	if (d->cg->fake)
		return 0; /* no kernel behind a fake tree: the generator has its own tests */
	_cleanup_free_ struct oci_device_rule *rules = NULL;
	size_t n = 0;
	if (volt_cg_device_rules(r, &rules, &n) < 0)
		return volt_err(err, ENOMEM, "%s.devices", d->where);
	size_t cap = 8 + n * 8;
	_cleanup_free_ struct bpf_insn *insns = calloc(cap, sizeof *insns);
	if (!insns)
		return volt_err(err, ENOMEM, "%s.devices", d->where);
	int cnt = volt_cg_device_prog(rules, n, insns, cap);
	if (cnt < 0)
		return volt_err(err, errno, "%s.devices: build the eBPF device program", d->where);

	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	_cleanup_close_ int prog = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0) {
		/* again with the verifier's log, for the message only */
		int e = errno;
		_cleanup_free_ char *log = calloc(1, 65536);
		if (log) {
			attr.log_buf = (uint64_t)(uintptr_t)log;
			attr.log_size = 65536;
			attr.log_level = 1;
			int fd = sys_bpf(BPF_PROG_LOAD, &attr);
			if (fd >= 0)
				close(fd);
		}
		const char *last = log ? strrchr(log, '\n') : NULL;
		while (last && last > log && last[-1] != '\n')
			last--; /* the last full line says why */
		return volt_err(err, e, "%s.devices: load the eBPF device program%s%.200s%s", d->where,
				log && log[0] ? " (verifier: " : "", log && log[0] ? (last ? last : log) : "",
				log && log[0] ? ")" : "");
	}

	char path[1024];
	if (volt_cg_leaf_path(d->cg, d->h, NULL, path, sizeof path) < 0)
		return volt_err(err, ENAMETOOLONG, "%s.devices: cgroup %s", d->where, d->cg->path);
	_cleanup_close_ int cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return volt_err(err, errno, "%s.devices: open %s", d->where, path);
	/* Without BPF_F_ALLOW_MULTI a second attach (update) replaces the
	 * program; the attachment keeps it alive after our fds close. */
	memset(&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return volt_err(err, errno, "%s.devices: attach the eBPF device program to %s", d->where,
				path);
	return 0;
}
