/* `volt-run security inspect ID`: what really applies to the init. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/inspect.h"
#include "security-json.h"

enum { SHOW_SECCOMP = 1, SHOW_LANDLOCK = 2, SHOW_CAPS = 4, SHOW_NS = 8, SHOW_ALL = 15 };

static const char *seccomp_mode(int m)
{
	return m == 0 ? "disabled" : m == 1 ? "strict" : m == 2 ? "filter" : "unknown";
}

static const struct oci_landlock *landlock_of(const struct volt_inspect *in)
{
	return in->config && in->config->process.landlock.present ? &in->config->process.landlock : NULL;
}

static const struct oci_seccomp *seccomp_of(const struct volt_inspect *in)
{
	return in->config && in->config->linux.seccomp.present ? &in->config->linux.seccomp : NULL;
}

static const struct {
	const char *name;
	size_t off;
} cap_sets[] = {
    {"effective", offsetof(struct volt_proc_sec, cap_eff)},
    {"permitted", offsetof(struct volt_proc_sec, cap_prm)},
    {"inheritable", offsetof(struct volt_proc_sec, cap_inh)},
    {"bounding", offsetof(struct volt_proc_sec, cap_bnd)},
    {"ambient", offsetof(struct volt_proc_sec, cap_amb)},
};

static uint64_t cap_set(const struct volt_inspect *in, size_t i)
{
	uint64_t v;
	memcpy(&v, (const char *)&in->proc + cap_sets[i].off, sizeof v);
	return v;
}

static void text_idmap(const char *name, const struct volt_idmaps *m)
{
	printf("  %-8s", name);
	if (!m->n)
		printf(" (none)");
	for (size_t i = 0; i < m->n; i++)
		printf(" %u %u %u%s", m->v[i].container_id, m->v[i].host_id, m->v[i].size,
		       i + 1 < m->n ? ";" : "");
	putchar('\n');
}

static void print_text(const char *id, const struct volt_inspect *in, int show)
{
	char buf[2048];
	printf("container %s (pid %d)\n", id, in->pid);
	printf("NoNewPrivs: %d\n", in->proc.no_new_privs);
	if (show & SHOW_SECCOMP) {
		const struct oci_seccomp *s = seccomp_of(in);
		printf("seccomp:\n");
		printf("  mode:          %s (%d)\n", seccomp_mode(in->proc.seccomp), in->proc.seccomp);
		printf("  filters:       %d\n", in->proc.seccomp_filters);
		printf("  profile:       %s\n", in->seccomp_profile ? in->seccomp_profile : "(none)");
		if (s)
			printf("  config:        defaultAction %s, %zu rules\n",
			       s->default_action ? s->default_action : "?", s->n_syscalls);
		else
			printf("  config:        (none: only the runtime's guard filter)\n");
	}
	if (show & SHOW_LANDLOCK) {
		const struct oci_landlock *l = landlock_of(in);
		printf("landlock:\n");
		printf("  profile:       %s\n", in->landlock_profile ? in->landlock_profile : "(none)");
		if (!l) {
			printf("  ruleset:       (none)\n");
		} else {
			volt_landlock_fs_names(l->handled_access_fs, buf, sizeof buf);
			printf("  handled fs:    %s\n", buf[0] ? buf : "(none)");
			volt_landlock_net_names(l->handled_access_net, buf, sizeof buf);
			printf("  handled net:   %s\n", buf[0] ? buf : "(none)");
			printf("  best effort:   %s\n", l->enable_best_effort ? "yes" : "no");
			for (size_t i = 0; i < l->n_path_beneath; i++) {
				volt_landlock_fs_names(l->path_beneath[i].allowed_access, buf, sizeof buf);
				printf("  rule path:     [%s]", buf);
				for (size_t k = 0; k < l->path_beneath[i].paths.n; k++)
					printf(" %s", l->path_beneath[i].paths.v[k]);
				putchar('\n');
			}
			for (size_t i = 0; i < l->n_network_port; i++) {
				volt_landlock_net_names(l->network_port[i].allowed_access, buf, sizeof buf);
				printf("  rule port:     [%s]", buf);
				for (size_t k = 0; k < l->network_port[i].n_ports; k++)
					printf(" %llu", (unsigned long long)l->network_port[i].ports[k]);
				putchar('\n');
			}
		}
	}
	if (show & SHOW_CAPS) {
		printf("capabilities:\n");
		if (in->caps_profile)
			printf("  profile:       %s\n", in->caps_profile);
		for (size_t i = 0; i < sizeof cap_sets / sizeof cap_sets[0]; i++) {
			uint64_t m = cap_set(in, i);
			volt_cap_mask_names(m, buf, sizeof buf);
			printf("  %-12s   %016llx %s\n", cap_sets[i].name, (unsigned long long)m,
			       buf[0] ? buf : "(none)");
		}
	}
	if (show & SHOW_NS) {
		printf("namespaces:\n");
		for (size_t i = 0; i < VOLT_INSPECT_NS; i++) {
			const struct volt_ns_view *v = &in->ns[i];
			if (v->present)
				printf("  %-8s %-5s %s\n", v->name, v->is_new ? "new" : "host", v->link);
		}
		text_idmap("uid_map", &in->uid_map);
		text_idmap("gid_map", &in->gid_map);
	}
}

static void json_idmap(struct sj *j, const char *k, const struct volt_idmaps *m)
{
	sj_arr(j, k);
	for (size_t i = 0; i < m->n; i++) {
		sj_map(j, NULL);
		sj_int(j, "containerID", m->v[i].container_id);
		sj_int(j, "hostID", m->v[i].host_id);
		sj_int(j, "size", m->v[i].size);
		sj_map_end(j);
	}
	sj_arr_end(j);
}

static void json_landlock(struct sj *j, const struct volt_inspect *in)
{
	const struct oci_landlock *l = landlock_of(in);
	char buf[2048];
	sj_map(j, "landlock");
	sj_str(j, "profile", in->landlock_profile);
	sj_bool(j, "present", l != NULL);
	if (l) {
		volt_landlock_fs_names(l->handled_access_fs, buf, sizeof buf);
		sj_csv(j, "handledAccessFS", buf);
		volt_landlock_net_names(l->handled_access_net, buf, sizeof buf);
		sj_csv(j, "handledAccessNet", buf);
		sj_bool(j, "enableBestEffort", l->enable_best_effort);
		sj_arr(j, "rules");
		for (size_t i = 0; i < l->n_path_beneath; i++) {
			sj_map(j, NULL);
			sj_str(j, "type", "path_beneath");
			volt_landlock_fs_names(l->path_beneath[i].allowed_access, buf, sizeof buf);
			sj_csv(j, "allowedAccess", buf);
			sj_arr(j, "paths");
			for (size_t k = 0; k < l->path_beneath[i].paths.n; k++)
				sj_str(j, NULL, l->path_beneath[i].paths.v[k]);
			sj_arr_end(j);
			sj_map_end(j);
		}
		for (size_t i = 0; i < l->n_network_port; i++) {
			sj_map(j, NULL);
			sj_str(j, "type", "network_port");
			volt_landlock_net_names(l->network_port[i].allowed_access, buf, sizeof buf);
			sj_csv(j, "allowedAccess", buf);
			sj_arr(j, "ports");
			for (size_t k = 0; k < l->network_port[i].n_ports; k++)
				sj_int(j, NULL, (long long)l->network_port[i].ports[k]);
			sj_arr_end(j);
			sj_map_end(j);
		}
		sj_arr_end(j);
	}
	sj_map_end(j);
}

static int print_json(const char *id, const struct volt_inspect *in, int show)
{
	struct sj j;
	if (!sj_init(&j))
		return 1;
	char buf[2048];
	sj_map(&j, NULL);
	sj_str(&j, "id", id);
	sj_int(&j, "pid", in->pid);
	sj_int(&j, "noNewPrivs", in->proc.no_new_privs);
	if (show & SHOW_SECCOMP) {
		const struct oci_seccomp *s = seccomp_of(in);
		sj_map(&j, "seccomp");
		sj_str(&j, "mode", seccomp_mode(in->proc.seccomp));
		sj_int(&j, "filters", in->proc.seccomp_filters);
		sj_str(&j, "profile", in->seccomp_profile);
		sj_bool(&j, "configured", s != NULL);
		sj_str(&j, "defaultAction", s ? s->default_action : NULL);
		sj_int(&j, "rules", s ? (long long)s->n_syscalls : 0);
		sj_map_end(&j);
	}
	if (show & SHOW_LANDLOCK)
		json_landlock(&j, in);
	if (show & SHOW_CAPS) {
		sj_map(&j, "capabilities");
		sj_str(&j, "profile", in->caps_profile);
		for (size_t i = 0; i < sizeof cap_sets / sizeof cap_sets[0]; i++) {
			volt_cap_mask_names(cap_set(in, i), buf, sizeof buf);
			sj_csv(&j, cap_sets[i].name, buf);
		}
		sj_map_end(&j);
	}
	if (show & SHOW_NS) {
		sj_map(&j, "namespaces");
		for (size_t i = 0; i < VOLT_INSPECT_NS; i++) {
			const struct volt_ns_view *v = &in->ns[i];
			if (!v->present)
				continue;
			sj_map(&j, v->name);
			sj_str(&j, "state", v->is_new ? "new" : "host");
			sj_str(&j, "link", v->link);
			sj_map_end(&j);
		}
		json_idmap(&j, "uidMappings", &in->uid_map);
		json_idmap(&j, "gidMappings", &in->gid_map);
		sj_map_end(&j);
	}
	sj_map_end(&j);
	return sj_finish(&j);
}

int cli_security_inspect(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seccomp", no_argument, NULL, 's'},      {"landlock", no_argument, NULL, 'l'},
	    {"capabilities", no_argument, NULL, 'c'}, {"namespaces", no_argument, NULL, 'n'},
	    {"all", no_argument, NULL, 'a'},	      {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	int show = 0, ch;
	bool json = false;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			show |= SHOW_SECCOMP;
			break;
		case 'l':
			show |= SHOW_LANDLOCK;
			break;
		case 'c':
			show |= SHOW_CAPS;
			break;
		case 'n':
			show |= SHOW_NS;
			break;
		case 'a':
			show |= SHOW_ALL;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") != 0)
				return cli_usage_error(ctx, &cmd_security,
						       "--format: text or json, not \"%s\"", optarg);
			break;
		case 'h':
			return cli_help(&cmd_security);
		default:
			return cli_usage_error(ctx, &cmd_security, "security inspect: invalid option");
		}
	}
	if (!cli_want_args(ctx, &cmd_security, argc, argv, 1, 1))
		return 1;
	const char *id = argv[optind];
	struct volt_inspect in;
	struct volt_error err = {0};
	if (volt_inspect_gather(ctx, id, &in, &err) < 0)
		return cli_fail(ctx, &err);
	if (!show)
		show = SHOW_ALL;
	int r = 0;
	if (json)
		r = print_json(id, &in, show);
	else
		print_text(id, &in, show);
	volt_inspect_release(&in);
	return r;
}
