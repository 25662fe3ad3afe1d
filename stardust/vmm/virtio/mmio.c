#include <endian.h>
#include <errno.h>
#include <string.h>

#include "stardust/vmm/virtio/mmio.h"

static void raise_int(void *transport, uint32_t bits)
{
	struct sd_mmio *t = transport;
	__atomic_fetch_or(&t->interrupt_status, bits, __ATOMIC_SEQ_CST);
	if (t->irq)
		t->irq(t->irq_opaque, 1);
}

/* The guest broke the device: tell the driver through the status it reads
 * and a config-change interrupt, and stop serving the queues. */
static void device_fail(void *transport)
{
	struct sd_mmio *t = transport;
	t->status |= SD_VIRTIO_S_NEEDS_RESET;
	t->activated = false;
	for (uint16_t i = 0; i < t->dev->nqueues; i++)
		t->dev->queues[i].active = false;
	if (t->status & SD_VIRTIO_S_DRIVER_OK)
		raise_int(t, SD_VIRTIO_INT_CONFIG);
}

static void transport_reset(struct sd_mmio *t)
{
	struct sd_virtio_dev *d = t->dev;
	if (d->ops->reset)
		d->ops->reset(d);
	for (uint16_t i = 0; i < d->nqueues; i++)
		sd_vq_reset(&d->queues[i]);
	d->acked = 0;
	t->status = 0;
	t->dev_features_sel = t->drv_features_sel = 0;
	t->driver_features = 0;
	t->queue_sel = 0;
	t->activated = false;
	if (__atomic_exchange_n(&t->interrupt_status, 0, __ATOMIC_SEQ_CST) && t->irq)
		t->irq(t->irq_opaque, 0);
}

void sd_mmio_init(struct sd_mmio *t, struct sd_virtio_dev *dev, void (*irq)(void *opaque, int level),
		  void *irq_opaque)
{
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->irq = irq;
	t->irq_opaque = irq_opaque;
	dev->transport = t;
	dev->raise = raise_int;
	dev->fail = device_fail;
	transport_reset(t);
}

void sd_mmio_config_changed(struct sd_mmio *t)
{
	t->config_generation++;
	if (t->status & SD_VIRTIO_S_DRIVER_OK)
		raise_int(t, SD_VIRTIO_INT_CONFIG);
}

static struct sd_vq *selected_queue(struct sd_mmio *t)
{
	return t->queue_sel < t->dev->nqueues ? &t->dev->queues[t->queue_sel] : NULL;
}

static int features_ok(struct sd_mmio *t, struct volt_error *err)
{
	struct sd_virtio_dev *d = t->dev;
	uint64_t extra = t->driver_features & ~d->features;
	if (extra)
		return volt_err(err, -EINVAL, "virtio-mmio: driver features %#llx not offered",
				(unsigned long long)extra);
	if (!(t->driver_features & (1ULL << SD_VIRTIO_F_VERSION_1)))
		return volt_err(err, -EINVAL,
				"virtio-mmio: driver did not accept VERSION_1 (legacy unsupported)");
	d->acked = t->driver_features;
	return 0;
}

static int driver_ok(struct sd_mmio *t, struct volt_error *err)
{
	struct sd_virtio_dev *d = t->dev;
	for (uint16_t i = 0; i < d->nqueues; i++) {
		struct sd_vq *q = &d->queues[i];
		if (q->ready && sd_vq_activate(q, d->mem, d->acked, err) < 0)
			return volt_err_ctx(err, "queue %u", i);
	}
	if (d->ops->activate && d->ops->activate(d, err) < 0)
		return -1;
	t->activated = true;
	return 0;
}

/* The driver sets status bits one step at a time, in spec order; it never
 * clears one except by writing 0 (reset). NEEDS_RESET is the device's bit. */
