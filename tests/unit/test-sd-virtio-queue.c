/* Stardust split virtqueue, driven directly (no transport): the happy paths
 * of pop/push/notification suppression, and every hostile ring a guest can
 * write, each of which must be refused without touching memory outside the
 * guest region (guard pages around it turn any stray access into a crash). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sd-virtio-fake-driver.h"

#define MEM_SIZE (1u << 20)
#define BUF	 0x40000ULL /* data buffers */

#define F_INDIRECT (1ULL << SD_VIRTIO_F_INDIRECT_DESC)
#define F_EVENT	   (1ULL << SD_VIRTIO_F_EVENT_IDX)

static struct sd_vq vq_of(struct fake *f, uint16_t size)
{
	fk_layout(f, 0, size);
	return (struct sd_vq){.max_size = SD_VQ_SIZE_MAX,
			      .size = size,
			      .ready = true,
			      .desc_gpa = f->q[0].desc,
			      .avail_gpa = f->q[0].avail,
			      .used_gpa = f->q[0].used};
}

static bool activate(struct fake *f, struct sd_vq *q, uint64_t features)
{
	return sd_vq_activate(q, &f->mem, features, &f->err) == 0;
}

/* Pop must fail, break the queue and leave the used ring alone. */
static void refused(struct fake *f, struct sd_vq *q, const char *name)
{
	struct sd_vq_chain c;
	int r = sd_vq_pop(q, &f->mem, &c, &f->err);
	bool ok = r < 0 && q->broken && get16(f, f->q[0].used + 2) == 0;
	check(ok, name, r < 0 ? NULL : "accepted");
	printf("# %s\n", f->err.msg);
	struct sd_vq_chain c2;
	check(sd_vq_pop(q, &f->mem, &c2, &f->err) < 0, "  ...and the queue stays refused until reset", NULL);
}

static void test_activation(struct fake *f)
{
	struct sd_vq q = vq_of(f, 16);
	check(activate(f, &q, 0), "valid queue activates", f->err.msg);

	q = vq_of(f, 0);
	check(!activate(f, &q, 0), "queue size 0 refused", NULL);
	q = vq_of(f, 24);
	check(!activate(f, &q, 0), "queue size not a power of two refused", NULL);
	q = vq_of(f, 16);
	q.size = 512;
	check(!activate(f, &q, 0), "queue size above QueueNumMax refused", NULL);

	q = vq_of(f, 16);
	q.desc_gpa = MEM_SIZE - 16 * 8;
	check(!activate(f, &q, 0), "descriptor table running past guest memory refused", NULL);
	q = vq_of(f, 16);
	q.desc_gpa = 0xfffffffffffff000ULL;
	check(!activate(f, &q, 0), "descriptor table address that wraps refused", NULL);
	q = vq_of(f, 16);
	q.avail_gpa = MEM_SIZE + 0x1000;
	check(!activate(f, &q, 0), "avail ring outside guest memory refused", NULL);
	q = vq_of(f, 16);
	q.used_gpa = MEM_SIZE - 4 - 8 * 16; /* fits without used's avail_event... */
	check(activate(f, &q, 0), "used ring ending exactly at the end of memory accepted", f->err.msg);
	check(!activate(f, &q, F_EVENT), "  ...but not once EVENT_IDX needs 2 more bytes", NULL);
	q = vq_of(f, 16);
	q.desc_gpa += 8;
	check(!activate(f, &q, 0), "misaligned descriptor table refused", NULL);
	q = vq_of(f, 16);
	q.avail_gpa += 1;
	check(!activate(f, &q, 0), "misaligned avail ring refused", NULL);
	q = vq_of(f, 16);
	q.used_gpa += 2;
	check(!activate(f, &q, 0), "misaligned used ring refused", NULL);
}

