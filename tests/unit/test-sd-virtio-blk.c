/* virtio-blk over a temporary image file, through the mmio transport and a
 * fake driver laying out requests the way Linux's virtio_blk does (header,
 * data, status byte): reads, writes, flush, GET_ID, and requests a hostile or
 * buggy guest makes, each answered with an error status or NEEDS_RESET. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stardust/vmm/virtio/block.h"
#include "sd-virtio-fake-driver.h"

#define MEM_SIZE (1u << 20)
#define SECTORS	 64
#define HDR	 0x40000ULL
#define DATA	 0x41000ULL
#define STATUS	 0x4f000ULL
#define TABLE	 0x30000ULL

#define BIT(b) (1ULL << (b))
#define F_LINUX                                                                                              \
	(BIT(SD_VIRTIO_F_VERSION_1) | BIT(SD_VIRTIO_F_INDIRECT_DESC) | BIT(SD_VIRTIO_F_EVENT_IDX) |          \
	 BIT(SD_VIRTIO_BLK_F_SEG_MAX) | BIT(SD_VIRTIO_BLK_F_FLUSH) | BIT(SD_VIRTIO_BLK_F_RO))

struct rig {
	struct fake f;
	struct sd_blk blk;
	struct sd_mmio m;
	int fd;
	char path[64];
	uint16_t next_head;
};

static void hdr(struct fake *f, uint64_t gpa, uint32_t type, uint64_t sector)
{
	memset(gp(f, gpa), 0, 16);
	memcpy(gp(f, gpa), &type, 4);
	memcpy(gp(f, gpa + 8), &sector, 8);
}

/* Publish the chain at `head`, kick, and collect its completion. */
static bool submit(struct rig *r, uint16_t head, uint32_t *used_len)
{
	fk_publish(&r->f, 0, head);
	fk_kick(&r->f, 0);
	uint32_t id = 0;
	return fk_used(&r->f, 0, &id, used_len) && id == head;
}

