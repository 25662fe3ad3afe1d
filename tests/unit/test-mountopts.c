/* Mount option parsing, sysctl key checks, device type checks: no
 * privileges, no mounts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "runtime/devices.h"
#include "runtime/mounts.h"
#include "runtime/sysctl.h"
#include "tap.h"

static int parse(struct volt_mount_opts *mo, struct volt_error *err, char **v)
{
	struct oci_strv s = {.v = v, .n = 0};
	while (v[s.n])
		s.n++;
	return volt_mount_options_parse(&s, mo, err);
}

static void test_options(void)
{
	struct volt_mount_opts mo;
	struct volt_error err = {0};

	char *a[] = {"nosuid", "noexec", "nodev", "ro", "relatime", NULL};
	check(parse(&mo, &err, a) == 0 &&
		  mo.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | MS_RELATIME) && !mo.bind &&
		  !mo.propagation && mo.data[0] == '\0',
	      "plain flags set, no data");

	char *b[] = {"ro", "rw", "nosuid", "suid", "dev", "exec", "atime", NULL};
	check(parse(&mo, &err, b) == 0 && mo.flags == 0 &&
		  mo.clear == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME),
	      "later clear options win and are recorded");

	char *c[] = {"rw", "ro", NULL};
	check(parse(&mo, &err, c) == 0 && mo.flags == MS_RDONLY && !(mo.clear & MS_RDONLY),
	      "later set option wins over clear");

	char *d[] = {"rbind", "rprivate", NULL};
	check(parse(&mo, &err, d) == 0 && mo.bind && mo.flags == (MS_BIND | MS_REC) &&
		  mo.propagation == (MS_PRIVATE | MS_REC),
	      "rbind + rprivate");

	char *e[] = {"bind", "shared", "slave", NULL};
	check(parse(&mo, &err, e) == 0 && mo.bind && mo.flags == MS_BIND && mo.propagation == MS_SLAVE,
	      "bind, last propagation wins");

	char *f[] = {"nosuid", "size=65536k", "mode=755", "nodev", "uid=5", NULL};
	check(parse(&mo, &err, f) == 0 && strcmp(mo.data, "size=65536k,mode=755,uid=5") == 0 &&
		  mo.flags == (MS_NOSUID | MS_NODEV),
	      "tmpfs data string built from size=/mode=/uid=");

	char *g[] = {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "noexec", NULL};
	check(parse(&mo, &err, g) == 0 && strcmp(mo.data, "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0,
	      "devpts options go to data");

	char *h[] = {"frobnicate", "tmpcopyup", "defaults", NULL};
	check(parse(&mo, &err, h) == 0 && strcmp(mo.data, "frobnicate") == 0, "unknown option becomes data");

	char *i[] = {"sync", "dirsync", "mand", "noatime", "nodiratime", "strictatime", "remount", NULL};
	check(parse(&mo, &err, i) == 0 &&
		  mo.flags == (MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |
			       MS_STRICTATIME | MS_REMOUNT),
	      "sync/dirsync/mand/atime family/remount flags");

	char *j[] = {"unbindable", NULL};
	check(parse(&mo, &err, j) == 0 && mo.propagation == MS_UNBINDABLE, "unbindable");
	char *k[] = {"runbindable", NULL};
	check(parse(&mo, &err, k) == 0 && mo.propagation == (MS_UNBINDABLE | MS_REC), "runbindable");
	char *l[] = {"rshared", NULL};
	check(parse(&mo, &err, l) == 0 && mo.propagation == (MS_SHARED | MS_REC), "rshared");

	static char big[3000];
	memset(big, 'x', sizeof big - 1);
	char *m[] = {big, big, NULL};
	check(parse(&mo, &err, m) < 0 && err.errnum == E2BIG && strstr(err.msg, "options[1]"),
	      "data longer than a page is refused");

	struct oci_strv empty = {0};
	check(volt_mount_options_parse(&empty, &mo, &err) == 0 && mo.flags == 0 && mo.data[0] == '\0',
	      "no options");

	char *n[] = {"bind", "ro", NULL};
	parse(&mo, &err, n);
	check(volt_mount_bind_needs_remount(&mo), "bind,ro needs a remount pass");
	char *o[] = {"rbind", "rprivate", NULL};
	parse(&mo, &err, o);
	check(!volt_mount_bind_needs_remount(&mo), "rbind alone needs no remount pass");

	check(volt_mount_propagation_flag("rslave") == (MS_SLAVE | MS_REC) &&
		  volt_mount_propagation_flag("private") == MS_PRIVATE &&
		  volt_mount_propagation_flag("ro") == 0 && volt_mount_propagation_flag("bogus") == 0,
	      "propagation names");

	check(volt_mount_dest_is("/dev", "/dev") && volt_mount_dest_is("//dev/", "/dev") &&
		  !volt_mount_dest_is("/dev/shm", "/dev") && !volt_mount_dest_is("/de", "/dev") &&
		  volt_mount_dest_is("/dev//shm", "/dev/shm"),
	      "destination comparison ignores extra slashes");
}

static void test_sysctl(void)
{
	char buf[256];
	struct volt_error err = {0};
	check(volt_sysctl_key_path("net.ipv4.ip_forward", buf, sizeof buf, &err) == 0 &&
		  strcmp(buf, "net/ipv4/ip_forward") == 0,
	      "sysctl key dots become slashes");
	check(volt_sysctl_key_path("kernel.shm_rmid_forced", buf, sizeof buf, &err) == 0 &&
		  strcmp(buf, "kernel/shm_rmid_forced") == 0,
	      "sysctl underscore key");
	check(volt_sysctl_key_path("net/../../etc", buf, sizeof buf, &err) < 0 &&
		  strstr(err.msg, "linux.sysctl.net/../../etc") != NULL,
	      "sysctl key with / refused, error names the key");
	check(volt_sysctl_key_path("net..x", buf, sizeof buf, &err) < 0, "sysctl key with .. refused");
	check(volt_sysctl_key_path("", buf, sizeof buf, &err) < 0, "empty sysctl key refused");
	check(volt_sysctl_key_path(".net", buf, sizeof buf, &err) < 0 &&
		  volt_sysctl_key_path("net.", buf, sizeof buf, &err) < 0,
	      "leading/trailing dot refused");
	check(volt_sysctl_key_path("kernel.domainname", buf, 8, &err) < 0 && err.errnum == ENAMETOOLONG,
	      "sysctl key too long for buffer");
}

static void test_devices(void)
{
	mode_t m = 0;
	check(volt_device_type_mode('c', &m) == 0 && m == S_IFCHR, "device type c");
	check(volt_device_type_mode('u', &m) == 0 && m == S_IFCHR, "device type u");
	check(volt_device_type_mode('b', &m) == 0 && m == S_IFBLK, "device type b");
	check(volt_device_type_mode('p', &m) == 0 && m == S_IFIFO, "device type p");
	check(volt_device_type_mode('x', &m) < 0 && errno == EINVAL, "device type x refused");

	struct volt_error err = {0};
	struct oci_device ok = {.path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229};
	check(volt_device_validate(&ok, 0, &err) == 0, "valid device");
	struct oci_device rel = {.path = "dev/fuse", .type = 'c', .major = 10, .minor = 229};
	check(volt_device_validate(&rel, 2, &err) < 0 && strstr(err.msg, "linux.devices[2].path"),
	      "relative device path refused");
	struct oci_device bad = {.path = "/dev/x", .type = 'z'};
	check(volt_device_validate(&bad, 1, &err) < 0 && strstr(err.msg, "linux.devices[1].type"),
	      "unknown device type refused");
	struct oci_device neg = {.path = "/dev/x", .type = 'b', .major = -1, .minor = 0};
	check(volt_device_validate(&neg, 0, &err) < 0, "negative major refused");
	struct oci_device fifo = {.path = "/run/fifo", .type = 'p', .major = -1, .minor = -1};
	check(volt_device_validate(&fifo, 0, &err) == 0, "fifo needs no major/minor");
	struct oci_device dir = {.path = "/dev/", .type = 'c', .major = 1, .minor = 3};
	check(volt_device_validate(&dir, 0, &err) < 0, "device path ending in / refused");
	struct oci_device dots = {.path = "/dev/..", .type = 'c', .major = 1, .minor = 3};
	check(volt_device_validate(&dots, 0, &err) < 0, "device path .. refused");
	struct oci_device fm = {.path = "/dev/x",
				.type = 'c',
				.major = 1,
				.minor = 3,
				.has_file_mode = true,
				.file_mode = 0060666};
	check(volt_device_validate(&fm, 0, &err) < 0,
	      "fileMode with block type bits on a char device refused");
	struct oci_device fm2 = {.path = "/dev/x",
				 .type = 'c',
				 .major = 1,
				 .minor = 3,
				 .has_file_mode = true,
				 .file_mode = 0020666};
	check(volt_device_validate(&fm2, 0, &err) == 0, "fileMode with matching type bits accepted");
}

int main(void)
{
	test_options();
	test_sysctl();
	test_devices();
	return tap_done();
}
