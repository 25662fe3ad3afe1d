#include "stardust/init/guest-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/init/guest-setup.h"
#include "stardust/shim/vm-opts.h"

int sd_guest_net_read(const char *cmdline_path, struct sd_vm_net *n, struct volt_error *err)
{
	*n = (struct sd_vm_net){0};
	_cleanup_close_ int fd = open(cmdline_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "%s", cmdline_path);
	char buf[4096];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return volt_err(err, errno, "%s", cmdline_path);
		if (r == 0 || (len += (size_t)r) == sizeof buf - 1)
			break;
	}
	buf[len] = '\0';
	return sd_vm_net_from_cmdline(buf, n, err);
}

/* One rtnetlink request: header, family message, a few attributes. */
union nl_req {
	struct nlmsghdr h;
	char buf[256];
};

static void *nl_init(union nl_req *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	return NLMSG_DATA(&r->h);
}

static void nl_attr(union nl_req *r, uint16_t type, const void *data, size_t len)
{
	/* Requests here are a handful of 4-byte attributes: far below buf. */
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send r and wait for its acknowledgement: 0, or the kernel's -errno. */
static int nl_talk(int fd, union nl_req *r, uint32_t seq)
{
	r->h.nlmsg_seq = seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	for (;;) {
		union {
			struct nlmsghdr h;
			char b[8192];
		} ans;
		ssize_t n = recv(fd, &ans, sizeof ans, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* NLMSG_OK/NLMSG_NEXT by hand: the macros compare signed with unsigned. */
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(ans.b + off);
			if (h->nlmsg_len < sizeof *h || h->nlmsg_len > (size_t)n - off)
				return -EPROTO;
			if (h->nlmsg_seq == seq && h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EPROTO;
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

static int link_up(int fd, int ifindex, uint32_t seq)
{
	union nl_req r;
	struct ifinfomsg *ifi = nl_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(fd, &r, seq);
}

static int add_address(int fd, int ifindex, const struct sd_vm_net *n, uint32_t seq)
{
	union nl_req r;
	struct ifaddrmsg *ifa = nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof *ifa);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = n->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	nl_attr(&r, IFA_LOCAL, &n->addr, sizeof n->addr);
	nl_attr(&r, IFA_ADDRESS, &n->addr, sizeof n->addr);
	if (n->prefix <= 30) {
		uint32_t host_mask = n->prefix ? ~UINT32_C(0) >> n->prefix : ~UINT32_C(0);
		struct in_addr brd = {.s_addr = n->addr.s_addr | htonl(host_mask)};
		nl_attr(&r, IFA_BROADCAST, &brd, sizeof brd);
	}
	return nl_talk(fd, &r, seq);
}

static int add_default_route(int fd, int ifindex, struct in_addr gw, uint32_t seq)
{
	union nl_req r;
	struct rtmsg *rt = nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	uint32_t oif = (uint32_t)ifindex;
	nl_attr(&r, RTA_GATEWAY, &gw, sizeof gw);
	nl_attr(&r, RTA_OIF, &oif, sizeof oif);
	return nl_talk(fd, &r, seq);
}

static int wait_ifindex(const char *name, int timeout_ms)
{
	for (int waited = 0;; waited += 5) {
		unsigned idx = if_nametoindex(name);
		if (idx)
			return (int)idx;
		if (waited >= timeout_ms)
			return -1;
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
	}
}

int sd_guest_net_up(const struct sd_vm_net *n, const char *module_list, int timeout_ms,
		    struct volt_error *err)
{
	if (!n->on)
		return 0;
	if (access(module_list, R_OK) < 0)
		return volt_err(
		    err, -ENOENT,
		    "annotations.%s: the guest kernel's module tree has no virtio_net (no %s in the "
		    "initramfs)",
		    SD_ANN_NET_TAP, module_list);
	if (sd_guest_load_modules(module_list, err) < 0)
		return volt_err_ctx(err, "annotations.%s: network modules", SD_ANN_NET_TAP);
	int eth = wait_ifindex(SD_GUEST_NET_IF, timeout_ms);
	if (eth < 0)
		return volt_err(err, -ETIMEDOUT, "annotations.%s: %s did not appear within %d ms",
				SD_ANN_NET_TAP, SD_GUEST_NET_IF, timeout_ms);
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return volt_err(err, errno, "annotations.%s: rtnetlink socket", SD_ANN_NET_TAP);
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &n->addr, addr, sizeof addr);
	inet_ntop(AF_INET, &n->gw, gw, sizeof gw);
	int r;
	/* The address before the link comes up, the route after: the kernel
	 * checks that the gateway is reachable through an up device. */
	if (n->has_addr && (r = add_address(fd, eth, n, 1)) < 0)
		return volt_err(err, -r, "annotations.%s: %s/%u on %s", SD_ANN_NET_ADDRESS, addr, n->prefix,
				SD_GUEST_NET_IF);
	int lo = (int)if_nametoindex("lo");
	if (!lo || (r = link_up(fd, lo, 2)) < 0)
		return volt_err(err, lo ? -r : errno, "annotations.%s: bring lo up", SD_ANN_NET_TAP);
	if ((r = link_up(fd, eth, 3)) < 0)
		return volt_err(err, -r, "annotations.%s: bring %s up", SD_ANN_NET_TAP, SD_GUEST_NET_IF);
	if (n->has_gw && (r = add_default_route(fd, eth, n->gw, 4)) < 0)
		return volt_err(err, -r, "annotations.%s: default route via %s on %s", SD_ANN_NET_GATEWAY, gw,
				SD_GUEST_NET_IF);
	return 0;
}
