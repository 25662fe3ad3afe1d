/* The pure parts of security inspect/audit: capability names, /proc status
 * and uid_map parsing from fixture text, findings and the score. */
#include <stdio.h>
#include <string.h>

#include "oci/cleanup.h"
#include "runtime/inspect.h"
#include "tap.h"

static const char status_fixture[] = "Name:\tvolt-probe\n"
				     "Umask:\t0022\n"
				     "State:\tS (sleeping)\n"
				     "Uid:\t65536\t65536\t65536\t65536\n"
				     "Gid:\t65536\t65536\t65536\t65536\n"
				     "CapInh:\t0000000000000000\n"
				     "CapPrm:\t0000000020200420\n"
				     "CapEff:\t0000000020200420\n"
				     "CapBnd:\t0000000020200420\n"
				     "CapAmb:\t0000000000000000\n"
				     "NoNewPrivs:\t1\n"
				     "Seccomp:\t2\n"
				     "Seccomp_filters:\t3\n"
				     "Speculation_Store_Bypass:\tthread vulnerable\n";

static void caps(void)
{
	check(strcmp(volt_cap_name(0), "CAP_CHOWN") == 0, "cap 0 is CAP_CHOWN");
	check(strcmp(volt_cap_name(21), "CAP_SYS_ADMIN") == 0, "cap 21 is CAP_SYS_ADMIN");
	check(strcmp(volt_cap_name(40), "CAP_CHECKPOINT_RESTORE") == 0, "cap 40 is CAP_CHECKPOINT_RESTORE");
	check(volt_cap_name(41) == NULL, "cap 41 is unknown");
	char buf[256];
	volt_cap_mask_names(0x20000420, buf, sizeof buf);
	check(strcmp(buf, "CAP_KILL,CAP_NET_BIND_SERVICE,CAP_AUDIT_WRITE") == 0, "mask 0x20000420 decodes");
	volt_cap_mask_names(0, buf, sizeof buf);
	check(buf[0] == '\0', "mask 0 decodes to nothing");
	volt_cap_mask_names(1ULL << 45, buf, sizeof buf);
	check(strcmp(buf, "CAP_45") == 0, "an unknown bit is named by number");
	char small[12];
	volt_cap_mask_names(0x20000420, small, sizeof small);
	check(strlen(small) < sizeof small, "a short buffer truncates safely");
	volt_landlock_fs_names(0x7, buf, sizeof buf);
	check(strcmp(buf, "execute,write_file,read_file") == 0, "landlock fs mask decodes");
	volt_landlock_net_names(0x3, buf, sizeof buf);
	check(strcmp(buf, "bind,connect") == 0, "landlock net mask decodes");
}

static void status(void)
{
	struct volt_proc_sec p;
	check(volt_proc_status_parse(status_fixture, &p) == 0, "status fixture parses");
	check(p.seccomp == 2 && p.seccomp_filters == 3 && p.no_new_privs == 1,
	      "Seccomp, filters and NoNewPrivs");
	check(p.uid == 65536 && p.gid == 65536, "real uid/gid");
	check(p.cap_eff == 0x20200420 && p.cap_bnd == 0x20200420 && p.cap_inh == 0 && p.cap_amb == 0,
	      "capability masks");
	check(volt_proc_status_parse("Name:\tx\nSeccomp:\t0\n", &p) < 0, "no Cap lines: refused");
	/* "Seccomp_filters" must not be taken for "Seccomp". */
	check(volt_proc_status_parse("Seccomp_filters:\t4\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n",
				     &p) == 0 &&
		  p.seccomp == -1 && p.seccomp_filters == 4 && p.no_new_privs == -1,
	      "a missing line is -1, prefixes do not match");

	struct volt_idmaps m;
	check(volt_idmap_parse("         0      65536      65536\n", &m) == 0 && m.n == 1 &&
		  m.v[0].container_id == 0 && m.v[0].host_id == 65536 && m.v[0].size == 65536,
	      "uid_map line parses");
	check(volt_idmap_parse("0 1000 1\n1 100000 65536\n", &m) == 0 && m.n == 2 && m.v[1].host_id == 100000,
	      "two uid_map lines");
	check(volt_idmap_parse("", &m) == 0 && m.n == 0, "empty uid_map");
}

static bool has(const struct volt_findings *f, const char *key, enum volt_severity sev)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].check, key) == 0 && f->v[i].severity == sev)
			return true;
	return false;
}

static void set_ns(struct volt_inspect *in, bool all_new)
{
	static const char *const names[VOLT_INSPECT_NS] = {"pid", "net",  "mnt",    "ipc",
							   "uts", "user", "cgroup", "time"};
	for (size_t i = 0; i < VOLT_INSPECT_NS; i++) {
		in->ns[i].name = names[i];
		in->ns[i].present = true;
		in->ns[i].is_new = all_new;
	}
}

