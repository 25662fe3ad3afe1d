#include <endian.h>
#include <errno.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stardust/vmm/virtio/block.h"

#define BLK_HDR_LEN 16 /* type u32, reserved u32, sector u64 */

static struct sd_blk *to_blk(struct sd_virtio_dev *d)
{
	return (struct sd_blk *)d;
}

static void blk_config_read(struct sd_virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct sd_blk *b = to_blk(d);
	uint8_t cfg[SD_BLK_CONFIG_LEN] = {0};
	uint64_t cap = htole64(b->capacity);
	uint32_t seg_max = htole32(SD_BLK_SEG_MAX);
	memcpy(cfg, &cap, 8);
	memcpy(cfg + 12, &seg_max, 4);
	memcpy(data, cfg + off, len);
}

/* Nothing in our config space is driver-writable (no CONFIG_WCE). */
static void blk_config_write(struct sd_virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
}

/* Whole transfer or failure: a short read means the image shrank under us. */
static int rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool write)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (uint64_t)r;
		sd_iov_advance(&iov, &n, (size_t)r);
	}
	return 0;
}

/* Data requests: whole sectors, inside the image. */
static uint8_t blk_rw(struct sd_blk *b, const struct sd_vq_chain *c, uint64_t sector, bool write,
		      uint32_t *data_written)
{
	uint64_t len = write ? c->readable - BLK_HDR_LEN : c->writable - 1u;
	if (write && b->read_only)
		return SD_VIRTIO_BLK_S_IOERR;
	if (len % SD_BLK_SECTOR || sector > b->capacity || len / SD_BLK_SECTOR > b->capacity - sector)
		return SD_VIRTIO_BLK_S_IOERR;
	struct iovec iov[SD_VQ_SIZE_MAX];
	int n = sd_vq_chain_iov(c, !write, write ? BLK_HDR_LEN : 0, len, iov, SD_VQ_SIZE_MAX);
	if (n < 0 || rw_full(b->fd, iov, n, sector * SD_BLK_SECTOR, write) < 0)
		return SD_VIRTIO_BLK_S_IOERR;
	if (!write)
		*data_written = (uint32_t)len;
	return SD_VIRTIO_BLK_S_OK;
}

/* Serve one request; returns the bytes written into the chain. The status
 * byte is the last writable byte; without one nothing can be reported. */
static uint32_t blk_request(struct sd_blk *b, const struct sd_vq_chain *c)
{
	if (c->writable < 1)
		return 0;
	uint32_t data = 0;
	uint8_t status;
	uint8_t hdr[BLK_HDR_LEN];
	if (c->readable < BLK_HDR_LEN || sd_vq_chain_read(c, 0, hdr, BLK_HDR_LEN) != BLK_HDR_LEN) {
		status = SD_VIRTIO_BLK_S_IOERR;
	} else {
		uint32_t type;
		uint64_t sector;
		memcpy(&type, hdr, 4);
		memcpy(&sector, hdr + 8, 8);
		type = le32toh(type);
		sector = le64toh(sector);
		switch (type) {
		case SD_VIRTIO_BLK_T_IN:
		case SD_VIRTIO_BLK_T_OUT:
			status = blk_rw(b, c, sector, type == SD_VIRTIO_BLK_T_OUT, &data);
			break;
		case SD_VIRTIO_BLK_T_FLUSH:
			status = fdatasync(b->fd) < 0 ? SD_VIRTIO_BLK_S_IOERR : SD_VIRTIO_BLK_S_OK;
			break;
		case SD_VIRTIO_BLK_T_GET_ID:
			data = c->writable - 1 < SD_BLK_ID_BYTES ? c->writable - 1 : SD_BLK_ID_BYTES;
			sd_vq_chain_write(c, 0, b->id, data);
			status = SD_VIRTIO_BLK_S_OK;
			break;
		default:
			status = SD_VIRTIO_BLK_S_UNSUPP;
		}
	}
	sd_vq_chain_write(c, c->writable - 1, &status, 1);
	return data + 1;
}

static int blk_notify(struct sd_virtio_dev *d, uint16_t qi, struct volt_error *err)
{
	struct sd_blk *b = to_blk(d);
	bool pushed = false;
	int r;
	while ((r = sd_vq_pop(&b->queue, d->mem, &b->chain, err)) > 0) {
		uint32_t written = blk_request(b, &b->chain);
		if (sd_vq_push(&b->queue, b->chain.head, written, err) < 0)
			return -1;
		pushed = true;
	}
	/* Completed requests are reported even when a later one broke the queue. */
	if (pushed)
		sd_virtio_used(d, 0);
	return r < 0 ? -1 : 0;
}

static int blk_activate(struct sd_virtio_dev *d, struct volt_error *err)
{
	return 0;
}

static void blk_reset(struct sd_virtio_dev *d)
{
}

static const struct sd_virtio_ops blk_ops = {
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .activate = blk_activate,
    .notify = blk_notify,
    .reset = blk_reset,
};

int sd_blk_init(struct sd_blk *b, const struct sd_guest_mem *mem, int fd, bool read_only, const char *serial,
		struct volt_error *err)
{
	struct stat st;
	uint64_t bytes;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "virtio-blk: fstat image fd %d", fd);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return volt_err(err, errno, "virtio-blk: BLKGETSIZE64 on fd %d", fd);
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		return volt_err(err, -EINVAL, "virtio-blk: image fd %d is neither a file nor a block device",
				fd);
	}

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->read_only = read_only;
	b->capacity = bytes / SD_BLK_SECTOR;
	if (serial) /* NUL-terminated only if shorter than 20 bytes, per spec */
		memcpy(b->id, serial, strnlen(serial, SD_BLK_ID_BYTES));
	b->queue.max_size = SD_BLK_QUEUE_SIZE;
	b->dev = (struct sd_virtio_dev){
	    .device_id = SD_VIRTIO_ID_BLOCK,
	    .features = (1ULL << SD_VIRTIO_F_VERSION_1) | (1ULL << SD_VIRTIO_F_INDIRECT_DESC) |
			(1ULL << SD_VIRTIO_F_EVENT_IDX) | (1ULL << SD_VIRTIO_BLK_F_SEG_MAX) |
			(1ULL << SD_VIRTIO_BLK_F_FLUSH) | (read_only ? 1ULL << SD_VIRTIO_BLK_F_RO : 0),
	    .config_len = SD_BLK_CONFIG_LEN,
	    .nqueues = 1,
	    .queues = &b->queue,
	    .mem = mem,
	    .ops = &blk_ops,
	};
	return 0;
}