static void test_pop_push(struct fake *f)
{
	struct sd_vq q = vq_of(f, 8);
	activate(f, &q, 0);
	struct sd_vq_chain c;
	check(sd_vq_pop(&q, &f->mem, &c, &f->err) == 0, "empty ring pops nothing", NULL);

	fk_desc(f, 0, 5, BUF, 100, SD_VIRTQ_DESC_F_NEXT, 2);
	fk_desc(f, 0, 2, BUF + 0x1000, 50, SD_VIRTQ_DESC_F_NEXT, 7);
	fk_desc(f, 0, 7, BUF + 0x2000, 200, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, 0, 5);
	int r = sd_vq_pop(&q, &f->mem, &c, &f->err);
	check(r == 1 && c.head == 5 && c.n == 3 && c.n_readable == 2, "three-descriptor chain popped",
	      f->err.msg);
	check(c.buf[0].host == gp(f, BUF) && c.buf[1].host == gp(f, BUF + 0x1000) &&
		  c.buf[2].host == gp(f, BUF + 0x2000) && !c.buf[0].writable && c.buf[2].writable,
	      "host pointers and directions match the descriptors", NULL);
	check(c.readable == 150 && c.writable == 200, "readable and writable totals", NULL);

	/* Slices across buffers. */
	memset(gp(f, BUF), 'a', 100);
	memset(gp(f, BUF + 0x1000), 'b', 50);
	struct iovec iov[4];
	int n = sd_vq_chain_iov(&c, false, 90, 20, iov, 4);
	check(n == 2 && iov[0].iov_len == 10 && iov[1].iov_len == 10 &&
		  iov[1].iov_base == gp(f, BUF + 0x1000),
	      "iovec slice spanning two readable buffers", NULL);
	check(sd_vq_chain_iov(&c, false, 100, 51, iov, 4) < 0, "iovec slice past the readable part refused",
	      NULL);
	char tmp[4];
	check(sd_vq_chain_read(&c, 98, tmp, 4) == 4 && !memcmp(tmp, "aabb", 4), "copy out across buffers",
	      NULL);
	check(sd_vq_chain_write(&c, 198, "xyz", 3) == 2 && !memcmp(gp(f, BUF + 0x2000 + 198), "xy", 2),
	      "copy in stops at the end of the writable part", NULL);

	check(sd_vq_push(&q, c.head, 42, &f->err) == 0, "push", f->err.msg);
	uint32_t id, len;
	check(fk_used(f, 0, &id, &len) && id == 5 && len == 42, "used element carries head id and length",
	      NULL);
	check(sd_vq_should_signal(&q), "interrupt wanted without suppression", NULL);
	put16(f, f->q[0].avail, SD_VIRTQ_AVAIL_F_NO_INTERRUPT);
	check(!sd_vq_should_signal(&q), "VIRTQ_AVAIL_F_NO_INTERRUPT suppresses it", NULL);
	check(sd_vq_push(&q, 8, 0, &f->err) < 0, "push of a head beyond the queue size refused", NULL);

	/* Undo: the same chain comes back. */
	fk_desc(f, 0, 1, BUF, 10, 0, 0);
	fk_publish(f, 0, 1);
	sd_vq_pop(&q, &f->mem, &c, &f->err);
	sd_vq_unpop(&q);
	check(sd_vq_pop(&q, &f->mem, &c, &f->err) == 1 && c.head == 1, "unpop gives the chain back", NULL);

	/* A chain exactly as long as the queue is fine. */
	for (uint16_t i = 0; i < 8; i++)
		fk_desc(f, 0, i, BUF + i * 16ULL, 16, i < 7 ? SD_VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	fk_publish(f, 0, 0);
	check(sd_vq_pop(&q, &f->mem, &c, &f->err) == 1 && c.n == 8,
	      "chain of queue-size descriptors accepted", f->err.msg);

	/* Indices wrap at 16 bits: run the ring well past 65536. */
	q = vq_of(f, 4);
	activate(f, &q, 0);
	fk_desc(f, 0, 3, BUF, 1, 0, 0);
	bool wrap_ok = true;
	for (int i = 0; i < 70000 && wrap_ok; i++) {
		fk_publish(f, 0, 3);
		wrap_ok = sd_vq_pop(&q, &f->mem, &c, &f->err) == 1 && c.head == 3 &&
			  sd_vq_push(&q, 3, 1, &f->err) == 0 && fk_used(f, 0, &id, &len) && id == 3;
	}
	check(wrap_ok && sd_vq_pop(&q, &f->mem, &c, &f->err) == 0, "70000 requests through a 4-entry ring",
	      f->err.msg);
}

static void test_hostile(struct fake *f)
{
	struct sd_vq q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, MEM_SIZE, 16, 0, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "buffer outside guest memory refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, MEM_SIZE - 8, 16, 0, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "buffer running past the end of guest memory refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, 0xffffffffffffff00ULL, 0x200, 0, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "buffer whose addr + len wraps refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, 0, 1, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "descriptor loop refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 3, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 3);
	fk_publish(f, 0, 3);
	refused(f, &q, "descriptor pointing at itself refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 8);
	fk_publish(f, 0, 0);
	refused(f, &q, "next index out of range refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_publish(f, 0, 8);
	refused(f, &q, "avail ring head index out of range refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, BUF, 16, 0, 0);
	put16(f, f->q[0].avail + 2, 9);
	refused(f, &q, "avail idx jumping by more than the queue size refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, BUF, 16, SD_VIRTQ_DESC_F_WRITE | SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, 0, 1, BUF, 16, 0, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "device-readable buffer after a writable one refused");

	q = vq_of(f, 8);
	activate(f, &q, 0);
	fk_desc(f, 0, 0, BUF, 32, SD_VIRTQ_DESC_F_INDIRECT, 0);
	fk_publish(f, 0, 0);
	refused(f, &q, "indirect descriptor without INDIRECT_DESC negotiated refused");

	/* Broken stays broken, and a device reset clears it. */
	sd_vq_reset(&q);
	check(q.max_size == SD_VQ_SIZE_MAX && !q.broken && !q.active && q.size == 0,
	      "reset forgets the driver's setup, keeps the device's max", NULL);
}

/* A region far larger than anything a guest here can touch, left PROT_NONE
 * except for the rings: pop validates lengths without reading buffers. */
static void test_length_overflow(void)
{
	uint64_t size = (1ULL << 32) + (1ULL << 20);
	uint8_t *map = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED || mprotect(map, 0x40000, PROT_READ | PROT_WRITE) < 0) {
		check(false, "chain total beyond 32 bits refused", "cannot reserve 4 GiB");
		return;
	}
	struct fake f = {.mem = {.n = 1, .r = {{.gpa = 0, .size = size, .host = map}}}};
	struct sd_vq q = vq_of(&f, 8);
	activate(&f, &q, 0);
	fk_desc(&f, 0, 0, 0x100000, 0xffffffffu, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(&f, 0, 1, 0x100000, 0x10, 0, 0);
	fk_publish(&f, 0, 0);
	struct sd_vq_chain c;
	check(sd_vq_pop(&q, &f.mem, &c, &f.err) < 0 && q.broken, "chain total beyond 32 bits refused", NULL);
	munmap(map, size);
}

/* Two adjacent regions: a buffer crossing from one to the other is refused
 * (the monitor's mappings need not be contiguous in the host). */
static void test_region_straddle(struct fake *f)
{
	struct fake g = *f;
	g.mem.n = 2;
	g.mem.r[0].size = MEM_SIZE / 2;
	g.mem.r[1] = (struct sd_mem_region){
	    .gpa = MEM_SIZE / 2, .size = MEM_SIZE / 2, .host = f->mem.r[0].host + MEM_SIZE / 2};
	struct sd_vq q = vq_of(&g, 8);
	activate(&g, &q, 0);
	fk_desc(&g, 0, 0, MEM_SIZE / 2 + 0x100, 0x100, 0, 0);
	fk_publish(&g, 0, 0);
	struct sd_vq_chain c;
	check(sd_vq_pop(&q, &g.mem, &c, &g.err) == 1 && c.buf[0].host == gp(f, MEM_SIZE / 2 + 0x100),
	      "buffer in the second region resolves", g.err.msg);
	fk_desc(&g, 0, 0, MEM_SIZE / 2 - 0x10, 0x20, 0, 0);
	fk_publish(&g, 0, 0);
	check(sd_vq_pop(&q, &g.mem, &c, &g.err) < 0, "buffer straddling two regions refused", NULL);
}

static void test_indirect(struct fake *f)
{
	const uint64_t tbl = 0x30000;
	struct sd_vq q = vq_of(f, 8);
	activate(f, &q, F_INDIRECT);
	fk_desc_at(f, tbl, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 2);
	fk_desc_at(f, tbl, 2, BUF + 0x100, 512, SD_VIRTQ_DESC_F_NEXT | SD_VIRTQ_DESC_F_WRITE, 1);
	fk_desc_at(f, tbl, 1, BUF + 0x400, 1, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_desc(f, 0, 4, tbl, 3 * 16, SD_VIRTQ_DESC_F_INDIRECT, 0);
	fk_publish(f, 0, 4);
	struct sd_vq_chain c;
	int r = sd_vq_pop(&q, &f->mem, &c, &f->err);
	check(r == 1 && c.head == 4 && c.n == 3 && c.readable == 16 && c.writable == 513 &&
		  c.buf[1].host == gp(f, BUF + 0x100),
	      "indirect table walked", f->err.msg);

	struct {
		const char *name;
		uint16_t flags;
		uint32_t len;
		uint64_t addr;
		int setup;
	} bad[] = {
	    {"indirect descriptor with NEXT refused", SD_VIRTQ_DESC_F_INDIRECT | SD_VIRTQ_DESC_F_NEXT, 48,
	     tbl, 0},
	    {"indirect table length not a multiple of 16 refused", SD_VIRTQ_DESC_F_INDIRECT, 40, tbl, 0},
	    {"empty indirect table refused", SD_VIRTQ_DESC_F_INDIRECT, 0, tbl, 0},
	    {"indirect table outside guest memory refused", SD_VIRTQ_DESC_F_INDIRECT, 48, MEM_SIZE - 32, 0},
	    {"indirect table longer than any queue refused", SD_VIRTQ_DESC_F_INDIRECT, 16 * 300, tbl, 0},
	    {"nested indirect descriptor refused", SD_VIRTQ_DESC_F_INDIRECT, 48, tbl, 1},
	    {"loop inside an indirect table refused", SD_VIRTQ_DESC_F_INDIRECT, 48, tbl, 2},
	    {"next index beyond the indirect table refused", SD_VIRTQ_DESC_F_INDIRECT, 48, tbl, 3},
	    {"buffer outside memory inside an indirect table refused", SD_VIRTQ_DESC_F_INDIRECT, 48, tbl, 4},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = vq_of(f, 8);
		activate(f, &q, F_INDIRECT);
		memset(gp(f, tbl), 0, 16 * 300);
		fk_desc_at(f, tbl, 0, BUF, 16, 0, 0);
		if (bad[i].setup == 1)
			fk_desc_at(f, tbl, 0, tbl + 0x100, 32, SD_VIRTQ_DESC_F_INDIRECT, 0);
		if (bad[i].setup == 2) {
			fk_desc_at(f, tbl, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 1);
			fk_desc_at(f, tbl, 1, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 0);
		}
		if (bad[i].setup == 3)
			fk_desc_at(f, tbl, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 3);
		if (bad[i].setup == 4)
			fk_desc_at(f, tbl, 0, MEM_SIZE - 4, 16, 0, 0);
		fk_desc(f, 0, 0, bad[i].addr, bad[i].len, bad[i].flags, 1);
		fk_publish(f, 0, 0);
		refused(f, &q, bad[i].name);
	}
}

static void test_event_idx(struct fake *f)
{
	struct sd_vq q = vq_of(f, 8);
	activate(f, &q, F_EVENT);
	uint64_t used_event = f->q[0].avail + 4 + 2 * 8, avail_event = f->q[0].used + 4 + 8 * 8;
	struct sd_vq_chain c;
	put16(f, avail_event, 0xbeef);
	fk_publish(f, 0, 0);
	fk_desc(f, 0, 0, BUF, 16, 0, 0);
	sd_vq_pop(&q, &f->mem, &c, &f->err);
	check(sd_vq_pop(&q, &f->mem, &c, &f->err) == 0 && get16(f, avail_event) == 1,
	      "EVENT_IDX: drained ring asks for a kick at the next entry (avail_event)", NULL);

	put16(f, used_event, 0);
	sd_vq_push(&q, 0, 1, &f->err);
	check(sd_vq_should_signal(&q), "EVENT_IDX: first used buffer interrupts", NULL);
	put16(f, used_event, 5);
	sd_vq_push(&q, 0, 1, &f->err);
	check(!sd_vq_should_signal(&q), "EVENT_IDX: used_event ahead suppresses the interrupt", NULL);
	put16(f, used_event, 2);
	sd_vq_push(&q, 0, 1, &f->err);
	check(sd_vq_should_signal(&q), "EVENT_IDX: reaching used_event interrupts", NULL);
	check(!sd_vq_should_signal(&q), "EVENT_IDX: nothing new, no interrupt", NULL);
}

/* Random rings (addresses biased to the edges of guest memory, random
 * flags and indices): every chain that pops must lie inside guest memory,
 * everything else must be refused; a stray access would hit a guard page. */
static void test_random(struct fake *f)
{
	uint64_t seed = 0x5eed5eedULL;
	const uint64_t edges[] = {0,	  BUF, MEM_SIZE - 16, MEM_SIZE - 1, MEM_SIZE, 0xffffffffffffffffULL,
				  0x30000};
	unsigned popped = 0, refused_n = 0, bad = 0;
	for (int iter = 0; iter < 3000; iter++) {
		struct sd_vq q = vq_of(f, 16);
		activate(f, &q, iter % 2 ? F_INDIRECT | F_EVENT : 0);
		for (uint16_t i = 0; i < 16; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			uint64_t r = seed >> 11;
			uint64_t addr = edges[r % 7] - (r >> 8) % 64;
			uint32_t len = (uint32_t)((r >> 16) % 4 == 0 ? (r >> 20) : (r >> 20) % 256);
			uint16_t flags = (uint16_t)((r >> 40) & 7), next = (uint16_t)((r >> 44) % 18);
			fk_desc(f, 0, i, addr, len, flags, next);
			fk_desc_at(f, 0x30000, i, addr, len, (uint16_t)(flags & 3), next);
		}
		for (int k = 0; k < 4; k++)
			fk_publish(f, 0, (uint16_t)((seed >> (8 * k)) % 17));
		struct sd_vq_chain c;
		int r;
		while ((r = sd_vq_pop(&q, &f->mem, &c, &f->err)) > 0) {
			popped++;
			for (uint16_t i = 0; i < c.n; i++)
				if (c.buf[i].host < f->mem.r[0].host ||
				    c.buf[i].host + c.buf[i].len > f->mem.r[0].host + MEM_SIZE)
					bad++;
			sd_vq_push(&q, c.head, c.writable, &f->err);
		}
		if (r < 0)
			refused_n++;
	}
	char detail[96];
	snprintf(detail, sizeof detail, "%u popped, %u refused, %u outside memory", popped, refused_n, bad);
	check(bad == 0 && popped > 0 && refused_n > 0, "3000 random rings: nothing escapes guest memory",
	      detail);
	printf("# %s\n", detail);
}

int main(void)
{
	struct fake f;
	fk_mem_init(&f, MEM_SIZE);
	test_activation(&f);
	test_pop_push(&f);
	test_hostile(&f);
	test_indirect(&f);
	test_event_idx(&f);
	test_region_straddle(&f);
	test_length_overflow();
	test_random(&f);
	fk_mem_free(&f);
	return done();
}
