/* A host-side stand-in for the guest's virtio driver, shared by the Stardust
 * virtio unit tests: guest memory is an mmap'd region fenced by PROT_NONE
 * guard pages (any device access outside it faults the test), rings are laid
 * out in it as a driver would, and the mmio registers are driven in the order
 * Linux's virtio_mmio + virtio core use. */
#ifndef TESTS_UNIT_SD_VIRTIO_FAKE_DRIVER_H
#define TESTS_UNIT_SD_VIRTIO_FAKE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stardust/vmm/guest-mem.h"
#include "stardust/vmm/virtio/mmio.h"
#include "stardust/vmm/virtio/queue.h"

#define FK_UNUSED __attribute__((unused))

static int n_test, n_fail;

static FK_UNUSED void check(bool ok, const char *name, const char *detail)
{
	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", n_test, name, detail && !ok ? ": " : "",
	       detail && !ok ? detail : "");
	fflush(stdout);
}

static FK_UNUSED int done(void)
{
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}

struct fk_queue {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx; /* next avail idx the driver publishes */
	uint16_t used_seen; /* used entries consumed */
};

struct fake {
	struct sd_guest_mem mem;
	uint8_t *map;
	size_t map_len, page;
	struct sd_mmio *t;
	struct fk_queue q[4];
	int irq_level, irq_raises;
	int last_rc;
	struct volt_error err;
};

/* size bytes of guest memory at gpa 0 with a guard page on each side. */
static FK_UNUSED void fk_mem_init(struct fake *f, size_t size)
{
	memset(f, 0, sizeof(*f));
	f->page = (size_t)sysconf(_SC_PAGESIZE);
	f->map_len = size + 2 * f->page;
	f->map = mmap(NULL, f->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->map == MAP_FAILED || mprotect(f->map + f->page, size, PROT_READ | PROT_WRITE) < 0) {
		perror("guest memory");
		exit(2);
	}
	f->mem.n = 1;
	f->mem.r[0] = (struct sd_mem_region){.gpa = 0, .size = size, .host = f->map + f->page};
}

static FK_UNUSED void fk_mem_free(struct fake *f)
{
	munmap(f->map, f->map_len);
}

static FK_UNUSED uint8_t *gp(struct fake *f, uint64_t gpa)
{
	return f->mem.r[0].host + gpa;
}

static FK_UNUSED void put16(struct fake *f, uint64_t gpa, uint16_t v)
{
	memcpy(gp(f, gpa), &v, 2);
}

static FK_UNUSED uint16_t get16(struct fake *f, uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, gp(f, gpa), 2);
	return v;
}

static FK_UNUSED uint32_t get32(struct fake *f, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, gp(f, gpa), 4);
	return v;
}

/* Queue layout of queue i: desc, avail, used at fixed places below 0x40000. */
static FK_UNUSED void fk_layout(struct fake *f, int i, uint16_t size)
{
	struct fk_queue *q = &f->q[i];
	uint64_t base = 0x10000 + (uint64_t)i * 0x4000;
	*q = (struct fk_queue){.size = size, .desc = base, .avail = base + 0x1000, .used = base + 0x2000};
	memset(gp(f, base), 0, 0x4000);
}

