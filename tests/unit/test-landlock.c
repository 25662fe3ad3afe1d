/* Landlock: process.landlock parsing (names, integer masks, errors with
 * their JSON path, defaults), the ABI downgrade for ABI 0..8, and a real
 * ruleset enforced in forked children (filesystem and TCP bind). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/config.h"
#include "oci/landlock.h"
#include "runtime/landlock-fit.h"
#include "runtime/landlock.h"
#include "tap.h"

/* JSON written with single quotes reads better in C. */
static char *q(const char *s)
{
	char *r = strdup(s);
	for (char *p = r; *p; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

static int parse(struct volt_arena *a, const char *json, struct oci_landlock *l, struct volt_error *err)
{
	char *j = q(json);
	int r = oci_landlock_parse(a, j, strlen(j), l, err);
	free(j);
	return r;
}

/* The message of a config.json whose process.landlock is the given object. */
static const char *config_error(const char *landlock, struct volt_error *err)
{
	char buf[2048];
	snprintf(buf, sizeof buf,
		 "{'ociVersion':'1.2.0','root':{'path':'rootfs'},"
		 "'process':{'args':['/bin/sh'],'cwd':'/','landlock':%s}}",
		 landlock);
	char *j = q(buf);
	struct oci_config *c = NULL;
	int r = oci_config_parse(j, strlen(j), &c, err);
	free(j);
	oci_config_free(c);
	return r < 0 ? err->msg : "";
}

static void test_parse(void)
{
	struct volt_arena a = {0};
	struct volt_error err = {0};
	struct oci_landlock l;

	int r = parse(&a,
		      "{'handledAccess':{'handledAccessFS':['execute','write_file','read_file','ioctl_dev'],"
		      " 'handledAccessNetwork':['bind','connect']},"
		      "'rules':{'pathBeneath':[{'allowedAccess':['write_file'],'paths':['/data','/tmp']},"
		      "  {'allowedAccess':['read_file','execute'],'paths':['/usr']}],"
		      " 'networkPort':[{'allowedAccess':['bind'],'ports':[80,0,65535]}]}}",
		      &l, &err);
	checkf(r == 0, "names parse (%s)", r ? err.msg : "ok");
	check(l.present && l.enable_best_effort, "present, enableBestEffort absent means true");
	checkf(l.handled_access_fs ==
		   (VOLT_LL_FS_EXECUTE | VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_READ_FILE | VOLT_LL_FS_IOCTL_DEV),
	       "handledAccessFS names map to the kernel bits (0x%llx)",
	       (unsigned long long)l.handled_access_fs);
	check(l.handled_access_net == (VOLT_LL_NET_BIND_TCP | VOLT_LL_NET_CONNECT_TCP),
	      "handledAccessNetwork");
	check(l.n_path_beneath == 2 && l.path_beneath[0].paths.n == 2 &&
		  strcmp(l.path_beneath[0].paths.v[1], "/tmp") == 0 &&
		  l.path_beneath[1].allowed_access == (VOLT_LL_FS_READ_FILE | VOLT_LL_FS_EXECUTE),
	      "pathBeneath rules");
	check(l.n_network_port == 1 && l.network_port[0].n_ports == 3 &&
		  l.network_port[0].ports[2] == 65535 &&
		  l.network_port[0].allowed_access == VOLT_LL_NET_BIND_TCP,
	      "networkPort rules");

	r = parse(&a,
		  "{'handledAccess':{'handledAccessFS':1099511627783},'enableBestEffort':false,"
		  "'rules':{'pathBeneath':[{'allowedAccess':6,'paths':['/x']}]}}",
		  &l, &err);
	checkf(r == 0 && l.handled_access_fs == ((1ULL << 40) | 7) && l.path_beneath[0].allowed_access == 6 &&
		   !l.enable_best_effort,
	       "integer masks are taken as they are, enableBestEffort false (%s)", r ? err.msg : "ok");

	r = parse(&a,
		  "{'rules':{'pathBeneath':[{'allowedAccess':['write_file'],'paths':['/a']},"
		  " {'allowedAccess':['make_dir','refer'],'paths':['/b']}],"
		  " 'networkPort':[{'allowedAccess':['connect'],'ports':[443]}]}}",
		  &l, &err);
	check(r == 0 &&
		  l.handled_access_fs == (VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_MAKE_DIR | VOLT_LL_FS_REFER) &&
		  l.handled_access_net == VOLT_LL_NET_CONNECT_TCP,
	      "no handledAccess: the union of the rules' rights, per kind");

	r = parse(&a,
		  "{'handledAccess':{'handledAccessFS':['read_file']},"
		  "'rules':{'networkPort':[{'allowedAccess':['bind'],'ports':[8080]}]}}",
		  &l, &err);
	check(r == 0 && l.handled_access_fs == VOLT_LL_FS_READ_FILE &&
		  l.handled_access_net == VOLT_LL_NET_BIND_TCP,
	      "handledAccessFS given, network defaults from its rules");

	check(oci_landlock_access_from_name(OCI_LANDLOCK_FS, "truncate") == VOLT_LL_FS_TRUNCATE &&
		  strcmp(oci_landlock_access_name(OCI_LANDLOCK_NET, VOLT_LL_NET_CONNECT_TCP), "connect") ==
		      0 &&
		  oci_landlock_access_from_name(OCI_LANDLOCK_FS, "bind") == 0,
	      "name <-> bit lookups");
	volt_arena_free(&a);
}

static void test_parse_errors(void)
{
	struct volt_error err = {0};
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{'rules':{'pathBeneath':[{'allowedAccess':['read_file'],'paths':['/a']},"
	     "{'allowedAccess':['wrte_file'],'paths':['/b']}]}}",
	     "process.landlock.rules.pathBeneath[1].allowedAccess[0]: unknown access \"wrte_file\""},
	    {"{'handledAccess':{'handledAccessNetwork':['listen']}}",
	     "process.landlock.handledAccess.handledAccessNetwork[0]: unknown network access \"listen\""},
	    {"{'rules':{'networkPort':[{'allowedAccess':['bind'],'ports':[80,65536]}]}}",
	     "process.landlock.rules.networkPort[0].ports[1]: must be a port between 0 and 65535 (got "
	     "65536)"},
	    {"{'rules':{'networkPort':[{'allowedAccess':['bind'],'ports':[-1]}]}}",
	     "process.landlock.rules.networkPort[0].ports[0]:"},
	    {"{'handledAccess':{'handledAccessFS':['read_file']},"
	     "'rules':{'pathBeneath':[{'allowedAccess':['read_file','write_file'],'paths':['/a']}]}}",
	     "process.landlock.rules.pathBeneath[0].allowedAccess: grants write_file, which "
	     "handledAccess.handledAccessFS does not handle"},
	    {"{'rules':{'pathBeneath':[{'allowedAccess':['read_file'],'paths':['rel']}]}}",
	     "process.landlock.rules.pathBeneath[0].paths[0]: must be an absolute path"},
	    {"{'rules':{'pathBeneath':[{'allowedAccess':[],'paths':['/a']}]}}",
	     "process.landlock.rules.pathBeneath[0].allowedAccess: must grant at least one right"},
	    {"{'rules':{'pathBeneath':[{'paths':['/a']}]}}",
	     "process.landlock.rules.pathBeneath[0].allowedAccess: missing required field"},
	    {"{'rules':{'pathBeneath':[{'allowedAccess':'read_file','paths':['/a']}]}}",
	     "process.landlock.rules.pathBeneath[0].allowedAccess: expected array of access names or an "
	     "integer mask"},
	    {"{}", "process.landlock: restricts nothing"},
	    {"{'handledAccess':{'handledAccessFS':['read_file']},'enableBestEffort':'yes'}",
	     "process.landlock.enableBestEffort: expected boolean"},
	    {"[]", "process.landlock: expected object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *msg = config_error(cases[i].json, &err);
		checkf(strncmp(msg, cases[i].want, strlen(cases[i].want)) == 0, "error names the path: %s",
		       msg);
	}

	struct volt_arena a = {0};
	struct oci_landlock l;
	checkf(parse(&a, "{'handledAccess':{'handledAccessFS':['nope']}}", &l, &err) < 0 &&
		   strcmp(err.msg, "landlock.handledAccess.handledAccessFS[0]: unknown access \"nope\"") == 0,
	       "a standalone profile's errors start at landlock (%s)", err.msg);
	volt_arena_free(&a);
}

/* ABI 1..8 with and without best effort. */
static void test_fit(void)
{
	struct volt_error err = {0};
	struct volt_landlock_fit fit;
	struct oci_landlock_path_rule rule = {.allowed_access = VOLT_LL_FS_WRITE_FILE};
	struct oci_landlock l = {
	    .present = true,
	    .handled_access_fs = VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE | VOLT_LL_FS_IOCTL_DEV,
	    .handled_access_net = VOLT_LL_NET_BIND_TCP,
	    .path_beneath = &rule,
	    .n_path_beneath = 1,
	    .enable_best_effort = true,
	};
	static const struct {
		int abi;
		uint64_t fs, net;
	} want[] = {
	    {1, VOLT_LL_FS_WRITE_FILE, 0},
	    {2, VOLT_LL_FS_WRITE_FILE, 0},
	    {3, VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE, 0},
	    {4, VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE, VOLT_LL_NET_BIND_TCP},
	    {5, VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE | VOLT_LL_FS_IOCTL_DEV, VOLT_LL_NET_BIND_TCP},
	    {6, VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE | VOLT_LL_FS_IOCTL_DEV, VOLT_LL_NET_BIND_TCP},
	    {7, VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_TRUNCATE | VOLT_LL_FS_IOCTL_DEV, VOLT_LL_NET_BIND_TCP},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int r = volt_landlock_fit(&l, want[i].abi, &fit, &err);
		checkf(r == 0 && fit.handled_fs == want[i].fs && fit.handled_net == want[i].net,
		       "best effort on ABI %d keeps fs 0x%llx net 0x%llx", want[i].abi,
		       (unsigned long long)fit.handled_fs, (unsigned long long)fit.handled_net);
	}
	check(volt_landlock_fit(&l, 0, &fit, &err) == 0 && !fit.handled_fs && !fit.handled_net,
	      "best effort without Landlock: nothing");

	l.enable_best_effort = false;
	static const struct {
		int abi;
		const char *msg;
	} strict[] = {
	    {0, "process.landlock: Landlock is not available on this kernel and enableBestEffort is false"},
	    {2, "process.landlock: truncate needs Landlock ABI 3, this kernel has 2"},
	    {3, "process.landlock: ioctl_dev needs Landlock ABI 5, this kernel has 3"},
	    {4, "process.landlock: ioctl_dev needs Landlock ABI 5, this kernel has 4"},
	};
	for (size_t i = 0; i < sizeof strict / sizeof strict[0]; i++) {
		int r = volt_landlock_fit(&l, strict[i].abi, &fit, &err);
		checkf(r < 0 && strcmp(err.msg, strict[i].msg) == 0, "strict on ABI %d: %s", strict[i].abi,
		       r < 0 ? err.msg : "accepted");
	}
	check(volt_landlock_fit(&l, 5, &fit, &err) == 0 && fit.handled_fs == l.handled_access_fs,
	      "strict on ABI 5: everything");
	uint64_t saved_fs = l.handled_access_fs;
	l.handled_access_fs = 0;
	l.n_path_beneath = 0;
	checkf(volt_landlock_fit(&l, 3, &fit, &err) < 0 &&
		   strcmp(err.msg, "process.landlock: bind needs Landlock ABI 4, this kernel has 3") == 0,
	       "strict, network on ABI 3: %s", err.msg);
	l.handled_access_fs = saved_fs;
	l.n_path_beneath = 1;

	l.handled_access_fs |= 1ULL << 40;
	checkf(volt_landlock_fit(&l, 7, &fit, &err) < 0 &&
		   strcmp(err.msg, "process.landlock: filesystem access bit 40 is unknown to Landlock ABI 7 "
				   "(this kernel's)") == 0,
	       "strict, unknown bit on ABI 7: %s", err.msg);
	check(volt_landlock_fit(&l, 8, &fit, &err) == 0 && (fit.handled_fs & (1ULL << 40)),
	      "a kernel newer than ABI 7 judges unknown bits itself");
	l.enable_best_effort = true;
	check(volt_landlock_fit(&l, 7, &fit, &err) == 0 && !(fit.handled_fs & (1ULL << 40)),
	      "best effort drops an unknown bit");

	/* refer on ABI 1, which denies all reparenting. */
	struct oci_landlock_path_rule refer_rule = {.allowed_access = VOLT_LL_FS_REFER | VOLT_LL_FS_MAKE_REG};
	struct oci_landlock r1 = {.present = true,
				  .handled_access_fs = VOLT_LL_FS_REFER | VOLT_LL_FS_MAKE_REG,
				  .path_beneath = &rule,
				  .n_path_beneath = 1};
	rule.allowed_access = VOLT_LL_FS_MAKE_REG;
	check(volt_landlock_fit(&r1, 1, &fit, &err) == 0 && fit.handled_fs == VOLT_LL_FS_MAKE_REG,
	      "strict ABI 1, refer handled but never granted: met (ABI 1 denies it anyway)");
	r1.path_beneath = &refer_rule;
	checkf(volt_landlock_fit(&r1, 1, &fit, &err) < 0 &&
		   strcmp(err.msg, "process.landlock: refer needs Landlock ABI 2, this kernel has 1") == 0,
	       "strict ABI 1, refer granted: %s", err.msg);
	r1.enable_best_effort = true;
	check(volt_landlock_fit(&r1, 1, &fit, &err) == 0 && fit.handled_fs == 0,
	      "best effort ABI 1, refer granted: no filesystem rules rather than deny more than asked");
	check(volt_landlock_fit(&r1, 2, &fit, &err) == 0 && fit.handled_fs == r1.handled_access_fs,
	      "ABI 2: refer kept");

	struct oci_landlock absent = {0};
	check(volt_landlock_fit(&absent, 7, &fit, &err) == 0 && !fit.handled_fs && !fit.handled_net,
	      "absent: nothing");
}

/* In a child: prepare, no_new_privs, restrict, then the action. Exit codes:
 * 0 done, 10 + errno class, 2 setup failure. */
static int run_restricted(const struct oci_landlock *l, int (*action)(const char *), const char *arg,
			  bool new_netns)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct volt_error err = {0};
		int fd;
		if (new_netns && unshare(CLONE_NEWNET) < 0)
			_exit(2);
		if (volt_landlock_prepare(l, &fd, &err) < 0 || fd < 0)
			_exit(3);
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			_exit(4);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || volt_landlock_restrict(fd, &err) < 0)
			_exit(5);
		if (fcntl(fd, F_GETFD) >= 0)
			_exit(6); /* restrict closes the ruleset */
		int e = action(arg);
		_exit(e == 0 ? 0 : e == EACCES ? 10 : 11);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int bind_port(const char *port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
	close(s);
	return r;
}

static void test_enforce(void)
{
	int abi = volt_landlock_abi();
	checkf(abi >= 1, "this kernel has Landlock (ABI %d)", abi);
	if (abi < 1)
		return;
	char dir[] = "/tmp/volt-landlock-XXXXXX";
	if (!mkdtemp(dir)) {
		checkf(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	char allowed[64], other[64], in[96], out[96], missing[96];
	snprintf(allowed, sizeof allowed, "%s/allowed", dir);
	snprintf(other, sizeof other, "%s/other", dir);
	snprintf(in, sizeof in, "%s/f", allowed);
	snprintf(out, sizeof out, "%s/f", other);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	mkdir(allowed, 0755);
	mkdir(other, 0755);

	char *paths[] = {allowed, missing, NULL};
	struct oci_landlock_path_rule rule = {.allowed_access = VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_MAKE_REG,
					      .paths = {.v = paths, .n = 2}};
	struct oci_landlock l = {.present = true,
				 .handled_access_fs = VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_MAKE_REG,
				 .path_beneath = &rule,
				 .n_path_beneath = 1,
				 .enable_best_effort = true};
	check(run_restricted(&l, write_file, in, false) == 0, "write beneath the allowed dir works");
	check(run_restricted(&l, write_file, out, false) == 10,
	      "write outside the allow-list fails with EACCES");
	check(access(out, F_OK) < 0, "and created nothing");

	struct volt_error err = {0};
	int fd = -2;
	l.enable_best_effort = false;
	checkf(volt_landlock_prepare(&l, &fd, &err) < 0 && fd == -1 && strstr(err.msg, "paths[1]") &&
		   strstr(err.msg, missing),
	       "strict: a missing path is an error naming it (%s)", err.msg);
	l.enable_best_effort = true;
	check(volt_landlock_prepare(NULL, &fd, &err) == 0 && fd == -1 &&
		  volt_landlock_restrict(fd, &err) == 0,
	      "no landlock: fd -1 and restrict is a no-op");

	if (abi >= 4) {
		uint64_t ports[] = {8081};
		struct oci_landlock_port_rule pr = {
		    .allowed_access = VOLT_LL_NET_BIND_TCP, .ports = ports, .n_ports = 1};
		struct oci_landlock n = {.present = true,
					 .handled_access_net = VOLT_LL_NET_BIND_TCP,
					 .network_port = &pr,
					 .n_network_port = 1,
					 .enable_best_effort = false};
		check(run_restricted(&n, bind_port, "8081", true) == 0, "bind to the allowed port works");
		check(run_restricted(&n, bind_port, "8082", true) == 10,
		      "bind to another port fails with EACCES");
	}
	unlink(in);
	rmdir(allowed);
	rmdir(other);
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_parse_errors();
	test_fit();
	test_enforce();
	return tap_done();
}
