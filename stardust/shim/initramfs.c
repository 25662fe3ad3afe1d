#include "stardust/shim/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/shim/cpio.h"
#include "stardust/shim/modules.h"

/* Whole small text file (modules.dep is ~500 KiB); NULL with err on failure,
 * NULL without err (errno ENOENT) only when optional. */
static char *slurp(const char *path, bool optional, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (!(optional && errno == ENOENT))
			volt_err(err, errno, "%s", path);
		return NULL;
	}
	if (st.st_size > 64 << 20) {
		volt_err(err, -EFBIG, "%s: larger than 64 MiB", path);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		volt_err(err, -ENOMEM, "%s", path);
		return NULL;
	}
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* The core set, and the network set (mods->net) when the tree has it: a
 * kernel without virtio_net still runs VMs without a network, and
 * stardust-init says what is missing when one asks for it. */
struct guest_mods {
	struct sd_module_list core, net;
	bool have_net;
};

static void guest_mods_free(struct guest_mods *m)
{
	sd_module_list_free(&m->core);
	sd_module_list_free(&m->net);
}

static int resolve(const char *moddir, struct guest_mods *mods, struct volt_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/modules.dep", moddir);
	_cleanup_free_ char *dep = slurp(path, false, err);
	if (!dep)
		return volt_err_ctx(err, "guest kernel modules");
	snprintf(path, sizeof path, "%s/modules.builtin", moddir);
	struct volt_error ignored;
	_cleanup_free_ char *builtin = slurp(path, true, &ignored);
	if (sd_modules_resolve(dep, builtin, sd_guest_modules, sd_guest_modules_n, &mods->core, err) < 0)
		return -1;
	mods->have_net = sd_modules_resolve(dep, builtin, sd_guest_net_modules, sd_guest_net_modules_n,
					    &mods->net, &ignored) == 0;
	if (mods->have_net)
		sd_module_list_subtract(&mods->net, &mods->core);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The module files under lib/modules/ and their load order in list_path. */
static int add_modules(struct sd_cpio *w, const char *moddir, const struct sd_module_list *mods,
		       const char *list_path, struct volt_error *err)
{
	char list[SD_MODULES_MAX * 160];
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; i < mods->n; i++) {
		char src[4096], dst[512];
		snprintf(src, sizeof src, "%s/%s", moddir, mods->path[i]);
		snprintf(dst, sizeof dst, "lib/modules/%s", base_name(mods->path[i]));
		if (sd_cpio_copy(w, dst, 0644, src, err) < 0)
			return -1;
		int n = snprintf(list + used, sizeof list - used, "/%s\n", dst);
		if (n < 0 || (size_t)n >= sizeof list - used)
			return volt_err(err, -E2BIG, "initramfs: module list too long");
		used += (size_t)n;
	}
	return sd_cpio_file(w, &list_path[1] /* no leading slash */, 0644, list, used, err);
}

static int write_archive(int fd, const char *init_bin, const char *moddir, const struct guest_mods *mods,
			 struct volt_error *err)
{
	struct sd_cpio w;
	sd_cpio_init(&w, fd);
	static const char *const dirs[] = {"dev", "proc",	  "sys", "run",	       "bundle",
					   "etc", "etc/stardust", "lib", "lib/modules"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (sd_cpio_dir(&w, dirs[i], 0755, err) < 0)
			return -1;
	if (sd_cpio_chardev(&w, "dev/console", 0600, 5, 1, err) < 0)
		return -1;
	if (sd_cpio_copy(&w, "init", 0755, init_bin, err) < 0)
		return -1;
	if (add_modules(&w, moddir, &mods->core, SD_GUEST_MODULE_LIST, err) < 0)
		return -1;
	if (mods->have_net && add_modules(&w, moddir, &mods->net, SD_GUEST_NET_MODULE_LIST, err) < 0)
		return -1;
	return sd_cpio_finish(&w, err);
}

int sd_initramfs_write(const char *out, const char *init_bin, const char *moddir, struct volt_error *err)
{
	struct guest_mods mods = {0};
	if (resolve(moddir, &mods, err) < 0) {
		guest_mods_free(&mods);
		return -1;
	}
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		guest_mods_free(&mods);
		return volt_err(err, errno, "initramfs %s", out);
	}
	int r = write_archive(fd, init_bin, moddir, &mods, err);
	guest_mods_free(&mods);
	if (close(fd) < 0 && r == 0)
		r = volt_err(err, errno, "initramfs %s", out);
	if (r < 0)
		unlink(out);
	return r;
}

/* FNV-1a: a cache key, not a defence (the cache dir is root's). */
static void fnv(uint64_t *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ULL;
	}
}

static int hash_file(uint64_t *h, const char *path, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "%s", path);
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return volt_err(err, errno, "%s", path);
		if (n == 0)
			return 0;
		fnv(h, buf, (size_t)n);
	}
}

int sd_initramfs_cached(const char *cache_dir, const char *init_bin, const char *moddir, char *path,
			size_t cap, struct volt_error *err)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (hash_file(&h, init_bin, err) < 0)
		return volt_err_ctx(err, "stardust-init");
	/* The module tree by its modules.dep: it changes whenever modules do. */
	char dep[4096];
	snprintf(dep, sizeof dep, "%s/modules.dep", moddir);
	struct stat st;
	if (stat(dep, &st) < 0)
		return volt_err(err, errno, "guest kernel modules: %s", dep);
	fnv(&h, moddir, strlen(moddir));
	fnv(&h, &st.st_size, sizeof st.st_size);
	fnv(&h, &st.st_mtim.tv_sec, sizeof st.st_mtim.tv_sec);
	if ((size_t)snprintf(path, cap, "%s/initrd-%016llx.cpio", cache_dir, (unsigned long long)h) >= cap)
		return volt_err(err, -ENAMETOOLONG, "initramfs cache %s", cache_dir);
	if (access(path, R_OK) == 0)
		return 0;
	if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST)
		return volt_err(err, errno, "initramfs cache %s", cache_dir);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
	if (sd_initramfs_write(tmp, init_bin, moddir, err) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return volt_err(err, errno, "initramfs cache %s", path);
	}
	return 0;
}