static void audit(void)
{
	struct volt_findings f = {0};
	check(volt_audit_score(&f) == 100, "no findings: 100");
	f.n = 3;
	f.v[0].severity = VOLT_SEV_HIGH;
	f.v[1].severity = VOLT_SEV_MEDIUM;
	f.v[2].severity = VOLT_SEV_LOW;
	check(volt_audit_score(&f) == 100 - 15 - 8 - 3, "weights: high 15, medium 8, low 3");
	f.n = 10;
	for (size_t i = 0; i < f.n; i++)
		f.v[i].severity = VOLT_SEV_HIGH;
	check(volt_audit_score(&f) == 0, "the score does not go below 0");

	/* A weak init: host namespaces, no seccomp, CAP_SYS_ADMIN, no limits. */
	struct volt_inspect weak = {0};
	set_ns(&weak, false);
	check(volt_proc_status_parse("Uid:\t0\t0\t0\t0\nCapInh:\t0\nCapPrm:\t200000\nCapEff:\t200000\n"
				     "CapBnd:\t210000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n",
				     &weak.proc) == 0,
	      "weak fixture parses");
	weak.memory = (struct volt_limit){.known = true, .limited = false};
	weak.pids = (struct volt_limit){.known = false};
	struct volt_findings wf;
	volt_audit(&weak, &wf);
	check(has(&wf, "seccomp", VOLT_SEV_HIGH), "weak: no seccomp is high");
	check(has(&wf, "cap_sys_admin", VOLT_SEV_HIGH), "weak: effective CAP_SYS_ADMIN is high");
	check(has(&wf, "cap_sys_module", VOLT_SEV_MEDIUM),
	      "weak: CAP_SYS_MODULE only in bounding is one level lower");
	check(has(&wf, "host_pid", VOLT_SEV_HIGH) && has(&wf, "host_net", VOLT_SEV_HIGH) &&
		  has(&wf, "host_ipc", VOLT_SEV_MEDIUM),
	      "weak: host namespaces");
	check(has(&wf, "no_userns", VOLT_SEV_MEDIUM), "weak: root without a user namespace");
	check(has(&wf, "no_memory_limit", VOLT_SEV_MEDIUM) && has(&wf, "no_pids_limit", VOLT_SEV_LOW),
	      "weak: no memory limit (medium), unknown pids limit (low)");
	check(has(&wf, "no_new_privs", VOLT_SEV_MEDIUM) && has(&wf, "no_landlock", VOLT_SEV_LOW),
	      "weak: NoNewPrivs 0 and no Landlock");

	/* A hardened init: everything new, filters beyond the guard, limits set,
	 * read-only root and a Landlock ruleset in the config. */
	struct volt_inspect hard = {0};
	set_ns(&hard, true);
	check(volt_proc_status_parse("Uid:\t65536\t65536\t65536\t65536\nCapInh:\t0\nCapPrm:\t20000420\n"
				     "CapEff:\t20000420\nCapBnd:\t20000420\nNoNewPrivs:\t1\nSeccomp:\t2\n"
				     "Seccomp_filters:\t2\n",
				     &hard.proc) == 0,
	      "hardened fixture parses");
	hard.memory = (struct volt_limit){.known = true, .limited = true, .value = 1 << 26};
	hard.pids = (struct volt_limit){.known = true, .limited = true, .value = 64};
	static const char cfg[] =
	    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\", \"readonly\": true}, "
	    "\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"landlock\": {\"rules\": "
	    "{\"pathBeneath\": [{\"allowedAccess\": [\"read_file\"], \"paths\": [\"/\"]}]}}}}";
	struct volt_error err;
	if (oci_config_parse(cfg, strlen(cfg), &hard.config, &err) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	check(hard.config != NULL, "hardened config parses");
	struct volt_findings hf;
	volt_audit(&hard, &hf);
	for (size_t i = 0; i < hf.n; i++)
		printf("# hardened finding: %s %s\n", volt_severity_name(hf.v[i].severity), hf.v[i].check);
	check(hf.n == 0, "hardened: no findings");
	check(volt_audit_score(&hf) > volt_audit_score(&wf), "hardened scores higher than weak");

	/* Audit mode by annotation: the filter logs instead of denying. */
	static const char cfg_audit[] =
	    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\", \"readonly\": true}, "
	    "\"annotations\": {\"org.volt.seccomp.audit\": \"true\"}, "
	    "\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"landlock\": {\"rules\": "
	    "{\"pathBeneath\": [{\"allowedAccess\": [\"read_file\"], \"paths\": [\"/\"]}]}}}}";
	struct volt_inspect aud = hard;
	aud.config = NULL;
	if (oci_config_parse(cfg_audit, strlen(cfg_audit), &aud.config, &err) < 0)
		fprintf(stderr, "# %s\n", err.msg);
	struct volt_findings af;
	volt_audit(&aud, &af);
	check(af.n == 1 && has(&af, "seccomp_audit", VOLT_SEV_MEDIUM),
	      "audit mode by annotation: a medium finding, the filter does not count as denying");
	oci_config_free(aud.config);

	/* Only the guard filter and no config seccomp: medium, not high. */
	hard.proc.seccomp_filters = 1;
	volt_audit(&hard, &hf);
	check(hf.n == 1 && has(&hf, "seccomp", VOLT_SEV_MEDIUM), "guard filter only: medium seccomp finding");
	volt_inspect_release(&hard);
}

int main(void)
{
	caps();
	status();
	audit();
	return tap_done();
}
