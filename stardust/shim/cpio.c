#include "stardust/shim/cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"

void sd_cpio_init(struct sd_cpio *w, int fd)
{
	w->fd = fd;
	w->ino = 1;
	w->off = 0;
}

static int put(struct sd_cpio *w, const void *data, size_t len, struct volt_error *err)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return volt_err(err, n < 0 ? errno : EIO, "initramfs: write");
		p += n;
		len -= (size_t)n;
		w->off += (uint64_t)n;
	}
	return 0;
}

static int pad4(struct sd_cpio *w, struct volt_error *err)
{
	static const char zero[4];
	size_t n = (4 - (w->off & 3)) & 3;
	return n ? put(w, zero, n, err) : 0;
}

static int header_dev(struct sd_cpio *w, const char *name, uint32_t mode, uint64_t size, uint32_t nlink,
		      unsigned rmajor, unsigned rminor, struct volt_error *err)
{
	if (size > UINT32_MAX)
		return volt_err(err, -EFBIG, "initramfs: %s is larger than 4 GiB", name);
	size_t namesize = strlen(name) + 1;
	char h[111];
	/* magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", w->ino++, mode,
		 0U, 0U, nlink, 0U, (uint32_t)size, 0U, 0U, rmajor, rminor, (uint32_t)namesize, 0U);
	if (put(w, h, 110, err) < 0 || put(w, name, namesize, err) < 0)
		return -1;
	return pad4(w, err);
}

static int header(struct sd_cpio *w, const char *name, uint32_t mode, uint64_t size, uint32_t nlink,
		  struct volt_error *err)
{
	return header_dev(w, name, mode, size, nlink, 0, 0, err);
}

int sd_cpio_chardev(struct sd_cpio *w, const char *name, mode_t perm, unsigned major, unsigned minor,
		    struct volt_error *err)
{
	return header_dev(w, name, S_IFCHR | (perm & 07777), 0, 1, major, minor, err);
}

int sd_cpio_dir(struct sd_cpio *w, const char *name, mode_t perm, struct volt_error *err)
{
	return header(w, name, S_IFDIR | (perm & 07777), 0, 2, err);
}

int sd_cpio_file(struct sd_cpio *w, const char *name, mode_t perm, const void *data, size_t len,
		 struct volt_error *err)
{
	if (header(w, name, S_IFREG | (perm & 07777), len, 1, err) < 0 || put(w, data, len, err) < 0)
		return -1;
	return pad4(w, err);
}

int sd_cpio_copy(struct sd_cpio *w, const char *name, mode_t perm, const char *src, struct volt_error *err)
{
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return volt_err(err, errno, "initramfs: %s", src);
	if (!S_ISREG(st.st_mode))
		return volt_err(err, -EINVAL, "initramfs: %s is not a regular file", src);
	if (header(w, name, S_IFREG | (perm & 07777), (uint64_t)st.st_size, 1, err) < 0)
		return -1;
	char buf[65536];
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return volt_err(err, n < 0 ? errno : EIO, "initramfs: %s changed while being read",
					src);
		if (n > left)
			n = (ssize_t)left;
		if (put(w, buf, (size_t)n, err) < 0)
			return -1;
		left -= n;
	}
	return pad4(w, err);
}

int sd_cpio_finish(struct sd_cpio *w, struct volt_error *err)
{
	w->ino = 0;
	return header(w, "TRAILER!!!", 0, 0, 1, err);
}
