/* virtio-blk over a host file descriptor (a raw image file or a block
 * device): one request queue, synchronous pread/pwrite on the thread that
 * handles the notify. The fd stays the caller's. */
#ifndef STARDUST_VMM_VIRTIO_BLOCK_H
#define STARDUST_VMM_VIRTIO_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"
#include "stardust/vmm/virtio/device.h"

#define SD_VIRTIO_BLK_F_SEG_MAX 2
#define SD_VIRTIO_BLK_F_RO	5
#define SD_VIRTIO_BLK_F_FLUSH	9

#define SD_VIRTIO_BLK_T_IN     0
#define SD_VIRTIO_BLK_T_OUT    1
#define SD_VIRTIO_BLK_T_FLUSH  4
#define SD_VIRTIO_BLK_T_GET_ID 8

#define SD_VIRTIO_BLK_S_OK     0
#define SD_VIRTIO_BLK_S_IOERR  1
#define SD_VIRTIO_BLK_S_UNSUPP 2

#define SD_BLK_SECTOR	  512
#define SD_BLK_ID_BYTES	  20
#define SD_BLK_QUEUE_SIZE 256
#define SD_BLK_SEG_MAX	  128
#define SD_BLK_CONFIG_LEN 60 /* struct virtio_blk_config up to write_zeroes */

struct sd_blk {
	struct sd_virtio_dev dev; /* first: the transport sees this */
	struct sd_vq queue;
	int fd;
	bool read_only;
	uint64_t capacity; /* 512-byte sectors */
	char id[SD_BLK_ID_BYTES];
	struct sd_vq_chain chain; /* scratch for the request being served */
};

/* serial: the GET_ID string (truncated to 20 bytes; NULL for none). The
 * capacity is the image size rounded down to whole sectors. */
int sd_blk_init(struct sd_blk *b, const struct sd_guest_mem *mem, int fd, bool read_only, const char *serial,
		struct volt_error *err);

#endif
