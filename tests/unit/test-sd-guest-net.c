/* stardust-init's network bring-up (stardust/init/guest-net.c) on a real
 * kernel: in a private network namespace, a tap named eth0 stands for the
 * guest's virtio-net NIC, and the rtnetlink requests must leave it with the
 * address, both links up and the default route. Also the kernel parameter
 * read from a file and the errors (naming the annotation and interface).
 *
 * stardust-init's objects are in no library (the Makefile links them into
 * the guest binary only), so the two files under test are compiled in here. */
#include "stardust/init/guest-net.c"
#include "stardust/init/guest-setup.c"

#include <linux/if_tun.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>

static int n_test, n_fail;

static void check(bool ok, const char *name, const struct volt_error *err)
{
	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d - %s\n", ok ? "" : "not ", n_test, name);
	if (!ok && err && err->msg[0])
		printf("# %s\n", err->msg);
}

static void skip(const char *name, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++n_test, name, why);
}

static int tap_named(const char *name)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static short if_flags(int s, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	return ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? 0 : ifr.ifr_flags;
}

static uint32_t if_inet(int s, const char *name, unsigned long req)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(s, req, &ifr) < 0)
		return 0;
	return ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
}

/* /proc/net/route has "eth0 00000000 GATEWAY ..." for a default route,
 * addresses in host-order hex of the network-order value. */
static bool default_route_via(const char *dev, struct in_addr gw)
{
	FILE *f = fopen("/proc/net/route", "re");
	if (!f)
		return false;
	char line[256], want[32];
	snprintf(want, sizeof want, "%s\t00000000\t%08X", dev, gw.s_addr);
	bool found = false;
	while (fgets(line, sizeof line, f))
		found |= strncmp(line, want, strlen(want)) == 0;
	fclose(f);
	return found;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_read(const char *dir)
{
	struct volt_error err = {0};
	struct sd_vm_net n;
	char path[256];
	snprintf(path, sizeof path, "%s/cmdline", dir);
	write_file(path, "quiet panic=-1 stardust.net=10.99.0.2/24,gw=10.99.0.1 rdinit=/init\n");
	check(sd_guest_net_read(path, &n, &err) == 0 && n.on && n.has_addr && n.has_gw && n.prefix == 24,
	      "read: stardust.net from a /proc/cmdline-like file", &err);
	write_file(path, "quiet panic=-1\n");
	check(sd_guest_net_read(path, &n, &err) == 0 && !n.on, "read: no parameter, no network", &err);
	write_file(path, "stardust.net=10.99.0.2/24,gw=10.98.0.1\n");
	check(sd_guest_net_read(path, &n, &err) < 0 && strstr(err.msg, "stardust.net"),
	      "read: a gateway outside the subnet is an error naming the parameter", NULL);
	check(sd_guest_net_read("/nonexistent/cmdline", &n, &err) < 0, "read: a missing file is an error",
	      NULL);
}

static void test_up(const char *dir)
{
	struct volt_error err = {0};
	char list[256];
	snprintf(list, sizeof list, "%s/modules.net", dir);
	write_file(list, "");
	struct sd_vm_net off = {0};
	check(sd_guest_net_up(&off, "/nonexistent", 10, &err) == 0, "up: no network, nothing done", &err);

	if (getuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		skip("up: address, links and route on a tap named eth0", "needs root (a private netns)");
		return;
	}
	struct sd_vm_net n = {.on = true, .has_addr = true, .has_gw = true, .prefix = 24};
	inet_pton(AF_INET, "10.99.0.2", &n.addr);
	inet_pton(AF_INET, "10.99.0.1", &n.gw);
	check(sd_guest_net_up(&n, list, 50, &err) < 0 && strstr(err.msg, SD_ANN_NET_TAP) &&
		  strstr(err.msg, "eth0") && strstr(err.msg, "did not appear"),
	      "up: no eth0 within the timeout: error names the annotation and eth0", &err);
	check(sd_guest_net_up(&n, "/nonexistent/modules.net", 50, &err) < 0 &&
		  strstr(err.msg, SD_ANN_NET_TAP) && strstr(err.msg, "virtio_net"),
	      "up: no network module list: error says virtio_net is missing", &err);
	_cleanup_close_ int tap = tap_named("eth0");
	if (tap < 0) {
		skip("up: address, links and route on a tap named eth0", "no /dev/net/tun");
		return;
	}
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	check(!(if_flags(s, "eth0") & IFF_UP) && !(if_flags(s, "lo") & IFF_UP),
	      "up: eth0 and lo start down in the new netns", NULL);
	int r = sd_guest_net_up(&n, list, 1000, &err);
	check(r == 0, "up: eth0 configured", &err);
	check((if_flags(s, "eth0") & IFF_UP) && (if_flags(s, "lo") & IFF_UP), "up: eth0 and lo are up", NULL);
	check(if_inet(s, "eth0", SIOCGIFADDR) == n.addr.s_addr &&
		  if_inet(s, "eth0", SIOCGIFNETMASK) == htonl(0xffffff00) &&
		  if_inet(s, "eth0", SIOCGIFBRDADDR) == htonl(0x0a6300ff),
	      "up: eth0 has 10.99.0.2/24, broadcast 10.99.0.255", NULL);
	check(default_route_via("eth0", n.gw), "up: default route via 10.99.0.1 on eth0", NULL);
	check(sd_guest_net_up(&n, list, 1000, &err) < 0 && strstr(err.msg, SD_ANN_NET_GATEWAY) &&
		  strstr(err.msg, "10.99.0.1") && strstr(err.msg, "eth0"),
	      "up: a route the kernel refuses (already there) names the gateway annotation and eth0", &err);
	struct sd_vm_net up_only = {.on = true};
	check(sd_guest_net_up(&up_only, list, 1000, &err) == 0, "up: stardust.net=up: links only", &err);
}

int main(void)
{
	char dir[] = "/tmp/test-sd-guest-net.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp\n");
		return 0;
	}
	test_read(dir);
	test_up(dir);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	printf("1..%d\n", n_test);
	return n_fail != 0;
}