static FK_UNUSED void fk_desc(struct fake *f, int qi, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			      uint16_t next)
{
	uint8_t *d = gp(f, f->q[qi].desc + 16ULL * i);
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Raw descriptor into any table (indirect tables). */
static FK_UNUSED void fk_desc_at(struct fake *f, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
				 uint16_t flags, uint16_t next)
{
	uint8_t *d = gp(f, table + 16ULL * i);
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* len bytes at gpa as a chain of `pieces` descriptors head, head+1, ...
 * (the last one takes the remainder), readable by the device. */
static FK_UNUSED void fk_chain(struct fake *f, int qi, uint16_t head, uint64_t gpa, uint32_t len, int pieces)
{
	uint32_t per = len / (uint32_t)pieces, off = 0;
	for (int i = 0; i < pieces; i++) {
		uint32_t n = i == pieces - 1 ? len - off : per;
		uint16_t d = (uint16_t)(head + i);
		fk_desc(f, qi, d, gpa + off, n, i < pieces - 1 ? SD_VIRTQ_DESC_F_NEXT : 0, (uint16_t)(d + 1));
		off += n;
	}
}

static FK_UNUSED void fk_publish(struct fake *f, int qi, uint16_t head)
{
	struct fk_queue *q = &f->q[qi];
	put16(f, q->avail + 4 + 2ULL * (q->avail_idx % q->size), head);
	q->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put16(f, q->avail + 2, q->avail_idx);
}

/* Next used element, if any: returns true and fills id/len. */
static FK_UNUSED bool fk_used(struct fake *f, int qi, uint32_t *id, uint32_t *len)
{
	struct fk_queue *q = &f->q[qi];
	if (get16(f, q->used + 2) == q->used_seen)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint64_t e = q->used + 4 + 8ULL * (q->used_seen % q->size);
	*id = get32(f, e);
	*len = get32(f, e + 4);
	q->used_seen++;
	return true;
}

/* ---- mmio side ---- */

static FK_UNUSED void fk_irq(void *opaque, int level)
{
	struct fake *f = opaque;
	f->irq_level = level;
	if (level)
		f->irq_raises++;
}

static FK_UNUSED uint32_t mr(struct fake *f, uint64_t off)
{
	uint32_t v = 0;
	f->last_rc = sd_mmio_read(f->t, off, &v, 4, &f->err);
	return v;
}

static FK_UNUSED int mw(struct fake *f, uint64_t off, uint32_t v)
{
	f->last_rc = sd_mmio_write(f->t, off, &v, 4, &f->err);
	return f->last_rc;
}

static FK_UNUSED void fk_add_status(struct fake *f, uint32_t bit)
{
	mw(f, SD_MMIO_STATUS, mr(f, SD_MMIO_STATUS) | bit);
}

/* virtio core's probe up to FEATURES_OK: accept want & offered (or exactly
 * `want` when force). Returns whether FEATURES_OK stuck. */
static FK_UNUSED bool fk_negotiate(struct fake *f, uint64_t want, bool force)
{
	if (mr(f, SD_MMIO_MAGIC_VALUE) != SD_MMIO_MAGIC || mr(f, SD_MMIO_VERSION_REG) != 2)
		return false;
	mw(f, SD_MMIO_STATUS, 0);
	fk_add_status(f, SD_VIRTIO_S_ACKNOWLEDGE);
	fk_add_status(f, SD_VIRTIO_S_DRIVER);
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t offered = (uint64_t)mr(f, SD_MMIO_DEVICE_FEATURES) << 32;
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 0);
	offered |= mr(f, SD_MMIO_DEVICE_FEATURES);
	uint64_t acc = force ? want : want & offered;
	mw(f, SD_MMIO_DRIVER_FEATURES_SEL, 1);
	mw(f, SD_MMIO_DRIVER_FEATURES, (uint32_t)(acc >> 32));
	mw(f, SD_MMIO_DRIVER_FEATURES_SEL, 0);
	mw(f, SD_MMIO_DRIVER_FEATURES, (uint32_t)acc);
	fk_add_status(f, SD_VIRTIO_S_FEATURES_OK);
	return mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_FEATURES_OK;
}

static FK_UNUSED void fk_setup_queue(struct fake *f, int qi, uint16_t size)
{
	fk_layout(f, qi, size);
	struct fk_queue *q = &f->q[qi];
	mw(f, SD_MMIO_QUEUE_SEL, (uint32_t)qi);
	mw(f, SD_MMIO_QUEUE_NUM, size);
	mw(f, SD_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
	mw(f, SD_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
	mw(f, SD_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
	mw(f, SD_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
	mw(f, SD_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
	mw(f, SD_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
	mw(f, SD_MMIO_QUEUE_READY, 1);
}

/* Full bring-up with every queue at `size`; returns the final status. */
static FK_UNUSED uint32_t fk_bringup(struct fake *f, uint64_t want, uint16_t size)
{
	if (!fk_negotiate(f, want, false))
		return mr(f, SD_MMIO_STATUS);
	for (uint16_t i = 0; i < f->t->dev->nqueues; i++)
		fk_setup_queue(f, i, size);
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	return mr(f, SD_MMIO_STATUS);
}

static FK_UNUSED void fk_kick(struct fake *f, int qi)
{
	mw(f, SD_MMIO_QUEUE_NOTIFY, (uint32_t)qi);
}

/* Interrupt handler: read and ack InterruptStatus. */
static FK_UNUSED uint32_t fk_ack(struct fake *f)
{
	uint32_t isr = mr(f, SD_MMIO_INTERRUPT_STATUS);
	mw(f, SD_MMIO_INTERRUPT_ACK, isr);
	return isr;
}

#endif
