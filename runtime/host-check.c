/* What this host offers to the security layers. Every probe only reads or
 * asks the kernel: nothing is created (the cgroup detection makes no
 * directory, the netlink probe sends one local GET to the kernel). */
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "runtime/cgroup.h"
#include "runtime/inspect.h"
#include "runtime/landlock.h"

static struct volt_host_item *item(struct volt_host_item *items, size_t *n, const char *name)
{
	struct volt_host_item *it = &items[(*n)++];
	memset(it, 0, sizeof *it);
	it->name = name;
	it->value = -1;
	return it;
}

static void read_line(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
}

static void check_seccomp(struct volt_host_item *it)
{
	/* EINVAL means the kernel was built without seccomp. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		snprintf(it->detail, sizeof it->detail, "prctl(PR_GET_SECCOMP): %s", strerror(errno));
		return;
	}
	char actions[100];
	read_line("/proc/sys/kernel/seccomp/actions_avail", actions, sizeof actions);
	it->ok = true;
	snprintf(it->detail, sizeof it->detail, "filter mode; actions: %s", actions[0] ? actions : "unknown");
}

static void check_userns(struct volt_host_item *it)
{
	char buf[32];
	read_line("/proc/sys/user/max_user_namespaces", buf, sizeof buf);
	long max = buf[0] ? strtol(buf, NULL, 10) : -1;
	it->ok = max > 0;
	it->value = max;
	if (max < 0)
		snprintf(it->detail, sizeof it->detail, "/proc/sys/user/max_user_namespaces missing");
	else
		snprintf(it->detail, sizeof it->detail, "max_user_namespaces %ld", max);
}

static void check_cgroup(const char *root, struct volt_host_item *it)
{
	struct volt_cgroup cg;
	struct volt_error err;
	/* init only detects: it neither creates nor opens the container path. */
	if (volt_cgroup_init(&cg, root, NULL, "volt-security-check", &err) < 0) {
		snprintf(it->detail, sizeof it->detail, "%.120s", err.msg);
		return;
	}
	it->ok = true;
	const char *l = cg.layout == VOLT_CGROUP_V2	  ? "v2"
			: cg.layout == VOLT_CGROUP_HYBRID ? "hybrid"
							  : "v1";
	snprintf(it->detail, sizeof it->detail, "%s (%zu hierarchies)", l, cg.n_hier);
}

/* Ask nf_tables for its generation id: only a kernel with nf_tables answers
 * without an error. */
static void check_nftables(struct volt_host_item *it)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		snprintf(it->detail, sizeof it->detail, "netlink netfilter socket: %s", strerror(errno));
		return;
	}
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req = {
	    .nh = {.nlmsg_len = sizeof req,
		   .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		   .nlmsg_seq = 1},
	    .nf = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0},
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		snprintf(it->detail, sizeof it->detail, "netlink send: %s", strerror(errno));
		return;
	}
	char buf[4096] __attribute__((aligned(4)));
	for (int i = 0; i < 4; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			snprintf(it->detail, sizeof it->detail, "netlink receive: %s", strerror(errno));
			return;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == 0)
					continue; /* the ACK after the answer */
				snprintf(it->detail, sizeof it->detail, "nf_tables: %s", strerror(-e->error));
				return;
			}
			if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWGEN) {
				it->ok = true;
				snprintf(it->detail, sizeof it->detail, "nf_tables available");
				return;
			}
		}
	}
	snprintf(it->detail, sizeof it->detail, "nf_tables did not answer");
}

void volt_host_check(const char *cgroup_root, struct volt_host_item items[VOLT_HOST_ITEMS], size_t *n)
{
	*n = 0;
	struct volt_host_item *it = item(items, n, "kernel");
	struct utsname u;
	it->ok = uname(&u) == 0;
	snprintf(it->detail, sizeof it->detail, "%.30s %.60s %.30s", it->ok ? u.sysname : "?",
		 it->ok ? u.release : "?", it->ok ? u.machine : "?");

	it = item(items, n, "landlock");
	int abi = volt_landlock_abi();
	it->ok = abi > 0;
	it->value = abi;
	if (abi > 0)
		snprintf(it->detail, sizeof it->detail, "ABI %d", abi);
	else
		snprintf(it->detail, sizeof it->detail, "not available (disabled or not built in)");

	check_seccomp(item(items, n, "seccomp"));
	check_userns(item(items, n, "userns"));
	check_cgroup(cgroup_root, item(items, n, "cgroup"));
	check_nftables(item(items, n, "nftables"));

	it = item(items, n, "time_ns");
	it->ok = access("/proc/self/ns/time", F_OK) == 0;
	snprintf(it->detail, sizeof it->detail, "%s",
		 it->ok ? "/proc/self/ns/time present" : "no time namespaces");

	it = item(items, n, "pidfd");
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	it->ok = fd >= 0;
	if (fd >= 0) {
		close(fd);
		snprintf(it->detail, sizeof it->detail, "pidfd_open works");
	} else {
		snprintf(it->detail, sizeof it->detail, "pidfd_open: %s", strerror(errno));
	}
}
