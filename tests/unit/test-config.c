/* config.json parser: a full config, the error paths, number limits,
 * standalone process/resources, the default spec and the parse speed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "oci/config.h"
#include "oci/spec.h"
#include "tap.h"

/* JSON written with single quotes reads better in C; swap them for double. */
static char *q(const char *s)
{
	char *r = strdup(s);
	for (char *p = r; *p; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

static const char full_config[] =
    "{'ociVersion':'1.2.0','future':{'x':[1,2,{'y':null}]},"
    "'root':{'path':'rootfs','readonly':true},"
    "'process':{'terminal':true,'consoleSize':{'height':25,'width':80},"
    " 'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,10,4294967295],'username':'u'},"
    " 'args':['/bin/sh','-c','echo hi'],'env':['PATH=/bin','TERM=xterm'],'cwd':'/home/u',"
    " 'capabilities':{'bounding':['CAP_KILL','CAP_CHOWN'],'effective':['CAP_KILL'],'permitted':[],"
    "   'ambient':['CAP_KILL']},"
    " 'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':512},"
    "   {'type':'RLIMIT_CORE','hard':18446744073709551615,'soft':0}],"
    " 'noNewPrivileges':true,'apparmorProfile':'prof','oomScoreAdj':-500,'selinuxLabel':'lbl',"
    " 'ioPriority':{'class':'IOPRIO_CLASS_IDLE'}},"
    "'hostname':'box','domainname':'example.org',"
    "'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
    " {'destination':'/data','type':'bind','source':'/srv/data','options':['rbind','ro']},"
    " {'destination':'relative/dir','type':'tmpfs','source':'tmpfs'}],"
    "'hooks':{'prestart':[{'path':'/bin/pre'}],"
    " 'createRuntime':[{'path':'/bin/cr','args':['cr','a'],'env':['A=1'],'timeout':5},{'path':'/bin/cr2'}],"
    " 'createContainer':[{'path':'/bin/cc'}],'startContainer':[{'path':'/bin/sc'}],"
    " 'poststart':[{'path':'/bin/ps'}],'poststop':[{'path':'/bin/pst','timeout':1}]},"
    "'annotations':{'io.volt.a':'1','b':'two'},"
    "'linux':{"
    " 'namespaces':[{'type':'pid'},{'type':'network','path':'/run/netns/x'},{'type':'mount'},"
    "   {'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},{'type':'time'}],"
    " 'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
    " 'gidMappings':[{'containerID':0,'hostID':200000,'size':1},{'containerID':1,'hostID':300000,'size':9}],"
    " 'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0},"
    "   {'path':'/dev/fifo','type':'p'}],"
    " 'cgroupsPath':'/volt/test',"
    " 'resources':{"
    "   "
    "'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':10,'minor':229,'access':'rw'}"
    "],"
    "   'memory':{'limit':536870912,'reservation':1024,'swap':-1,'kernel':-1,'kernelTCP':4096,"
    "     'swappiness':60,'disableOOMKiller':true,'useHierarchy':false,'checkBeforeUpdate':true},"
    "   'cpu':{'shares':1024,'quota':-1,'burst':100,'period':100000,'realtimeRuntime':950000,"
    "     'realtimePeriod':1000000,'cpus':'0-3','mems':'0','idle':1},"
    "   'pids':{'limit':-1},"
    "   'blockIO':{'weight':500,'leafWeight':300,"
    "     'weightDevice':[{'major':8,'minor':0,'weight':600},{'major':8,'minor':16,'leafWeight':50}],"
    "     'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],"
    "     'throttleWriteBpsDevice':[{'major':8,'minor':0,'rate':2097152}],"
    "     'throttleReadIOPSDevice':[{'major':8,'minor':0,'rate':100}],"
    "     "
    "'throttleWriteIOPSDevice':[{'major':8,'minor':0,'rate':200},{'major':8,'minor':1,'rate':"
    "18446744073709551615}]},"
    "   'hugepageLimits':[{'pageSize':'2MB','limit':18446744073709551615}],"
    "   'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500}]},"
    "   'unified':{'memory.high':'max','io.weight':'default 100'},"
    "   'rdma':{'mlx':{'hcaHandles':1}}},"
    " 'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096'},"
    " 'rootfsPropagation':'rslave',"
    " 'maskedPaths':['/proc/kcore','/sys/firmware'],'readonlyPaths':['/proc/sys'],"
    " 'mountLabel':'ml',"
    " 'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
    "   'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
    "   'listenerPath':'/run/seccomp.sock','listenerMetadata':'meta',"
    "   'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
    "     "
    "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'},"
    "       {'index':1,'value':18446744073709551615,'valueTwo':4,'op':'SCMP_CMP_MASKED_EQ'}]},"
    "     {'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]},"
    " 'timeOffsets':{'monotonic':{'secs':-3600,'nanosecs':5},'boottime':{'secs':86400,'nanosecs':0}},"
    " 'personality':{'domain':'LINUX32','flags':[]},"
    " 'intelRdt':{'closID':'x'}}}";

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void test_full(void)
{
	char *json = q(full_config);
	struct volt_error err = {0};
	_cleanup_config_ struct oci_config *c = NULL;
	int r = oci_config_parse(json, strlen(json), &c, &err);
	free(json);
	if (!checkf(r == 0 && c, "full config parses (%s)", r == 0 ? "ok" : err.msg))
		return;
	check(streq(c->oci_version, "1.2.0") && streq(c->root.path, "rootfs") && c->root.readonly,
	      "version and root");
	const struct oci_process *p = &c->process;
	check(c->has_process && p->terminal && p->has_console_size && p->console_height == 25 &&
		  p->console_width == 80,
	      "terminal and consoleSize");
	check(p->user.uid == 1000 && p->user.gid == 1001 && p->user.has_umask && p->user.umask == 18 &&
		  p->user.n_additional_gids == 3 && p->user.additional_gids[2] == UINT32_MAX &&
		  streq(p->user.username, "u"),
	      "user");
	check(p->args.n == 3 && streq(p->args.v[2], "echo hi") && p->args.v[3] == NULL && p->env.n == 2 &&
		  streq(p->env.v[1], "TERM=xterm") && streq(p->cwd, "/home/u"),
	      "args, env, cwd");
	const struct oci_capabilities *cp = &p->capabilities;
	check(cp->present && cp->has_bounding && cp->bounding.n == 2 &&
		  streq(cp->bounding.v[1], "CAP_CHOWN") && cp->has_permitted && cp->permitted.n == 0 &&
		  !cp->has_inheritable && cp->has_ambient,
	      "capabilities");
	check(p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 512 &&
		  p->rlimits[0].hard == 1024 && p->rlimits[1].resource == RLIMIT_CORE &&
		  p->rlimits[1].hard == UINT64_MAX,
	      "rlimits");
	check(p->no_new_privileges && streq(p->apparmor_profile, "prof") && p->has_oom_score_adj &&
		  p->oom_score_adj == -500 && streq(p->selinux_label, "lbl"),
	      "nnp, apparmor, oomScoreAdj, selinux");
	check(streq(c->hostname, "box") && streq(c->domainname, "example.org"), "hostname, domainname");
	check(c->n_mounts == 3 && streq(c->mounts[1].source, "/srv/data") && c->mounts[1].options.n == 2 &&
		  c->mounts[0].options.n == 0 && streq(c->mounts[2].destination, "/relative/dir"),
	      "mounts (relative destination made absolute)");
	const struct oci_hook_list *h = c->hooks;
	check(h[OCI_HOOK_PRESTART].n == 1 && h[OCI_HOOK_CREATE_RUNTIME].n == 2 &&
		  h[OCI_HOOK_CREATE_RUNTIME].v[0].has_timeout &&
		  h[OCI_HOOK_CREATE_RUNTIME].v[0].timeout == 5 &&
		  streq(h[OCI_HOOK_CREATE_RUNTIME].v[0].args.v[1], "a") &&
		  !h[OCI_HOOK_CREATE_RUNTIME].v[1].has_timeout && h[OCI_HOOK_CREATE_CONTAINER].n == 1 &&
		  h[OCI_HOOK_START_CONTAINER].n == 1 && h[OCI_HOOK_POSTSTART].n == 1 &&
		  streq(h[OCI_HOOK_POSTSTOP].v[0].path, "/bin/pst"),
	      "hooks of all six kinds");
	check(c->annotations.n == 2 && streq(oci_map_get(&c->annotations, "io.volt.a"), "1") &&
		  oci_map_get(&c->annotations, "zzz") == NULL,
	      "annotations");

	const struct oci_linux *l = &c->linux;
	const struct oci_namespace *net = oci_config_namespace(c, OCI_NS_NETWORK);
	check(c->has_linux && l->n_namespaces == 8 && net && streq(net->path, "/run/netns/x") &&
		  oci_config_namespace(c, OCI_NS_TIME) && !oci_config_namespace(c, OCI_NS_PID)->path,
	      "namespaces");
	check(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000 &&
		  l->uid_mappings[0].size == 65536 && l->n_gid_mappings == 2 &&
		  l->gid_mappings[1].container_id == 1,
	      "id mappings");
	check(l->n_devices == 2 && l->devices[0].type == 'c' && l->devices[0].major == 10 &&
		  l->devices[0].minor == 229 && l->devices[0].has_file_mode &&
		  l->devices[0].file_mode == 0666 && l->devices[1].type == 'p' && !l->devices[1].has_uid,
	      "devices");
	check(streq(l->cgroups_path, "/volt/test") && streq(l->rootfs_propagation, "rslave") &&
		  streq(oci_map_get(&l->sysctl, "kernel.shmmax"), "4096") && l->masked_paths.n == 2 &&
		  l->readonly_paths.n == 1 && streq(l->mount_label, "ml"),
	      "cgroupsPath, propagation, sysctl, masked/readonly, mountLabel");

	const struct oci_resources *rs = &l->resources;
	check(rs->present && rs->n_devices == 2 && !rs->devices[0].allow && rs->devices[0].type == 'a' &&
		  rs->devices[0].major == -1 && rs->devices[0].minor == -1 && rs->devices[1].type == 'c' &&
		  rs->devices[1].major == 10 && streq(rs->devices[1].access, "rw"),
	      "resources.devices");
	const struct oci_memory *m = &rs->memory;
	check(rs->has_memory && m->limit.set && m->limit.v == 536870912 && m->swap.set && m->swap.v == -1 &&
		  m->kernel_tcp.v == 4096 && m->swappiness.set && m->swappiness.v == 60 &&
		  m->disable_oom_killer.set && m->disable_oom_killer.v && m->use_hierarchy.set &&
		  !m->use_hierarchy.v && m->check_before_update.v,
	      "resources.memory");
	const struct oci_cpu *cpu = &rs->cpu;
	check(rs->has_cpu && cpu->shares.v == 1024 && cpu->quota.set && cpu->quota.v == -1 &&
		  cpu->burst.v == 100 && cpu->period.v == 100000 && cpu->realtime_runtime.v == 950000 &&
		  cpu->realtime_period.v == 1000000 && streq(cpu->cpus, "0-3") && streq(cpu->mems, "0") &&
		  cpu->idle.set && cpu->idle.v == 1,
	      "resources.cpu");
	check(rs->has_pids && rs->pids_limit.set && rs->pids_limit.v == -1, "resources.pids");
	const struct oci_blkio *b = &rs->blkio;
	check(rs->has_blkio && b->weight.v == 500 && b->leaf_weight.v == 300 && b->n_weight_device == 2 &&
		  b->weight_device[0].weight.set && !b->weight_device[0].leaf_weight.set &&
		  b->weight_device[1].leaf_weight.v == 50 && b->n_throttle_read_bps == 1 &&
		  b->throttle_read_bps[0].rate == 1048576 && b->throttle_write_bps[0].rate == 2097152 &&
		  b->throttle_read_iops[0].rate == 100 && b->n_throttle_write_iops == 2 &&
		  b->throttle_write_iops[1].rate == UINT64_MAX,
	      "resources.blockIO");
	check(rs->n_hugepage_limits == 1 && streq(rs->hugepage_limits[0].page_size, "2MB") &&
		  rs->hugepage_limits[0].limit == UINT64_MAX,
	      "resources.hugepageLimits");
	check(rs->has_network && rs->net_class_id.set && rs->net_class_id.v == 1048577 &&
		  rs->n_net_priorities == 1 && streq(rs->net_priorities[0].name, "eth0") &&
		  rs->net_priorities[0].priority == 500 &&
		  streq(oci_map_get(&rs->unified, "io.weight"), "default 100"),
	      "resources.network and unified");

	const struct oci_seccomp *s = &l->seccomp;
	check(s->present && streq(s->default_action, "SCMP_ACT_ERRNO") && s->has_default_errno_ret &&
		  s->default_errno_ret == 1 && s->architectures.n == 2 && s->flags.n == 1 &&
		  streq(s->listener_path, "/run/seccomp.sock") && streq(s->listener_metadata, "meta"),
	      "seccomp header");
	check(s->n_syscalls == 3 && s->syscalls[0].names.n == 2 && s->syscalls[1].n_args == 2 &&
		  s->syscalls[1].args[0].value == 8 && s->syscalls[1].args[1].index == 1 &&
		  s->syscalls[1].args[1].value == UINT64_MAX && s->syscalls[1].args[1].value_two == 4 &&
		  streq(s->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ") && s->syscalls[2].has_errno_ret &&
		  s->syscalls[2].errno_ret == 38 && !s->syscalls[0].has_errno_ret,
	      "seccomp syscalls and args");
	check(l->time_monotonic.set && l->time_monotonic.secs == -3600 && l->time_monotonic.nanosecs == 5 &&
		  l->time_boottime.set && l->time_boottime.secs == 86400,
	      "timeOffsets");
	check(streq(l->personality_domain, "LINUX32"), "personality");
}

/* A minimal valid config with extra top-level members appended: a later
 * duplicate key replaces the earlier one, so each case overrides one part. */
static char *with(const char *extra)
{
	const char *base =
	    "{'ociVersion':'1.0.2-dev','root':{'path':'rootfs'},'process':{'args':['sh'],'cwd':'/'}";
	size_t n = strlen(base) + strlen(extra) + 4;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s}", base, *extra ? "," : "", extra);
	char *r = q(s);
	free(s);
	return r;
}

static void expect_error(const char *json, const char *want)
{
	struct volt_error err = {0};
	struct oci_config *c = NULL;
	int r = oci_config_parse(json, strlen(json), &c, &err);
	if (!checkf(r < 0 && !c && strstr(err.msg, want) && !strchr(err.msg, '\n'), "error \"%s\"", want))
		printf("# got r=%d msg: %s\n", r, err.msg);
	oci_config_free(c);
}

static void expect_error_with(const char *extra, const char *want)
{
	char *json = with(extra);
	expect_error(json, want);
	free(json);
}

static void test_errors(void)
{
	expect_error_with("'process':{'args':'sh','cwd':'/'}", "process.args: expected array of strings");
	expect_error_with("'process':{'args':['sh',1],'cwd':'/'}", "process.args[1]: expected string");
	expect_error_with("'process':{'cwd':'/'}", "process.args: missing required field");
	expect_error_with("'process':{'args':[],'cwd':'/'}", "process.args: must not be empty");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','env':{'A':'1'}}",
			  "process.env: expected array of strings");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','user':{'uid':'0'}}",
			  "process.user.uid: expected unsigned integer");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','user':{'uid':-1}}",
			  "process.user.uid: expected unsigned integer, got -1");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','user':{'gid':4294967296}}",
			  "process.user.gid: value 4294967296 out of range for uint32");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','user':{'uid':1.5}}",
			  "process.user.uid: expected unsigned integer, got 1.5");
	expect_error_with("'process':{'args':['sh'],'cwd':'tmp'}", "process.cwd: must be an absolute path");
	expect_error_with("'process':{'args':['sh']}", "process.cwd: missing required field");
	expect_error_with(
	    "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_X','soft':1,'hard':1}]}",
	    "process.rlimits[0].type: unknown rlimit \"RLIMIT_X\"");
	expect_error_with(
	    "'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
	    "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]}",
	    "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}",
			  "process.rlimits[0].hard: missing required field");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','capabilities':{'bounding':'CAP_KILL'}}",
			  "process.capabilities.bounding: expected array of strings");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','terminal':'yes'}",
			  "process.terminal: expected boolean");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','oomScoreAdj':2000}",
			  "process.oomScoreAdj: must be between");
	expect_error_with("'process':['sh']", "process: expected object");
	expect_error_with(
	    "'mounts':[{'destination':'/a'},{'destination':'/b'},{'destination':'/c'},{'destination':7}]",
	    "mounts[3].destination: expected string");
	expect_error_with("'mounts':[{'type':'tmpfs'}]", "mounts[0].destination: missing required field");
	expect_error_with("'mounts':{}", "mounts: expected array");
	expect_error_with("'mounts':[{'destination':'/a','options':'ro'}]",
			  "mounts[0].options: expected array of strings");
	expect_error_with("'linux':{'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'foo'}]}",
			  "linux.namespaces[2].type: unknown namespace type \"foo\"");
	expect_error_with("'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}",
			  "linux.namespaces[1].type: duplicate namespace type \"pid\"");
	expect_error_with("'linux':{'namespaces':[{'path':'/proc/1/ns/net'}]}",
			  "linux.namespaces[0].type: missing required field");
	expect_error_with("'linux':{'namespaces':'pid'}", "linux.namespaces: expected array");
	expect_error_with("'linux':{'namespaces':[{'type':'net','path':'x'}]}",
			  "unknown namespace type \"net\"");
	expect_error_with("'linux':{'uidMappings':[{'containerID':0,'hostID':-5,'size':1}]}",
			  "linux.uidMappings[0].hostID: expected unsigned integer, got -5");
	expect_error_with("'linux':{'devices':[{'path':'/dev/x','type':'z'}]}",
			  "linux.devices[0].type: unknown device type");
	expect_error_with("'linux':{'devices':[{'path':'/dev/x','type':'c','major':1}]}",
			  "linux.devices[0].minor: missing required field");
	expect_error_with("'linux':{'rootfsPropagation':'bogus'}",
			  "linux.rootfsPropagation: unknown propagation");
	expect_error_with("'linux':{'resources':{'memory':{'limit':'1G'}}}",
			  "linux.resources.memory.limit: expected integer");
	expect_error_with("'linux':{'resources':{'memory':{'limit':18446744073709551615}}}",
			  "linux.resources.memory.limit: value 18446744073709551615 out of range for int64");
	expect_error_with("'linux':{'resources':{'cpu':{'shares':-2}}}",
			  "linux.resources.cpu.shares: expected unsigned integer");
	expect_error_with("'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}",
			  "linux.resources.devices[0].access: invalid access");
	expect_error_with("'linux':{'resources':{'devices':[{'access':'r'}]}}",
			  "linux.resources.devices[0].allow: missing required field");
	expect_error_with(
	    "'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}}}",
	    "linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing required field");
	expect_error_with("'linux':{'resources':{'unified':{'memory.max':1}}}",
			  "linux.resources.unified[\"memory.max\"]: expected string");
	expect_error_with("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOPE'}}",
			  "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"");
	expect_error_with("'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
			  "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'EQ'}]}]}}",
			  "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\"");
	expect_error_with(
	    "'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_LOG'}]}}",
	    "linux.seccomp.syscalls[0].names: missing required field");
	expect_error_with("'linux':{'timeOffsets':{'realtime':{'secs':1}}}",
			  "linux.timeOffsets.realtime: unknown clock");
	expect_error_with("'linux':{'timeOffsets':{'boottime':{'secs':1,'nanosecs':1000000000}}}",
			  "linux.timeOffsets.boottime.nanosecs: must be below");
	expect_error_with("'linux':{'sysctl':{'a':true}}", "linux.sysctl.a: expected string");
	expect_error_with("'linux':{'personality':{'domain':'BSD'}}",
			  "linux.personality.domain: unknown domain");
	expect_error_with("'hooks':{'prestart':[{'path':'/bin/x','timeout':0}]}",
			  "hooks.prestart[0].timeout: must be greater than 0");
	expect_error_with("'hooks':{'poststop':[{'args':['x']}]}",
			  "hooks.poststop[0].path: missing required field");
	expect_error_with("'hooks':{'createRuntime':[{'path':'/x','args':'a'}]}",
			  "hooks.createRuntime[0].args: expected array of strings");
	expect_error_with("'hooks':{'prestart':{'path':'/x'}}", "hooks.prestart: expected array");
	expect_error_with("'hooks':{'prestart':[{'path':'rel'}]}",
			  "hooks.prestart[0].path: must be an absolute path");
	expect_error_with("'annotations':{'a':1}", "annotations.a: expected string");
	expect_error_with("'ociVersion':'2.0.0'", "ociVersion: unsupported version \"2.0.0\"");
	expect_error_with("'ociVersion':'1.4.0'", "ociVersion: unsupported version");
	expect_error_with("'ociVersion':'1.2'", "ociVersion: unsupported version");
	expect_error_with("'ociVersion':1", "ociVersion: expected string");

	char *j = q("{'ociVersion':'1.0.0','process':{'args':['sh'],'cwd':'/'}}");
	expect_error(j, "root: missing required field");
	free(j);
	j = q("{'root':{'path':'r'}}");
	expect_error(j, "ociVersion: missing required field");
	free(j);
	j = q("{'ociVersion':'1.0.0','root':{'readonly':true}}");
	expect_error(j, "root.path: missing required field");
	free(j);
	j = q("{'ociVersion':'1.0.0','root':{'path':'r'},\n'process': {'args': [\n'sh' 'x']}}");
	expect_error(j, "config.json: invalid JSON: ");
	free(j);
	expect_error("", "config.json: invalid JSON: ");
	expect_error("[1,2]", "config.json: expected a JSON object");
	expect_error("{\"ociVersion\":\"1.0.0\"", "config.json: invalid JSON: ");

	/* An embedded NUL would silently cut the document short. */
	const char nul[] = "{\"ociVersion\":\"1.0.0\"}\0junk";
	struct volt_error err = {0};
	struct oci_config *c = NULL;
	check(oci_config_parse(nul, sizeof nul - 1, &c, &err) < 0 && strstr(err.msg, "NUL"),
	      "embedded NUL rejected");
	oci_config_free(c);
}

