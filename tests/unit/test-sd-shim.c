/* Stardust's shim, pure parts: VM annotations, the kernel version in a
 * kernel's file name, module load order from a modules.dep, config.json's
 * root.path rewrite for the guest, the image geometry, and the newc cpio
 * writer (byte layout, and `cpio -it` listing it when cpio is installed). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/shim/cpio.h"
#include "stardust/shim/image.h"
#include "stardust/shim/modules.h"
#include "stardust/shim/vm-opts.h"

static int n_test, n_fail;

static void check(bool ok, const char *name)
{
	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d - %s\n", ok ? "" : "not ", n_test, name);
}

static int opts(struct sd_vm_opts *o, struct volt_error *err, size_t n, const char *const *kv)
{
	struct oci_kv v[8];
	for (size_t i = 0; i < n; i++)
		v[i] = (struct oci_kv){.key = (char *)kv[2 * i], .value = (char *)kv[2 * i + 1]};
	struct oci_map m = {.v = v, .n = n};
	return sd_vm_opts_parse(&m, o, err);
}

static void test_opts(void)
{
	struct sd_vm_opts o;
	struct volt_error err;
	check(opts(&o, &err, 0, NULL) == 0 && o.vcpus == 1 && o.mem_mib == 256 && !o.kernel && !o.ephemeral &&
		  o.boot_timeout_s == 120,
	      "annotations: defaults without any");
	const char *all[] = {SD_ANN_VCPUS,   "4",	   SD_ANN_MEMORY,	"512",
			     SD_ANN_KERNEL,  "/k/vmlinux", SD_ANN_EPHEMERAL,	"true",
			     SD_ANN_CMDLINE, "quiet",	   SD_ANN_BOOT_TIMEOUT, "30"};
	check(opts(&o, &err, 6, all) == 0 && o.vcpus == 4 && o.mem_mib == 512 &&
		  strcmp(o.kernel, "/k/vmlinux") == 0 && o.ephemeral && strcmp(o.cmdline, "quiet") == 0 &&
		  o.boot_timeout_s == 30,
	      "annotations: every key read");
	const char *bad_vcpus[] = {SD_ANN_VCPUS, "33"};
	check(opts(&o, &err, 1, bad_vcpus) < 0 && strstr(err.msg, SD_ANN_VCPUS),
	      "annotations: 33 vCPUs refused, key named");
	const char *neg[] = {SD_ANN_MEMORY, "-1"};
	check(opts(&o, &err, 1, neg) < 0, "annotations: negative memory refused");
	const char *junk[] = {SD_ANN_MEMORY, "12x"};
	check(opts(&o, &err, 1, junk) < 0, "annotations: trailing junk refused");
	const char *small[] = {SD_ANN_MEMORY, "8"};
	check(opts(&o, &err, 1, small) < 0, "annotations: memory under the minimum refused");
	const char *eph[] = {SD_ANN_EPHEMERAL, "yes"};
	check(opts(&o, &err, 1, eph) < 0, "annotations: ephemeral other than true/false refused");
	const char *rel[] = {SD_ANN_KERNEL, "vmlinux"};
	check(opts(&o, &err, 1, rel) < 0, "annotations: relative kernel path refused");

	char v[64];
	check(sd_kernel_version_from_path("/boot/vmlinuz-6.1.0-57-amd64", v, sizeof v, &err) == 0 &&
		  strcmp(v, "6.1.0-57-amd64") == 0,
	      "kernel version from vmlinuz-VERSION");
	check(sd_kernel_version_from_path("/x/vmlinux-6.1.0", v, sizeof v, &err) == 0 &&
		  strcmp(v, "6.1.0") == 0,
	      "kernel version from vmlinux-VERSION");
	check(sd_kernel_version_from_path("/x/bzImage", v, sizeof v, &err) < 0 &&
		  strstr(err.msg, SD_ANN_MODULES),
	      "no version in the name: error points at the modules annotation");
	check(sd_kernel_version_from_path("/x/vmlinuz-..", v, sizeof v, &err) < 0, "vmlinuz-.. refused");
}

static const char dep[] =
    "kernel/fs/mbcache.ko:\n"
    "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
    "kernel/fs/jbd2/jbd2.ko:\n"
    "kernel/crypto/crc32c_generic.ko:\n"
    "kernel/lib/crc16.ko:\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n";

static ssize_t idx(const struct sd_module_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		char m[64];
		sd_module_name(l->path[i], m, sizeof m);
		if (strcmp(m, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static void test_modules(void)
{
	struct sd_module_list l = {0};
	struct volt_error err;
	int r = sd_modules_resolve(dep, NULL, sd_guest_modules, sd_guest_modules_n, &l, &err);
	check(r == 0 && l.n == 10, "modules: the guest set and its dependencies, each once");
	check(idx(&l, "virtio_ring") < idx(&l, "virtio") && idx(&l, "virtio") < idx(&l, "virtio_mmio") &&
		  idx(&l, "virtio") < idx(&l, "virtio_blk") && idx(&l, "virtio") < idx(&l, "virtio_console"),
	      "modules: virtio_ring, then virtio, then the drivers");
	check(idx(&l, "jbd2") < idx(&l, "ext4") && idx(&l, "mbcache") < idx(&l, "ext4") &&
		  idx(&l, "crc16") < idx(&l, "ext4"),
	      "modules: ext4 after jbd2, mbcache, crc16");
	check(idx(&l, "virtio_blk") >= 0 && strstr(l.path[idx(&l, "virtio_blk")], ".ko.xz"),
	      "modules: compressed module paths kept as they are");
	sd_module_list_free(&l);
	const char *builtin = "kernel/fs/ext4/ext4.ko\n";
	const char *names[] = {"ext4", "virtio-blk"};
	char dep2[] = "kernel/drivers/block/virtio_blk.ko:\n";
	r = sd_modules_resolve(dep2, builtin, names, 2, &l, &err);
	check(r == 0 && l.n == 1 && idx(&l, "virtio_blk") == 0, "modules: built-in skipped, '-' matches '_'");
	sd_module_list_free(&l);
	const char *missing[] = {"nosuch"};
	check(sd_modules_resolve(dep, NULL, missing, 1, &l, &err) < 0 && strstr(err.msg, "nosuch"),
	      "modules: a missing module is an error naming it");
	char loop[] = "a.ko: b.ko\nb.ko: a.ko\n";
	const char *a[] = {"a"};
	check(sd_modules_resolve(loop, NULL, a, 1, &l, &err) < 0,
	      "modules: a cyclic modules.dep ends in an error");
}

static void test_config(void)
{
	struct volt_error err;
	_cleanup_free_ char *out = NULL;
	const char *in =
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"/var/lib/x/merged\",\"readonly\":true},"
	    "\"process\":{\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\"],\"user\":{\"uid\":0,\"gid\":1.5e3}},"
	    "\"annotations\":{\"path\":\"keep\"},\"x\":null,\"f\":false}";
	check(sd_config_for_guest(in, &out, &err) == 0, "config: rewritten");
	check(out && strstr(out, "\"root\":{\"path\":\"rootfs\",\"readonly\":true}"),
	      "config: root.path is rootfs, readonly kept");
	check(out && strstr(out, "\"annotations\":{\"path\":\"keep\"}"),
	      "config: other \"path\" keys untouched");
	check(out && strstr(out, "\"echo \\\"hi\\\"\"") && strstr(out, "1.5e3") &&
		  strstr(out, "\"x\":null") && strstr(out, "\"f\":false"),
	      "config: strings, numbers as written, null and false kept");
	free(out);
	out = NULL;
	check(sd_config_for_guest("{\"ociVersion\":\"1.2.0\",\"root\":{}}", &out, &err) == 0 && out &&
		  strstr(out, "\"root\":{\"path\":\"rootfs\"}"),
	      "config: a root without path gets one");
	free(out);
	out = NULL;
	check(sd_config_for_guest("{\"ociVersion\":\"1.2.0\"}", &out, &err) == 0 && out &&
		  strstr(out, "\"root\":{\"path\":\"rootfs\"}"),
	      "config: a config without root gets one");
	free(out);
	out = NULL;
	check(sd_config_for_guest("[1,2]", &out, &err) < 0, "config: not an object refused");
	check(sd_config_for_guest("{\"a\":", &out, &err) < 0, "config: broken JSON refused");
}

static void test_geometry(void)
{
	uint64_t kib, inodes;
	sd_image_geometry(0, 1, &kib, &inodes);
	check(kib >= 32 * 1024 && kib % 1024 == 0 && inodes >= 4096,
	      "geometry: an empty rootfs gets 32 MiB, 4096 inodes");
	sd_image_geometry(100ULL << 20, 20000, &kib, &inodes);
	check(kib * 1024 > (100ULL << 20) * 5 / 4 && inodes >= 20000 * 5 / 4,
	      "geometry: 100 MiB in 20000 files: room for data, metadata and more inodes");
}

static void test_cpio(void)
{
	struct volt_error err;
	int fd = memfd_create("cpio", 0);
	struct sd_cpio w;
	sd_cpio_init(&w, fd);
	bool ok = sd_cpio_dir(&w, "etc", 0755, &err) == 0 &&
		  sd_cpio_file(&w, "etc/hello", 0644, "hi\n", 3, &err) == 0 &&
		  sd_cpio_chardev(&w, "console", 0600, 5, 1, &err) == 0 && sd_cpio_finish(&w, &err) == 0;
	check(ok && w.off % 4 == 0, "cpio: written, 4-byte aligned");
	uint8_t buf[1024];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	check(n > 110 && memcmp(buf, "070701", 6) == 0 && memcmp(buf + 110, "etc\0", 4) == 0,
	      "cpio: newc magic, then the name");
	/* Second header: after 110 + "etc\0" (4) padded to 116. */
	check(memcmp(buf + 116, "070701", 6) == 0 && memcmp(buf + 116 + 14, "000081A4", 8) == 0 &&
		  memcmp(buf + 116 + 54, "00000003", 8) == 0,
	      "cpio: file header with mode 0100644 and size 3");
	bool trailer = memmem(buf, (size_t)n, "TRAILER!!!", 10) != NULL;
	check(trailer, "cpio: ends with TRAILER!!!");
	if (system("command -v cpio >/dev/null 2>&1") == 0) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "cpio -it --quiet < /proc/%d/fd/%d 2>&1 | tr '\\n' ' '", getpid(),
			 fd);
		FILE *p = popen(cmd, "r");
		char line[256] = "";
		if (p) {
			if (!fgets(line, sizeof line, p))
				line[0] = '\0';
			pclose(p);
		}
		check(strcmp(line, "etc etc/hello console ") == 0, "cpio: cpio -it lists the entries");
	} else
		printf("ok %d - cpio -it # SKIP cpio not installed\n", ++n_test);
	close(fd);
}

int main(void)
{
	test_opts();
	test_modules();
	test_config();
	test_geometry();
	test_cpio();
	printf("1..%d\n", n_test);
	return n_fail != 0;
}
