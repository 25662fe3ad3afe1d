/* linux.seccomp compiled to classic BPF with libseccomp, and loaded with the
 * seccomp(2) syscall itself so the flags of the config reach the kernel. */
#ifndef VOLT_RUNTIME_SECCOMP_H
#define VOLT_RUNTIME_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"

#define VOLT_ANN_SECCOMP_AUDIT "org.volt.seccomp.audit"

struct volt_seccomp_compile_opts {
	/* Audit mode: deny actions (ERRNO, KILL*, TRAP) become NOTIFY so an
	 * agent can log them and let them continue. */
	bool audit;
	/* In audit mode, the socket the listener fd is handed over on: sendmsg
	 * on it stays allowed so the handover cannot wait on its own agent. */
	int handoff_fd;
};

struct volt_seccomp_filter {
	struct sock_fprog prog; /* malloc'd filter; len 0 when none */
	unsigned int flags;	/* SECCOMP_FILTER_FLAG_* */
	bool notify;		/* some action is NOTIFY: load with a listener */
};

/* Compile s. Errors name the linux.seccomp field; syscall names this
 * libseccomp does not know are skipped, as runc and crun do. */
int volt_seccomp_compile(const struct oci_seccomp *s, const struct volt_seccomp_compile_opts *o,
			 struct volt_seccomp_filter *out, struct volt_error *err);
void volt_seccomp_filter_release(struct volt_seccomp_filter *f);

/* linux.seccomp.flags to SECCOMP_FILTER_FLAG_* bits. */
int volt_seccomp_parse_flags(const struct oci_strv *flags, unsigned int *out, struct volt_error *err);

/* seccomp(SECCOMP_SET_MODE_FILTER). Returns the listener fd (>= 0) when
 * flags has SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0; -1 on error. what
 * names the filter in the message. */
int volt_seccomp_load(const struct sock_fprog *prog, unsigned int flags, const char *what,
		      struct volt_error *err);

/* org.volt.seccomp.audit=true in the annotations. */
bool volt_seccomp_audit_requested(const struct oci_map *annotations);

/* What `features` reports: NULL-terminated lists of the OCI names supported. */
const char *const *volt_seccomp_actions(void);
const char *const *volt_seccomp_operators(void);
const char *const *volt_seccomp_archs(void);
const char *const *volt_seccomp_flag_names(void);

#endif
