/* stardust-init: PID 1 of a Stardust microVM (static, from the initramfs
 * that backend-stardust builds). Brings the guest up (guest-setup.h), then
 * runs the bundle from /dev/vda as volt-run would (guest-run.h) and stops
 * the VM with the process's exit status on port 0x501.
 *
 * Not PID 1, or $STARDUST_INIT_BUNDLE set (a test on the host): no bring-up; the bundle is
 * $STARDUST_INIT_BUNDLE, the control channel is fds 3 (in) and 4 (out) as
 * the monitor's would be, the state root $STARDUST_INIT_ROOT (default
 * /run/volt-stardust-init), and the status is the exit status. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/error.h"
#include "stardust/init/guest-net.h"
#include "stardust/init/guest-run.h"
#include "stardust/init/guest-setup.h"
#include "stardust/shim/initramfs.h"
#include "stardust/shim/proto.h"

#define BRINGUP_TIMEOUT_MS 30000 /* nested KVM under TCG probes devices slowly */

/* Before the control channel exists the kernel log is the only witness. */
static void kmsg(int fd, const char *msg)
{
	dprintf(fd >= 0 ? fd : STDERR_FILENO, "stardust-init: %s\n", msg);
}

static int host_test(void)
{
	const char *bundle = getenv("STARDUST_INIT_BUNDLE");
	if (!bundle) {
		fprintf(stderr, "stardust-init: not PID 1 and no $STARDUST_INIT_BUNDLE\n");
		return 1;
	}
	const char *root = getenv("STARDUST_INIT_ROOT");
	struct sd_guest_run g = {
	    .ctl_in = 3,
	    .ctl_out = 4,
	    .bundle = bundle,
	    .root = root && *root ? root : "/run/volt-stardust-init",
	    .id = "stardust",
	    .log = {.fd = -1},
	};
	return sd_guest_run(&g);
}

int main(void)
{
	if (getpid() != 1 || getenv("STARDUST_INIT_BUNDLE"))
		return host_test();
	sd_guest_fill_stdio();
	struct volt_error err = {0};
	int log = -1;
	if (sd_guest_leave_rootfs(&err) < 0 || sd_guest_mount_basics(&err) < 0) {
		kmsg(log, err.msg);
		sd_guest_exit(1);
	}
	sd_guest_fill_stdio();
	log = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (sd_guest_load_modules(SD_GUEST_MODULE_LIST, &err) < 0 ||
	    sd_guest_wait_path(SD_GUEST_CONTROL, BRINGUP_TIMEOUT_MS, &err) < 0) {
		kmsg(log, err.msg);
		sd_guest_exit(1);
	}
	int ctl = sd_guest_open_control(SD_GUEST_CONTROL, &err);
	if (ctl < 0) {
		kmsg(log, err.msg);
		sd_guest_exit(1);
	}
	struct sd_vm_net net;
	if (sd_guest_net_read("/proc/cmdline", &net, &err) < 0 ||
	    sd_guest_net_up(&net, SD_GUEST_NET_MODULE_LIST, BRINGUP_TIMEOUT_MS, &err) < 0 ||
	    sd_guest_wait_path(SD_GUEST_BUNDLE_DEV, BRINGUP_TIMEOUT_MS, &err) < 0 ||
	    sd_guest_mount_bundle(SD_GUEST_BUNDLE_DEV, SD_GUEST_BUNDLE, &err) < 0) {
		kmsg(log, err.msg);
		struct volt_error ignored;
		sd_frame_write(ctl, SD_MSG_ERROR, 0, err.msg, strlen(err.msg), &ignored);
		sd_guest_exit(1);
	}
	struct sd_guest_run g = {
	    .ctl_in = ctl,
	    .ctl_out = ctl,
	    .bundle = SD_GUEST_BUNDLE,
	    .root = SD_GUEST_STATE_ROOT,
	    .id = "stardust",
	    .log = {.fd = log},
	};
	int status = sd_guest_run(&g);
	sd_guest_exit((uint8_t)status);
}
