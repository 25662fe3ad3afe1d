#include "stardust/init/guest-setup.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "oci/cleanup.h"

#define SD_EXIT_PORT 0x501 /* stardust/vmm/sysports.h */

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

void sd_guest_fill_stdio(void)
{
	for (;;) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return;
		if (fd > 2) {
			close(fd);
			return;
		}
	}
}

static int mount_one(const char *src, const char *dir, const char *type, unsigned long flags,
		     const char *data, struct volt_error *err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return volt_err(err, errno, "mkdir %s", dir);
	if (mount(src, dir, type, flags, data) < 0 && errno != EBUSY)
		return volt_err(err, errno, "mount %s on %s", type, dir);
	return 0;
}

int sd_guest_leave_rootfs(struct volt_error *err)
{
	/* cwd follows the bind mount through the move, so chroot(".") lands
	 * on it: the same files, but now a mount with a parent. */
	const char *dir = "/.root";
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return volt_err(err, errno, "mkdir %s", dir);
	if (mount("/", dir, NULL, MS_BIND, NULL) < 0)
		return volt_err(err, errno, "bind mount / on %s", dir);
	if (chdir(dir) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return volt_err(err, errno, "move %s onto / and chroot into it", dir);
	return 0;
}

int sd_guest_mount_basics(struct volt_error *err)
{
	const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount_one("proc", "/proc", "proc", nsd, NULL, err) < 0 ||
	    mount_one("sysfs", "/sys", "sysfs", nsd, NULL, err) < 0 ||
	    mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", err) < 0 ||
	    mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err) < 0 ||
	    mount_one("cgroup2", "/sys/fs/cgroup", "cgroup2", nsd, NULL, err) < 0)
		return -1;
	/* /dev/pts and /dev/shm for what the container's config mounts over them. */
	mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620", err);
	mount_one("tmpfs", "/dev/shm", "tmpfs", nsd, "mode=1777", err);
	volt_err_clear(err);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int sd_guest_load_modules(const char *list_path, struct volt_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(list_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : volt_err(err, errno, "%s", list_path);
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		_cleanup_close_ int fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return volt_err(err, errno, "module %s", line);
		int flags = ends_with(line, ".ko") ? 0 : MODULE_INIT_COMPRESSED_FILE;
		if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
			return volt_err(err, errno, "finit_module %s", line);
	}
	return 0;
}

int sd_guest_wait_path(const char *path, int timeout_ms, struct volt_error *err)
{
	for (int waited = 0;; waited += 5) {
		if (access(path, F_OK) == 0)
			return 0;
		if (waited >= timeout_ms)
			return volt_err(err, -ETIMEDOUT, "%s did not appear within %d ms", path, timeout_ms);
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
	}
}

int sd_guest_mount_bundle(const char *dev, const char *dir, struct volt_error *err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return volt_err(err, errno, "mkdir %s", dir);
	if (mount(dev, dir, "ext4", MS_NOATIME, NULL) < 0)
		return volt_err(err, errno, "mount the bundle %s (ext4) on %s", dev, dir);
	return 0;
}

int sd_guest_open_control(const char *path, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "control channel %s", path);
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &t) < 0)
			return volt_err(err, errno, "control channel %s: raw mode", path);
	}
	return volt_steal_fd(&fd);
}

_Noreturn void sd_guest_exit(uint8_t status)
{
	sync();
	if (ioperm(SD_EXIT_PORT, 1, 1) == 0)
		outb(status, SD_EXIT_PORT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