static int write_status(struct sd_mmio *t, uint32_t val, struct volt_error *err)
{
	if (val == 0) {
		transport_reset(t);
		return 0;
	}
	uint32_t have = t->status & ~SD_VIRTIO_S_NEEDS_RESET;
	val &= ~SD_VIRTIO_S_NEEDS_RESET;
	if ((val & have) != have)
		return volt_err(err, -EINVAL, "virtio-mmio: status %#x clears bits of %#x", val, have);
	uint32_t add = val & ~have;
	if (add & SD_VIRTIO_S_FAILED) {
		t->status |= SD_VIRTIO_S_FAILED;
		t->activated = false;
		add &= ~SD_VIRTIO_S_FAILED;
	}
	if (add &
	    ~(SD_VIRTIO_S_ACKNOWLEDGE | SD_VIRTIO_S_DRIVER | SD_VIRTIO_S_FEATURES_OK | SD_VIRTIO_S_DRIVER_OK))
		return volt_err(err, -EINVAL, "virtio-mmio: unknown status bits %#x", add);
	if (add & SD_VIRTIO_S_ACKNOWLEDGE)
		t->status |= SD_VIRTIO_S_ACKNOWLEDGE;
	if (add & SD_VIRTIO_S_DRIVER) {
		if (!(t->status & SD_VIRTIO_S_ACKNOWLEDGE))
			return volt_err(err, -EINVAL, "virtio-mmio: DRIVER before ACKNOWLEDGE");
		t->status |= SD_VIRTIO_S_DRIVER;
	}
	if (add & SD_VIRTIO_S_FEATURES_OK) {
		if (!(t->status & SD_VIRTIO_S_DRIVER))
			return volt_err(err, -EINVAL, "virtio-mmio: FEATURES_OK before DRIVER");
		/* Refusal = FEATURES_OK stays clear; the driver reads it back. */
		if (features_ok(t, err) < 0)
			return -1;
		t->status |= SD_VIRTIO_S_FEATURES_OK;
	}
	if (add & SD_VIRTIO_S_DRIVER_OK) {
		if (!(t->status & SD_VIRTIO_S_FEATURES_OK))
			return volt_err(err, -EINVAL, "virtio-mmio: DRIVER_OK without FEATURES_OK");
		if (t->status & (SD_VIRTIO_S_FAILED | SD_VIRTIO_S_NEEDS_RESET))
			return volt_err(err, -EINVAL, "virtio-mmio: DRIVER_OK on a failed device");
		t->status |= SD_VIRTIO_S_DRIVER_OK;
		if (driver_ok(t, err) < 0) {
			device_fail(t);
			return -1;
		}
	}
	return 0;
}

static uint32_t read_reg(struct sd_mmio *t, uint64_t off, struct volt_error *err, int *rc)
{
	struct sd_virtio_dev *d = t->dev;
	struct sd_vq *q = selected_queue(t);
	switch (off) {
	case SD_MMIO_MAGIC_VALUE:
		return SD_MMIO_MAGIC;
	case SD_MMIO_VERSION_REG:
		return SD_MMIO_VERSION;
	case SD_MMIO_DEVICE_ID:
		return d->device_id;
	case SD_MMIO_VENDOR_ID:
		return SD_MMIO_VENDOR;
	case SD_MMIO_DEVICE_FEATURES:
		return t->dev_features_sel < 2 ? (uint32_t)(d->features >> (32 * t->dev_features_sel)) : 0;
	case SD_MMIO_QUEUE_NUM_MAX:
		return q ? q->max_size : 0;
	case SD_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case SD_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST);
	case SD_MMIO_STATUS:
		return t->status;
	case SD_MMIO_SHM_LEN_LOW:
	case SD_MMIO_SHM_LEN_HIGH:
	case SD_MMIO_SHM_BASE_LOW:
	case SD_MMIO_SHM_BASE_HIGH:
		return UINT32_MAX; /* no shared memory regions */
	case SD_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	}
	*rc = volt_err(err, -EINVAL, "virtio-mmio: read of register %#llx", (unsigned long long)off);
	return 0;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | ((uint64_t)val << 32) : (*v & ~0xffffffffULL) | val;
}

