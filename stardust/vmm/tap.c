#include "stardust/vmm/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

#include "oci/cleanup.h"

int sd_tap_open(const char *name, struct volt_error *err)
{
	size_t len = strlen(name);
	if (len == 0 || len >= IFNAMSIZ)
		return volt_err(err, -EINVAL, "tap \"%s\": a name of 1..%d bytes", name, IFNAMSIZ - 1);
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "tap %s: /dev/net/tun", name);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return volt_err(err, errno, "tap %s: TUNSETIFF", name);
	return volt_steal_fd(&fd);
}