static void test_lenient(void)
{
	/* Unknown fields everywhere, null for absent, no user, no linux, ociVersion suffixes. */
	const char *versions[] = {"1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.3.0", "1.3.7+dev"};
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		char extra[256];
		snprintf(
		    extra, sizeof extra,
		    "'ociVersion':'%s','vm':{'hypervisor':{}},'hostname':null,"
		    "'process':{'args':['sh'],'cwd':'/','user':null,'scheduler':{'policy':'SCHED_OTHER'},"
		    "'futureField':[{}]},'linux':{'memoryPolicy':{'mode':'x'},'netDevices':{'eth0':{}}}",
		    versions[i]);
		char *json = with(extra);
		struct volt_error err = {0};
		_cleanup_config_ struct oci_config *c = NULL;
		int r = oci_config_parse(json, strlen(json), &c, &err);
		checkf(r == 0 && c && c->process.user.uid == 0 && c->process.user.gid == 0 && !c->hostname &&
			   c->has_linux && c->linux.n_namespaces == 0 && !c->linux.resources.present &&
			   !c->linux.seccomp.present,
		       "ociVersion %s with unknown fields accepted (%s)", versions[i],
		       r == 0 ? "ok" : err.msg);
		free(json);
	}
	char *json = with("");
	_cleanup_config_ struct oci_config *c = NULL;
	struct volt_error err = {0};
	check(oci_config_parse(json, strlen(json), &c, &err) == 0 && !c->has_linux && c->n_mounts == 0 &&
		  c->hooks[OCI_HOOK_PRESTART].n == 0 && c->annotations.n == 0 && c->process.env.n == 0,
	      "minimal config: absent sections are empty");
	free(json);
}