/* Linux's layout: header, optional data, status, in descriptors 0..2. */
static int request(struct rig *r, uint32_t type, uint64_t sector, uint32_t data_len, uint32_t *used_len)
{
	struct fake *f = &r->f;
	hdr(f, HDR, type, sector);
	*gp(f, STATUS) = 0xee;
	bool data_in = type != SD_VIRTIO_BLK_T_OUT;
	if (data_len) {
		fk_desc(f, 0, 0, HDR, 16, SD_VIRTQ_DESC_F_NEXT, 1);
		fk_desc(f, 0, 1, DATA, data_len, SD_VIRTQ_DESC_F_NEXT | (data_in ? SD_VIRTQ_DESC_F_WRITE : 0),
			2);
	} else {
		fk_desc(f, 0, 0, HDR, 16, SD_VIRTQ_DESC_F_NEXT, 2);
	}
	fk_desc(f, 0, 2, STATUS, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	uint32_t len = 0;
	if (!submit(r, 0, &len))
		return -1;
	if (used_len)
		*used_len = len;
	return *gp(f, STATUS);
}

static void rig_init(struct rig *r, bool read_only)
{
	fk_mem_init(&r->f, MEM_SIZE);
	snprintf(r->path, sizeof r->path, "/tmp/sd-blk-test-XXXXXX");
	r->fd = mkstemp(r->path);
	uint8_t img[SECTORS * SD_BLK_SECTOR];
	for (size_t i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i / SD_BLK_SECTOR + i * 7);
	if (r->fd < 0 || write(r->fd, img, sizeof img) != (ssize_t)sizeof img) {
		perror("image");
		exit(2);
	}
	if (sd_blk_init(&r->blk, &r->f.mem, r->fd, read_only, "volt-disk-0", &r->f.err) < 0) {
		fprintf(stderr, "%s\n", r->f.err.msg);
		exit(2);
	}
	sd_mmio_init(&r->m, &r->blk.dev, fk_irq, &r->f);
	r->f.t = &r->m;
}

static void rig_free(struct rig *r)
{
	close(r->fd);
	unlink(r->path);
	fk_mem_free(&r->f);
}

static void image_read(struct rig *r, void *buf, size_t len, uint64_t off)
{
	if (pread(r->fd, buf, len, (off_t)off) != (ssize_t)len) {
		perror("image read");
		exit(2);
	}
}

static bool image_is(struct rig *r, uint64_t off, const void *want, size_t len)
{
	uint8_t buf[4096];
	return len <= sizeof buf && pread(r->fd, buf, len, (off_t)off) == (ssize_t)len &&
	       !memcmp(buf, want, len);
}

static void test_rw(void)
{
	struct rig r;
	rig_init(&r, false);
	struct fake *f = &r.f;
	uint32_t st = fk_bringup(f, F_LINUX, 128);
	check(st == 0xf && !sd_virtio_acked(&r.blk.dev, SD_VIRTIO_BLK_F_RO) &&
		  sd_virtio_acked(&r.blk.dev, SD_VIRTIO_BLK_F_FLUSH),
	      "virtio-blk comes up; RO not offered on a writable disk", f->err.msg);
	uint64_t cap = 0;
	uint32_t seg = 0;
	sd_mmio_read(&r.m, 0x100, &cap, 8, &f->err);
	sd_mmio_read(&r.m, 0x10c, &seg, 4, &f->err);
	check(cap == SECTORS && seg == SD_BLK_SEG_MAX, "capacity and seg_max in config space", NULL);

	uint8_t want[1024];
	image_read(&r, want, sizeof want, 3 * SD_BLK_SECTOR);
	uint32_t used = 0;
	int s = request(&r, SD_VIRTIO_BLK_T_IN, 3, 1024, &used);
	check(s == SD_VIRTIO_BLK_S_OK && used == 1025 && !memcmp(gp(f, DATA), want, 1024),
	      "read of two sectors returns the image data", f->err.msg);
	check(f->irq_level == 1 && fk_ack(f) == SD_VIRTIO_INT_USED, "completion interrupts the driver", NULL);

	memset(gp(f, DATA), 0x5a, 1024);
	s = request(&r, SD_VIRTIO_BLK_T_OUT, 10, 1024, &used);
	check(s == SD_VIRTIO_BLK_S_OK && used == 1 && image_is(&r, 10 * SD_BLK_SECTOR, gp(f, DATA), 1024),
	      "write of two sectors lands in the image", NULL);
	s = request(&r, SD_VIRTIO_BLK_T_IN, SECTORS - 1, 512, NULL);
	check(s == SD_VIRTIO_BLK_S_OK, "read of the last sector", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_FLUSH, 0, 0, NULL) == SD_VIRTIO_BLK_S_OK, "flush", NULL);
	s = request(&r, SD_VIRTIO_BLK_T_GET_ID, 0, 20, &used);
	check(s == SD_VIRTIO_BLK_S_OK && used == 21 && !memcmp(gp(f, DATA), "volt-disk-0\0", 12), "GET_ID",
	      NULL);
	check(request(&r, 99, 0, 0, NULL) == SD_VIRTIO_BLK_S_UNSUPP, "unknown request type: UNSUPP", NULL);

	/* Header split over two descriptors, data over three (any layout). */
	hdr(f, HDR, SD_VIRTIO_BLK_T_IN, 5);
	fk_desc(f, 0, 4, HDR, 8, SD_VIRTQ_DESC_F_NEXT, 5);
	fk_desc(f, 0, 5, HDR + 8, 8, SD_VIRTQ_DESC_F_NEXT, 6);
	fk_desc(f, 0, 6, DATA, 100, SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, 7);
	fk_desc(f, 0, 7, DATA + 0x800, 412, SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, 8);
	fk_desc(f, 0, 8, STATUS, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	image_read(&r, want, 512, 5 * SD_BLK_SECTOR);
	check(submit(&r, 4, &used) && *gp(f, STATUS) == 0 && used == 513 && !memcmp(gp(f, DATA), want, 100) &&
		  !memcmp(gp(f, DATA + 0x800), want + 100, 412),
	      "request with split header and scattered data", NULL);

	/* Through an indirect table, as Linux does with INDIRECT_DESC. */
	hdr(f, HDR, SD_VIRTIO_BLK_T_IN, 7);
	fk_desc_at(f, TABLE, 0, HDR, 16, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc_at(f, TABLE, 1, DATA, 512, SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, 2);
	fk_desc_at(f, TABLE, 2, STATUS, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_desc(f, 0, 9, TABLE, 48, SD_VIRTQ_DESC_F_INDIRECT, 0);
	image_read(&r, want, 512, 7 * SD_BLK_SECTOR);
	check(submit(&r, 9, &used) && *gp(f, STATUS) == 0 && !memcmp(gp(f, DATA), want, 512),
	      "request through an indirect table", NULL);

	/* Three requests, one kick. */
	for (uint16_t i = 0; i < 3; i++) {
		hdr(f, HDR + 0x100 * i, SD_VIRTIO_BLK_T_IN, i);
		fk_desc(f, 0, (uint16_t)(20 + 3 * i), HDR + 0x100 * i, 16, SD_VIRTQ_DESC_F_NEXT,
			(uint16_t)(21 + 3 * i));
		fk_desc(f, 0, (uint16_t)(21 + 3 * i), DATA + 0x1000 * i, 512,
			SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, (uint16_t)(22 + 3 * i));
		fk_desc(f, 0, (uint16_t)(22 + 3 * i), STATUS + i, 1, SD_VIRTQ_DESC_F_WRITE, 0);
		fk_publish(f, 0, (uint16_t)(20 + 3 * i));
	}
	fk_kick(f, 0);
	uint32_t id[3] = {0}, len[3];
	bool all = fk_used(f, 0, &id[0], &len[0]) && fk_used(f, 0, &id[1], &len[1]) &&
		   fk_used(f, 0, &id[2], &len[2]);
	check(all && id[0] == 20 && id[1] == 23 && id[2] == 26 && !memcmp(gp(f, STATUS), "\0\0\0", 3),
	      "three requests served by one notify", NULL);
	rig_free(&r);
}

static void test_hostile(void)
{
	struct rig r;
	rig_init(&r, false);
	struct fake *f = &r.f;
	fk_bringup(f, F_LINUX, 128);
	uint8_t orig[4096];
	image_read(&r, orig, sizeof orig, 0);

	check(request(&r, SD_VIRTIO_BLK_T_IN, SECTORS, 512, NULL) == SD_VIRTIO_BLK_S_IOERR,
	      "read at the sector after the end: IOERR", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_IN, SECTORS - 1, 1024, NULL) == SD_VIRTIO_BLK_S_IOERR,
	      "read running past the end: IOERR", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_OUT, 1ULL << 63, 512, NULL) == SD_VIRTIO_BLK_S_IOERR,
	      "write at sector 2^63 (offset overflow): IOERR", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_OUT, 0xffffffffffffffffULL, 512, NULL) == SD_VIRTIO_BLK_S_IOERR,
	      "write at the last sector number: IOERR", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_IN, 0, 100, NULL) == SD_VIRTIO_BLK_S_IOERR,
	      "read of a partial sector: IOERR", NULL);

	/* Header shorter than 16 bytes. */
	hdr(f, HDR, SD_VIRTIO_BLK_T_OUT, 0);
	fk_desc(f, 0, 0, HDR, 8, SD_VIRTQ_DESC_F_NEXT, 2);
	fk_desc(f, 0, 2, STATUS, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	uint32_t used = 0;
	check(submit(&r, 0, &used) && *gp(f, STATUS) == SD_VIRTIO_BLK_S_IOERR && used == 1,
	      "short request header: IOERR", NULL);
	/* No writable byte for the status: nothing to report, nothing done. */
	memset(gp(f, DATA), 0x77, 512);
	hdr(f, HDR, SD_VIRTIO_BLK_T_OUT, 0);
	fk_desc(f, 0, 0, HDR, 16, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, 0, 1, DATA, 512, 0, 0);
	check(submit(&r, 0, &used) && used == 0, "request without a status byte completes empty", NULL);
	check(image_is(&r, 0, orig, sizeof orig), "refused requests left the image untouched", NULL);
	check(!(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET), "bad requests do not break the device",
	      NULL);

	fk_desc(f, 0, 0, HDR, 16, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, 0, 1, MEM_SIZE - 256, 512, SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, 2);
	fk_desc(f, 0, 2, STATUS, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	hdr(f, HDR, SD_VIRTIO_BLK_T_IN, 0);
	fk_publish(f, 0, 0);
	fk_kick(f, 0);
	check((mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET) && (fk_ack(f) & SD_VIRTIO_INT_CONFIG),
	      "data buffer running out of guest memory: NEEDS_RESET", NULL);
	rig_free(&r);
}

static void test_read_only(void)
{
	struct rig r;
	rig_init(&r, true);
	struct fake *f = &r.f;
	fk_bringup(f, F_LINUX, 64);
	check(sd_virtio_acked(&r.blk.dev, SD_VIRTIO_BLK_F_RO), "read-only disk offers VIRTIO_BLK_F_RO", NULL);
	uint8_t orig[1024];
	image_read(&r, orig, sizeof orig, 0);
	memset(gp(f, DATA), 0x33, 1024);
	check(request(&r, SD_VIRTIO_BLK_T_OUT, 0, 1024, NULL) == SD_VIRTIO_BLK_S_IOERR &&
		  image_is(&r, 0, orig, sizeof orig),
	      "write to a read-only disk: IOERR, image unchanged", NULL);
	check(request(&r, SD_VIRTIO_BLK_T_IN, 0, 1024, NULL) == SD_VIRTIO_BLK_S_OK &&
		  !memcmp(gp(f, DATA), orig, 1024),
	      "read from a read-only disk", NULL);
	rig_free(&r);

	struct sd_blk b;
	struct volt_error err;
	int pfd[2];
	check(pipe(pfd) == 0 && sd_blk_init(&b, &f->mem, pfd[0], false, NULL, &err) < 0,
	      "a pipe is refused as a disk image", NULL);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	test_rw();
	test_hostile();
	test_read_only();
	return done();
}
