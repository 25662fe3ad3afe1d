#include <endian.h>
#include <errno.h>
#include <string.h>

#include "stardust/vmm/virtio/queue.h"

#define DESC_SIZE 16
#define RING_HDR  4 /* flags + idx, in both avail and used rings */
#define USED_ELEM 8

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One fetch of the 16 guest bytes, so a concurrent guest write cannot change a
 * field between its check and its use. */
static void desc_fetch(const uint8_t *table, uint32_t i, struct desc *d)
{
	uint8_t raw[DESC_SIZE];
	memcpy(raw, table + (size_t)i * DESC_SIZE, DESC_SIZE);
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Ring fields are naturally aligned (checked at activation). */
static uint16_t load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static void store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

static int broken(struct sd_vq *q, struct volt_error *err, const char *what, uint64_t a, uint64_t b)
{
	q->broken = true;
	return volt_err(err, -EINVAL, "virtqueue: %s (%#llx, %#llx)", what, (unsigned long long)a,
			(unsigned long long)b);
}

void sd_vq_reset(struct sd_vq *q)
{
	uint16_t max = q->max_size;
	memset(q, 0, sizeof(*q));
	q->max_size = max;
}

static int ring_map(const struct sd_guest_mem *m, uint64_t gpa, uint64_t len, uint64_t align, uint8_t **out,
		    const char *name, struct volt_error *err)
{
	if (gpa & (align - 1))
		return volt_err(err, -EINVAL, "virtqueue: %s ring %#llx not %llu-byte aligned", name,
				(unsigned long long)gpa, (unsigned long long)align);
	*out = sd_gpa(m, gpa, len);
	if (!*out)
		return volt_err(err, -EFAULT, "virtqueue: %s ring %#llx+%llu outside guest memory", name,
				(unsigned long long)gpa, (unsigned long long)len);
	return 0;
}

int sd_vq_activate(struct sd_vq *q, const struct sd_guest_mem *m, uint64_t features, struct volt_error *err)
{
	q->active = false;
	if (q->max_size == 0 || q->max_size > SD_VQ_SIZE_MAX)
		return volt_err(err, -EINVAL, "virtqueue: device max size %u invalid", q->max_size);
	if (q->size == 0 || q->size > q->max_size || (q->size & (q->size - 1)))
		return volt_err(err, -EINVAL, "virtqueue: QueueNum %u not a power of two in 1..%u", q->size,
				q->max_size);
	bool event_idx = features & (1ULL << SD_VIRTIO_F_EVENT_IDX);
	uint64_t n = q->size, extra = event_idx ? 2 : 0;
	if (ring_map(m, q->desc_gpa, n * DESC_SIZE, 16, &q->desc, "descriptor", err) < 0 ||
	    ring_map(m, q->avail_gpa, RING_HDR + 2 * n + extra, 2, &q->avail, "driver (avail)", err) < 0 ||
	    ring_map(m, q->used_gpa, RING_HDR + USED_ELEM * n + extra, 4, &q->used, "device (used)", err) < 0)
		return -1;
	q->event_idx = event_idx;
	q->indirect = features & (1ULL << SD_VIRTIO_F_INDIRECT_DESC);
	q->last_avail = 0;
	q->next_used = 0;
	q->signalled_valid = false;
	q->broken = false;
	q->active = true;
	return 0;
}

static int chain_add(struct sd_vq *q, struct sd_vq_chain *c, const struct sd_guest_mem *m,
		     const struct desc *d, struct volt_error *err)
{
	uint8_t *p = sd_gpa(m, d->addr, d->len);
	if (!p)
		return broken(q, err, "buffer outside guest memory", d->addr, d->len);
	bool w = d->flags & SD_VIRTQ_DESC_F_WRITE;
	if (!w && c->n > c->n_readable)
		return broken(q, err, "device-readable buffer after a writable one", d->addr, d->len);
	if (c->n >= SD_VQ_SIZE_MAX)
		return broken(q, err, "chain longer than the largest queue", c->n, SD_VQ_SIZE_MAX);
	uint32_t *total = w ? &c->writable : &c->readable;
	if (d->len > UINT32_MAX - *total)
		return broken(q, err, "chain length overflows 32 bits", *total, d->len);
	*total += d->len;
	c->buf[c->n++] = (struct sd_vq_buf){.host = p, .len = d->len, .writable = w};
	if (!w)
		c->n_readable = c->n;
	return 0;
}

/* Walk the chain at `head`: the queue's table, then at most one indirect
 * table (no nesting, per spec). Each table bounds its own walk by its entry
 * count, which is what catches loops. */
static int chain_walk(struct sd_vq *q, const struct sd_guest_mem *m, uint16_t head, struct sd_vq_chain *c,
		      struct volt_error *err)
{
	const uint8_t *table = q->desc;
	uint32_t table_n = q->size, i = head, visited = 0;
	bool in_indirect = false;

	c->head = head;
	c->n = c->n_readable = 0;
	c->readable = c->writable = 0;
	for (;;) {
		struct desc d;
		desc_fetch(table, i, &d);
		visited++;
		if (d.flags & SD_VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return broken(q, err, "indirect descriptor not negotiated", i, d.addr);
			if (in_indirect)
				return broken(q, err, "nested indirect descriptor", i, d.addr);
			if (d.flags & SD_VIRTQ_DESC_F_NEXT)
				return broken(q, err, "indirect descriptor with NEXT", i, d.next);
			if (d.len == 0 || d.len % DESC_SIZE || d.len / DESC_SIZE > SD_VQ_SIZE_MAX)
				return broken(q, err, "indirect table length invalid", d.addr, d.len);
			table = sd_gpa(m, d.addr, d.len);
			if (!table)
				return broken(q, err, "indirect table outside guest memory", d.addr, d.len);
			table_n = d.len / DESC_SIZE;
			in_indirect = true;
			i = 0;
			visited = 0;
			continue;
		}
		if (chain_add(q, c, m, &d, err) < 0)
			return -1;
		if (!(d.flags & SD_VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= table_n)
			return broken(q, err, "next descriptor index out of range", d.next, table_n);
		if (visited >= table_n)
			return broken(q, err, "descriptor chain loops", head, visited);
		i = d.next;
	}
}

int sd_vq_pop(struct sd_vq *q, const struct sd_guest_mem *m, struct sd_vq_chain *c, struct volt_error *err)
{
	if (!q->active)
		return volt_err(err, -EINVAL, "virtqueue: not active");
	if (q->broken)
		return volt_err(err, -EIO, "virtqueue: broken, needs a device reset");

	/* Acquire: the ring entries and descriptors the driver wrote before
	 * publishing idx are visible once we see idx. */
	uint16_t avail_idx = load16(q->avail + 2, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0 && q->event_idx) {
		/* Ask for a kick at the next entry, then look again: the
		 * driver may have added one before seeing avail_event. */
		store16(q->used + RING_HDR + USED_ELEM * q->size, q->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = load16(q->avail + 2, __ATOMIC_ACQUIRE);
		pending = (uint16_t)(avail_idx - q->last_avail);
	}
	if (pending > q->size)
		return broken(q, err, "avail idx moved by more than the queue size", q->last_avail,
			      avail_idx);
	if (pending == 0)
		return 0;

	uint16_t head = load16(q->avail + RING_HDR + 2 * (q->last_avail % q->size), __ATOMIC_RELAXED);
	if (head >= q->size)
		return broken(q, err, "avail ring head index out of range", head, q->size);
	if (chain_walk(q, m, head, c, err) < 0)
		return -1;
	q->last_avail++;
	return 1;
}

void sd_vq_unpop(struct sd_vq *q)
{
	q->last_avail--;
}

int sd_vq_push(struct sd_vq *q, uint16_t head, uint32_t written, struct volt_error *err)
{
	if (!q->active || q->broken)
		return volt_err(err, -EIO, "virtqueue: push on an inactive or broken queue");
	if (head >= q->size)
		return volt_err(err, -EINVAL, "virtqueue: push of head %u beyond size %u", head, q->size);
	uint8_t *e = q->used + RING_HDR + USED_ELEM * (size_t)(q->next_used % q->size);
	uint32_t id = htole32(head), len = htole32(written);
	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	q->next_used++;
	/* Release: the element is visible before the idx that covers it. */
	store16(q->used + 2, q->next_used, __ATOMIC_RELEASE);
	return 0;
}

bool sd_vq_should_signal(struct sd_vq *q)
{
	if (!q->active)
		return false;
	/* Our used idx store must be ordered before reading the driver's
	 * suppression state, or both sides can decide not to wake the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(load16(q->avail, __ATOMIC_RELAXED) & SD_VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t now = q->next_used, old = q->signalled_used;
	bool valid = q->signalled_valid;
	q->signalled_used = now;
	q->signalled_valid = true;
	if (!valid)
		return true;
	uint16_t used_event = load16(q->avail + RING_HDR + 2 * q->size, __ATOMIC_RELAXED);
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

int sd_vq_chain_iov(const struct sd_vq_chain *c, bool writable, uint64_t skip, uint64_t len,
		    struct iovec *iov, int max)
{
	uint16_t from = writable ? c->n_readable : 0, to = writable ? c->n : c->n_readable;
	int n = 0;
	for (uint16_t i = from; i < to && len > 0; i++) {
		uint64_t blen = c->buf[i].len;
		if (skip >= blen) {
			skip -= blen;
			continue;
		}
		if (n >= max)
			return -1;
		uint64_t take = blen - skip < len ? blen - skip : len;
		iov[n++] = (struct iovec){.iov_base = c->buf[i].host + skip, .iov_len = take};
		len -= take;
		skip = 0;
	}
	return len == 0 ? n : -1;
}

static size_t chain_copy(const struct sd_vq_chain *c, bool writable, uint64_t skip, uint8_t *mem, size_t len)
{
	uint16_t from = writable ? c->n_readable : 0, to = writable ? c->n : c->n_readable;
	size_t done = 0;
	for (uint16_t i = from; i < to && done < len; i++) {
		uint64_t blen = c->buf[i].len;
		if (skip >= blen) {
			skip -= blen;
			continue;
		}
		size_t take = blen - skip < len - done ? blen - skip : len - done;
		if (writable)
			memcpy(c->buf[i].host + skip, mem + done, take);
		else
			memcpy(mem + done, c->buf[i].host + skip, take);
		done += take;
		skip = 0;
	}
	return done;
}

size_t sd_vq_chain_read(const struct sd_vq_chain *c, uint64_t skip, void *dst, size_t len)
{
	return chain_copy(c, false, skip, dst, len);
}

size_t sd_vq_chain_write(const struct sd_vq_chain *c, uint64_t skip, const void *src, size_t len)
{
	return chain_copy(c, true, skip, (uint8_t *)src, len);
}
