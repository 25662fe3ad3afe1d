/* Raw BPF for the guard: libseccomp would cost milliseconds per start for
 * a dozen comparisons. The tables are checked against libseccomp by
 * tests/unit/test-seccomp.c. */
#include "seccomp-guard.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE	(-1)
#define X32_BIT 0x40000000u

/* Per guarded name, its syscalls; a name may stand for a family (the new
 * mount API is mount by other means, i386 umount is umount2's old form). */
struct guard_call {
	int name; /* index into names[] */
	int x86_64, i386, x32, aarch64;
};

static const char *const names[] = {
    "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
    "swapon",	  "swapoff",	     "mount",  "umount2",     "ptrace",	      "open_by_handle_at",
    NULL,
};

static const struct guard_call calls[] = {
    {0, 246, 283, 528, 104},   /* kexec_load */
    {1, 320, NONE, 320, 294},  /* kexec_file_load */
    {2, 169, 88, 169, 142},    /* reboot */
    {3, 175, 128, 175, 105},   /* init_module */
    {4, 313, 350, 313, 273},   /* finit_module */
    {5, 176, 129, 176, 106},   /* delete_module */
    {6, 167, 87, 167, 224},    /* swapon */
    {7, 168, 115, 168, 225},   /* swapoff */
    {8, 165, 21, 165, 40},     /* mount */
    {8, 430, 430, 430, 430},   /* fsopen */
    {8, 432, 432, 432, 432},   /* fsmount */
    {8, 433, 433, 433, 433},   /* fspick */
    {8, 429, 429, 429, 429},   /* move_mount */
    {8, 442, 442, 442, 442},   /* mount_setattr */
    {9, 166, 52, 166, 39},     /* umount2 */
    {9, NONE, 22, NONE, NONE}, /* umount (i386) */
    {10, 101, 26, 521, 117},   /* ptrace */
    {11, 304, 342, 304, 265},  /* open_by_handle_at */
};
#define N_CALLS (sizeof calls / sizeof calls[0])

const char *const *volt_guard_names(void)
{
	return names;
}

static int name_index(const char *s, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int volt_guard_parse_allow(const struct oci_map *annotations, uint32_t *allow, struct volt_error *err)
{
	*allow = 0;
	const char *v = oci_map_get(annotations, VOLT_ANN_SECCOMP_ALLOW);
	if (!v)
		return 0;
	const char *p = v;
	while (*p) {
		size_t len = strcspn(p, ", ");
		if (len) {
			int i = name_index(p, len);
			if (i < 0)
				return volt_err(
				    err, -EINVAL,
				    "annotations." VOLT_ANN_SECCOMP_ALLOW
				    ": \"%.*s\" is not a guarded syscall "
				    "(kexec_load, kexec_file_load, reboot, init_module, finit_module, "
				    "delete_module, swapon, swapoff, mount, umount2, ptrace, "
				    "open_by_handle_at)",
				    (int)len, p);
			*allow |= 1u << i;
		}
		p += len;
		p += strspn(p, ", ");
	}
	return 0;
}

int volt_guard_allow_warning(const struct oci_map *annotations, char *buf, size_t len, struct volt_error *err)
{
	uint32_t allow;
	if (len)
		buf[0] = '\0';
	if (volt_guard_parse_allow(annotations, &allow, err) < 0)
		return -1;
	if (!allow)
		return 0;
	int n = snprintf(buf, len, "seccomp guard: " VOLT_ANN_SECCOMP_ALLOW " re-allows");
	const char *sep = " ";
	for (int i = 0; names[i] && n >= 0 && (size_t)n < len; i++)
		if (allow & (1u << i)) {
			n += snprintf(buf + n, len - (size_t)n, "%s%s", sep, names[i]);
			sep = ", ";
		}
	return 1;
}

struct emitter {
	struct sock_filter *f;
	size_t n;
};

static void emit(struct emitter *e, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	e->f[e->n++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

enum abi { ABI_X86_64, ABI_I386, ABI_X32, ABI_AARCH64 };

static int nr_of(const struct guard_call *c, enum abi a)
{
	switch (a) {
	case ABI_X86_64:
		return c->x86_64;
	case ABI_I386:
		return c->i386;
	case ABI_X32:
		return c->x32 == NONE ? NONE : (int)(X32_BIT | (uint32_t)c->x32);
	case ABI_AARCH64:
		return c->aarch64;
	}
	return NONE;
}

/* Comparisons on the syscall number already loaded, then ALLOW, then
 * ERRNO(EPERM) which every match jumps to. */
static void emit_checks(struct emitter *e, enum abi a, uint32_t allow)
{
	size_t n = 0;
	for (size_t i = 0; i < N_CALLS; i++)
		if (!(allow & (1u << calls[i].name)) && nr_of(&calls[i], a) != NONE)
			n++;
	size_t left = n;
	for (size_t i = 0; i < N_CALLS; i++) {
		int nr = nr_of(&calls[i], a);
		if ((allow & (1u << calls[i].name)) || nr == NONE)
			continue;
		left--;
		/* Jump over the remaining checks and the ALLOW to the ERRNO. */
		emit(e, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, (uint8_t)(left + 1), 0);
	}
	emit(e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	emit(e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA), 0, 0);
}

#define LD_ARCH() emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0)
#define LD_NR()	  emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0)

int volt_guard_build(uint32_t allow, struct sock_fprog *prog, struct volt_error *err)
{
	/* Generous bound: 3 sections of at most N_CALLS checks plus framing. */
	struct emitter e = {.f = calloc(3 * N_CALLS + 16, sizeof(struct sock_filter))};
	if (!e.f)
		return volt_err(err, -ENOMEM, "seccomp guard");
#if defined(__x86_64__)
	LD_ARCH();
	size_t to_foreign = e.n;
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0); /* jf fixed below */
	LD_NR();
	size_t to_x32 = e.n;
	emit(&e, BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 0); /* jt fixed below */
	emit_checks(&e, ABI_X86_64, allow);
	e.f[to_x32].jt = (uint8_t)(e.n - to_x32 - 1);
	emit_checks(&e, ABI_X32, allow);
	e.f[to_foreign].jf = (uint8_t)(e.n - to_foreign - 1);
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 0); /* jf fixed below */
	size_t to_kill = e.n - 1;
	LD_NR();
	emit_checks(&e, ABI_I386, allow);
	e.f[to_kill].jf = (uint8_t)(e.n - to_kill - 1);
	/* No other arch can enter this kernel from an x86-64 task. */
	emit(&e, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#elif defined(__aarch64__)
	LD_ARCH();
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 0);
	size_t to_kill = e.n - 1;
	LD_NR();
	emit_checks(&e, ABI_AARCH64, allow);
	e.f[to_kill].jf = (uint8_t)(e.n - to_kill - 1);
	/* 32-bit ARM tasks would bypass the table: the guard does not allow them. */
	emit(&e, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#else
#error "seccomp guard: add this architecture's syscall numbers"
#endif
	prog->filter = e.f;
	prog->len = (unsigned short)e.n;
	return 0;
}