static void test_u64_limits(void)
{
	char *json =
	    with("'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_AS',"
		 "'soft':18446744073709551615,'hard':18446744073709551615}]},"
		 "'linux':{'resources':{'memory':{'limit':9223372036854775807,'swap':-9223372036854775808,"
		 "'swappiness':18446744073709551615}}}");
	struct volt_error err = {0};
	_cleanup_config_ struct oci_config *c = NULL;
	int r = oci_config_parse(json, strlen(json), &c, &err);
	free(json);
	if (checkf(r == 0, "u64/i64 extremes parse (%s)", r == 0 ? "ok" : err.msg)) {
		check(c->process.rlimits[0].soft == UINT64_MAX && c->process.rlimits[0].hard == UINT64_MAX,
		      "rlimit UINT64_MAX");
		const struct oci_memory *m = &c->linux.resources.memory;
		check(m->limit.v == INT64_MAX && m->swap.v == INT64_MIN && m->swappiness.v == UINT64_MAX,
		      "INT64_MAX, INT64_MIN, UINT64_MAX in resources");
	}
	expect_error_with("'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_AS',"
			  "'soft':18446744073709551616,'hard':1}]}",
			  "process.rlimits[0].soft: value 18446744073709551616 out of range for uint64");
	expect_error_with("'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_AS',"
			  "'soft':-18446744073709551615,'hard':1}]}",
			  "process.rlimits[0].soft: expected unsigned integer");
}