static int write_queue_reg(struct sd_mmio *t, uint64_t off, uint32_t val, struct volt_error *err)
{
	struct sd_vq *q = selected_queue(t);
	if (!q)
		return volt_err(err, -EINVAL, "virtio-mmio: queue register %#llx with QueueSel %u",
				(unsigned long long)off, t->queue_sel);
	if (t->status & SD_VIRTIO_S_DRIVER_OK)
		return volt_err(err, -EBUSY, "virtio-mmio: queue %u set up after DRIVER_OK", t->queue_sel);
	if (off == SD_MMIO_QUEUE_READY) {
		q->ready = val & 1;
		return 0;
	}
	if (q->ready)
		return volt_err(err, -EBUSY, "virtio-mmio: queue %u changed while ready", t->queue_sel);
	switch (off) {
	case SD_MMIO_QUEUE_NUM:
		q->size = val; /* validated at DRIVER_OK */
		break;
	case SD_MMIO_QUEUE_DESC_LOW:
	case SD_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc_gpa, off == SD_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case SD_MMIO_QUEUE_DRIVER_LOW:
	case SD_MMIO_QUEUE_DRIVER_HIGH:
		set_half(&q->avail_gpa, off == SD_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	case SD_MMIO_QUEUE_DEVICE_LOW:
	case SD_MMIO_QUEUE_DEVICE_HIGH:
		set_half(&q->used_gpa, off == SD_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	}
	return 0;
}

static int notify(struct sd_mmio *t, uint32_t val, struct volt_error *err)
{
	struct sd_virtio_dev *d = t->dev;
	uint32_t qi = val & 0xffff; /* no NOTIFICATION_DATA: the rest is ignored */
	if (!t->activated)
		return volt_err(err, -EINVAL, "virtio-mmio: notify before DRIVER_OK or after a failure");
	if (qi >= d->nqueues || !d->queues[qi].active)
		return volt_err(err, -EINVAL, "virtio-mmio: notify of queue %u, not active", qi);
	if (d->ops->notify(d, (uint16_t)qi, err) < 0) {
		device_fail(t);
		return volt_err_ctx(err, "queue %u", qi);
	}
	return 0;
}

static int write_reg(struct sd_mmio *t, uint64_t off, uint32_t val, struct volt_error *err)
{
	switch (off) {
	case SD_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = val;
		return 0;
	case SD_MMIO_DRIVER_FEATURES:
		if ((t->status & (SD_VIRTIO_S_DRIVER | SD_VIRTIO_S_FEATURES_OK)) != SD_VIRTIO_S_DRIVER)
			return volt_err(err, -EINVAL, "virtio-mmio: DriverFeatures outside negotiation");
		if (t->drv_features_sel < 2)
			set_half(&t->driver_features, t->drv_features_sel == 1, val);
		else if (val)
			return volt_err(err, -EINVAL, "virtio-mmio: driver features word %u",
					t->drv_features_sel);
		return 0;
	case SD_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = val;
		return 0;
	case SD_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		return 0;
	case SD_MMIO_QUEUE_NUM:
	case SD_MMIO_QUEUE_READY:
	case SD_MMIO_QUEUE_DESC_LOW:
	case SD_MMIO_QUEUE_DESC_HIGH:
	case SD_MMIO_QUEUE_DRIVER_LOW:
	case SD_MMIO_QUEUE_DRIVER_HIGH:
	case SD_MMIO_QUEUE_DEVICE_LOW:
	case SD_MMIO_QUEUE_DEVICE_HIGH:
		return write_queue_reg(t, off, val, err);
	case SD_MMIO_QUEUE_NOTIFY:
		return notify(t, val, err);
	case SD_MMIO_INTERRUPT_ACK:
		if (__atomic_and_fetch(&t->interrupt_status, ~val, __ATOMIC_SEQ_CST) == 0 && t->irq)
			t->irq(t->irq_opaque, 0);
		return 0;
	case SD_MMIO_STATUS:
		return write_status(t, val, err);
	case SD_MMIO_SHM_SEL:
		return 0;
	}
	return volt_err(err, -EINVAL, "virtio-mmio: write of register %#llx", (unsigned long long)off);
}

static int config_range(struct sd_mmio *t, uint64_t offset, uint32_t len, struct volt_error *err)
{
	uint64_t off = offset - SD_MMIO_CONFIG_OFF;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return volt_err(err, -EINVAL, "virtio-mmio: config access of %u bytes", len);
	if (off > t->dev->config_len || len > t->dev->config_len - off)
		return volt_err(err, -EINVAL, "virtio-mmio: config access %#llx+%u beyond %u bytes",
				(unsigned long long)off, len, t->dev->config_len);
	return 0;
}

int sd_mmio_read(struct sd_mmio *t, uint64_t offset, void *data, uint32_t len, struct volt_error *err)
{
	memset(data, 0, len);
	if (offset >= SD_MMIO_CONFIG_OFF) {
		if (config_range(t, offset, len, err) < 0)
			return -1;
		t->dev->ops->config_read(t->dev, (uint32_t)(offset - SD_MMIO_CONFIG_OFF), data, len);
		return 0;
	}
	if (len != 4 || offset % 4)
		return volt_err(err, -EINVAL, "virtio-mmio: register read %#llx of %u bytes",
				(unsigned long long)offset, len);
	int rc = 0;
	uint32_t v = htole32(read_reg(t, offset, err, &rc));
	memcpy(data, &v, 4);
	return rc;
}

int sd_mmio_write(struct sd_mmio *t, uint64_t offset, const void *data, uint32_t len, struct volt_error *err)
{
	if (offset >= SD_MMIO_CONFIG_OFF) {
		if (config_range(t, offset, len, err) < 0)
			return -1;
		if (t->dev->ops->config_write)
			t->dev->ops->config_write(t->dev, (uint32_t)(offset - SD_MMIO_CONFIG_OFF), data, len);
		return 0;
	}
	if (len != 4 || offset % 4)
		return volt_err(err, -EINVAL, "virtio-mmio: register write %#llx of %u bytes",
				(unsigned long long)offset, len);
	uint32_t v;
	memcpy(&v, data, 4);
	return write_reg(t, offset, le32toh(v), err);
}