static void test_standalone(void)
{
	struct volt_arena a = {0};
	struct volt_error err = {0};
	struct oci_process p;
	char *j =
	    q("{'args':['ls','-l'],'cwd':'/tmp','env':['A=B'],'user':{'uid':5,'gid':6},'terminal':false}");
	check(oci_process_parse(&a, j, strlen(j), &p, &err) == 0 && p.args.n == 2 && streq(p.cwd, "/tmp") &&
		  p.user.uid == 5 && p.env.n == 1,
	      "oci_process_parse");
	free(j);
	j = q("{'cwd':'/tmp'}");
	check(oci_process_parse(&a, j, strlen(j), &p, &err) < 0 &&
		  strstr(err.msg, "process.args: missing required field"),
	      "oci_process_parse error names the field");
	free(j);
	check(oci_process_parse(&a, "{", 1, &p, &err) < 0 && strstr(err.msg, "invalid JSON"),
	      "oci_process_parse malformed JSON");

	struct oci_resources r;
	j = q(
	    "{'memory':{'limit':1048576,'swap':-1},'cpu':{'quota':50000,'period':100000},'pids':{'limit':64},"
	    "'blockIO':{'weight':100}}");
	check(oci_resources_parse(&a, j, strlen(j), &r, &err) == 0 && r.present &&
		  r.memory.limit.v == 1048576 && r.memory.swap.v == -1 && r.cpu.quota.v == 50000 &&
		  r.pids_limit.v == 64 && r.has_blkio && !r.has_network,
	      "oci_resources_parse");
	free(j);
	j = q("{'pids':{'limit':'many'}}");
	checkf(oci_resources_parse(&a, j, strlen(j), &r, &err) < 0 &&
		   strstr(err.msg, "pids.limit: expected integer"),
	       "oci_resources_parse error names the field (%s)", err.msg);
	free(j);
	volt_arena_free(&a);
}

static void test_names(void)
{
	check(oci_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE &&
		  oci_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME &&
		  oci_rlimit_from_name("NOFILE") == -1 && oci_rlimit_from_name(NULL) == -1,
	      "oci_rlimit_from_name");
	check(streq(oci_ns_name(OCI_NS_NETWORK), "network") && streq(oci_ns_name(OCI_NS_TIME), "time") &&
		  oci_ns_clone_flag(OCI_NS_PID) == CLONE_NEWPID &&
		  oci_ns_clone_flag(OCI_NS_USER) == CLONE_NEWUSER &&
		  oci_ns_clone_flag(OCI_NS_MOUNT) == CLONE_NEWNS && oci_ns_clone_flag(OCI_NS_TIME) == 0x80,
	      "namespace names and clone flags");
	check(streq(oci_hook_kind_name(OCI_HOOK_CREATE_RUNTIME), "createRuntime") &&
		  streq(oci_hook_kind_name(OCI_HOOK_POSTSTOP), "poststop") &&
		  !oci_hook_kind_name(OCI_HOOK__COUNT),
	      "hook kind names");
}

static void test_load(void)
{
	char dir[] = "/tmp/test-config.XXXXXX";
	if (!check(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	char path[128];
	snprintf(path, sizeof path, "%s/config.json", dir);
	char *json = with("'hostname':'loaded'");
	FILE *f = fopen(path, "w");
	fputs(json, f);
	fclose(f);
	free(json);
	struct volt_error err = {0};
	struct oci_config *c = NULL;
	check(oci_config_load(path, &c, &err) == 0 && streq(c->hostname, "loaded"), "oci_config_load");
	oci_config_free(c);
	c = NULL;

	f = fopen(path, "w");
	fputs("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":5}}", f);
	fclose(f);
	checkf(oci_config_load(path, &c, &err) < 0 && strstr(err.msg, path) &&
		   strstr(err.msg, "root.path: expected string"),
	       "load error names file and field (%s)", err.msg);
	f = fopen(path, "w");
	fputs("{oops", f);
	fclose(f);
	checkf(oci_config_load(path, &c, &err) < 0 && strstr(err.msg, "config.json: invalid JSON:") &&
		   strstr(err.msg, dir),
	       "load of malformed JSON names the file (%s)", err.msg);
	unlink(path);
	checkf(oci_config_load(path, &c, &err) < 0 && err.errnum == ENOENT && strstr(err.msg, path) &&
		   strstr(err.msg, strerror(ENOENT)),
	       "missing file: path and errno (%s)", err.msg);
	checkf(oci_config_load(dir, &c, &err) < 0 && strstr(err.msg, dir), "directory rejected (%s)",
	       err.msg);
	rmdir(dir);
}

static void test_spec(bool rootless)
{
	char *json = NULL;
	struct volt_error err = {0};
	if (!checkf(oci_spec_generate(rootless, &json, &err) == 0 && json, "spec generate rootless=%d",
		    rootless))
		return;
	_cleanup_config_ struct oci_config *c = NULL;
	int r = oci_config_parse(json, strlen(json), &c, &err);
	if (checkf(r == 0, "spec rootless=%d parses back (%s)", rootless, r == 0 ? "ok" : err.msg)) {
		const struct oci_process *p = &c->process;
		checkf(streq(c->oci_version, "1.2.0") && streq(p->args.v[0], "sh") && p->terminal &&
			   p->env.n == 2 && streq(p->cwd, "/") && p->capabilities.bounding.n == 3 &&
			   p->n_rlimits == 1 && p->rlimits[0].hard == 1024 && p->no_new_privileges &&
			   streq(c->root.path, "rootfs") && c->root.readonly && streq(c->hostname, "volt") &&
			   c->n_mounts == 7,
		       "spec rootless=%d content", rootless);
		bool has_user = oci_config_namespace(c, OCI_NS_USER) != NULL;
		bool has_net = oci_config_namespace(c, OCI_NS_NETWORK) != NULL;
		const struct oci_mount *sys = &c->mounts[5];
		const struct oci_strv *pts = &c->mounts[2].options;
		bool gid5 = false;
		for (size_t i = 0; i < pts->n; i++)
			gid5 |= streq(pts->v[i], "gid=5");
		if (rootless)
			check(has_user && !has_net && c->linux.n_uid_mappings == 1 &&
				  c->linux.uid_mappings[0].host_id == geteuid() &&
				  c->linux.gid_mappings[0].host_id == getegid() && streq(sys->type, "none") &&
				  streq(sys->options.v[0], "rbind") && !gid5 && !c->linux.resources.present,
			      "rootless spec: userns, mappings, no netns, rbind /sys, no gid=5");
		else
			check(!has_user && has_net && c->linux.n_namespaces == 6 &&
				  streq(sys->type, "sysfs") && gid5 && c->linux.masked_paths.n == 10 &&
				  c->linux.readonly_paths.n == 5 && c->linux.resources.n_devices == 1,
			      "default spec: namespaces, sysfs, masked/readonly paths");
	}
	free(json);
}

/* The budget is for an optimized build; sanitizers slow allocation tenfold. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#if defined(SANITIZED) || !defined(__OPTIMIZE__)
#define PARSE_BUDGET_MS 100.0
#else
#define PARSE_BUDGET_MS 5.0
#endif

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_speed(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	char *start = q(full_config);
	/* Reuse the full config and replace its seccomp syscalls by a large list. */
	len = (size_t)snprintf(buf, cap, "%.*s", (int)(strlen(start) - 2), start);
	free(start);
	len +=
	    (size_t)snprintf(buf + len, cap - len,
			     ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[");
	for (int i = 0; i < 400; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s\"syscall_name_%d\"", i ? "," : "", i);
	len += (size_t)snprintf(buf + len, cap - len, "],\"action\":\"SCMP_ACT_ALLOW\"}]}}}");
	struct volt_error err = {0};
	struct oci_config *c = NULL;
	int r = oci_config_parse(buf, len, &c, &err);
	checkf(r == 0 && c->linux.seccomp.n_syscalls == 1 && c->linux.seccomp.syscalls[0].names.n == 400,
	       "large config (%zu bytes) parses (%s)", len, r == 0 ? "ok" : err.msg);
	oci_config_free(c);

	enum { ROUNDS = 50 };
	double t0 = now_ms();
	for (int i = 0; i < ROUNDS; i++) {
		c = NULL;
		oci_config_parse(buf, len, &c, &err);
		oci_config_free(c);
	}
	double per = (now_ms() - t0) / ROUNDS;
	checkf(per < PARSE_BUDGET_MS, "large config parses in %.3f ms (< %.0f ms)", per, PARSE_BUDGET_MS);
	free(buf);
}

int main(void)
{
	test_full();
	test_errors();
	test_lenient();
	test_u64_limits();
	test_standalone();
	test_names();
	test_load();
	test_spec(false);
	test_spec(true);
	test_speed();
	return tap_done();
}
