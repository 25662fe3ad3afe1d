/* virtio-mmio v2 transport: the register model and the status/feature
 * negotiation rules, driven like Linux's virtio_mmio driver against a small
 * test device (two queues that complete every chain they are given). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sd-virtio-fake-driver.h"

#define MEM_SIZE (1u << 20)
#define BUF	 0x40000ULL
#define F_DEVBIT (1ULL << 0)
#define F_OFFER	 ((1ULL << SD_VIRTIO_F_VERSION_1) | (1ULL << SD_VIRTIO_F_EVENT_IDX) | F_DEVBIT)

struct test_dev {
	struct sd_virtio_dev dev;
	struct sd_vq q[2];
	int activations, notifies, resets, config_writes;
	bool fail_activate;
	struct sd_vq_chain chain;
};

static void td_config_read(struct sd_virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, &"VOLTCFG!"[off], len);
}

static void td_config_write(struct sd_virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	((struct test_dev *)d)->config_writes++;
}

static int td_activate(struct sd_virtio_dev *d, struct volt_error *err)
{
	struct test_dev *t = (struct test_dev *)d;
	t->activations++;
	return t->fail_activate ? volt_err(err, -EIO, "test device refuses") : 0;
}

static int td_notify(struct sd_virtio_dev *d, uint16_t qi, struct volt_error *err)
{
	struct test_dev *t = (struct test_dev *)d;
	int r;
	t->notifies++;
	while ((r = sd_vq_pop(&t->q[qi], d->mem, &t->chain, err)) > 0)
		if (sd_vq_push(&t->q[qi], t->chain.head, t->chain.writable, err) < 0)
			return -1;
	if (r == 0)
		sd_virtio_used(d, qi);
	return r;
}

static void td_reset(struct sd_virtio_dev *d)
{
	((struct test_dev *)d)->resets++;
}

static const struct sd_virtio_ops td_ops = {
    .config_read = td_config_read,
    .config_write = td_config_write,
    .activate = td_activate,
    .notify = td_notify,
    .reset = td_reset,
};

static void td_init(struct test_dev *t, struct fake *f, struct sd_mmio *m)
{
	memset(t, 0, sizeof(*t));
	t->q[0].max_size = t->q[1].max_size = 16;
	t->dev = (struct sd_virtio_dev){.device_id = 42,
					.features = F_OFFER,
					.config_len = 8,
					.nqueues = 2,
					.queues = t->q,
					.mem = &f->mem,
					.ops = &td_ops};
	sd_mmio_init(m, &t->dev, fk_irq, f);
	f->t = m;
	f->irq_level = f->irq_raises = 0;
}

static void test_identity(struct fake *f)
{
	check(mr(f, SD_MMIO_MAGIC_VALUE) == 0x74726976 && mr(f, SD_MMIO_VERSION_REG) == 2 &&
		  mr(f, SD_MMIO_DEVICE_ID) == 42 && mr(f, SD_MMIO_VENDOR_ID) == SD_MMIO_VENDOR,
	      "magic, version 2, device and vendor id", NULL);
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = mr(f, SD_MMIO_DEVICE_FEATURES);
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t hi = mr(f, SD_MMIO_DEVICE_FEATURES);
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 2);
	uint32_t beyond = mr(f, SD_MMIO_DEVICE_FEATURES);
	check(lo == (uint32_t)F_OFFER && hi == 1 && beyond == 0, "device features by 32-bit word", NULL);
	mw(f, SD_MMIO_QUEUE_SEL, 1);
	uint32_t max1 = mr(f, SD_MMIO_QUEUE_NUM_MAX);
	mw(f, SD_MMIO_QUEUE_SEL, 2);
	check(max1 == 16 && mr(f, SD_MMIO_QUEUE_NUM_MAX) == 0,
	      "QueueNumMax, 0 for a queue that does not exist", NULL);
	check(mw(f, SD_MMIO_QUEUE_NUM, 8) < 0, "queue register write with QueueSel out of range refused",
	      NULL);
	check(mr(f, SD_MMIO_SHM_LEN_LOW) == UINT32_MAX && mr(f, SD_MMIO_SHM_LEN_HIGH) == UINT32_MAX,
	      "no shared memory regions", NULL);

	uint8_t b1 = 0;
	uint16_t b2 = 0;
	uint64_t b8 = 0;
	check(sd_mmio_read(f->t, 0x100 + 3, &b1, 1, &f->err) == 0 && b1 == 'T' &&
		  sd_mmio_read(f->t, 0x100 + 6, &b2, 2, &f->err) == 0 && !memcmp(&b2, "G!", 2) &&
		  sd_mmio_read(f->t, 0x100, &b8, 8, &f->err) == 0 && !memcmp(&b8, "VOLTCFG!", 8),
	      "config space at 0x100 in 1, 2 and 8 byte accesses", f->err.msg);
	uint32_t v = 0xdeadbeef;
	check(sd_mmio_read(f->t, 0x100 + 6, &v, 4, &f->err) < 0 && v == 0,
	      "config read past its end refused (zeros)", NULL);
	check(sd_mmio_read(f->t, 0x100 + 1, &v, 3, &f->err) < 0, "config read of 3 bytes refused", NULL);
	check(sd_mmio_write(f->t, 0x100, &v, 4, &f->err) == 0 &&
		  ((struct test_dev *)f->t->dev)->config_writes == 1,
	      "config write reaches the device", NULL);
	check(mr(f, SD_MMIO_CONFIG_GENERATION) == 0, "config generation", NULL);
	sd_mmio_config_changed(f->t);
	check(mr(f, SD_MMIO_CONFIG_GENERATION) == 1 && f->irq_raises == 0,
	      "config change bumps the generation, no interrupt before DRIVER_OK", NULL);

	check(sd_mmio_read(f->t, SD_MMIO_STATUS, &b2, 2, &f->err) < 0, "16-bit register read refused", NULL);
	check(sd_mmio_read(f->t, SD_MMIO_STATUS + 1, &v, 4, &f->err) < 0, "misaligned register read refused",
	      NULL);
	check(mr(f, 0x0f0) == 0 && f->last_rc < 0, "read of an unknown register refused", NULL);
	check(mr(f, SD_MMIO_QUEUE_NOTIFY) == 0 && f->last_rc < 0, "read of a write-only register refused",
	      NULL);
	check(mw(f, SD_MMIO_MAGIC_VALUE, 1) < 0, "write to a read-only register refused", NULL);
}

static void test_bringup(struct fake *f, struct test_dev *t)
{
	uint32_t st = fk_bringup(f, F_OFFER, 8);
	check(st == 0xf && t->activations == 1 && f->t->dev->acked == F_OFFER,
	      "ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK: device activated", f->err.msg);
	check(t->q[0].active && t->q[1].active && t->q[0].event_idx, "queues active with EVENT_IDX", NULL);
	mw(f, SD_MMIO_QUEUE_SEL, 0);
	check(mr(f, SD_MMIO_QUEUE_READY) == 1, "QueueReady reads back", NULL);
	check(mw(f, SD_MMIO_QUEUE_NUM, 4) < 0 && t->q[0].size == 8, "queue setup after DRIVER_OK refused",
	      NULL);

	fk_desc(f, 1, 0, BUF, 64, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, 1, 0);
	fk_kick(f, 1);
	uint32_t id, len;
	check(t->notifies == 1 && fk_used(f, 1, &id, &len) && id == 0 && len == 64,
	      "QueueNotify runs the device's queue handler", f->err.msg);
	check(f->irq_level == 1 && mr(f, SD_MMIO_INTERRUPT_STATUS) == SD_VIRTIO_INT_USED,
	      "used buffer raises the interrupt line and InterruptStatus bit 0", NULL);
	fk_ack(f);
	check(f->irq_level == 0 && mr(f, SD_MMIO_INTERRUPT_STATUS) == 0, "InterruptACK lowers the line",
	      NULL);
	check(mw(f, SD_MMIO_QUEUE_NOTIFY, 7) < 0 && t->notifies == 1,
	      "notify of a queue that does not exist ignored", NULL);
	check(mw(f, SD_MMIO_STATUS, 0x7) < 0 && mr(f, SD_MMIO_STATUS) == 0xf,
	      "clearing a status bit without reset refused", NULL);
	sd_mmio_config_changed(f->t);
	check(fk_ack(f) == SD_VIRTIO_INT_CONFIG, "config change interrupt after DRIVER_OK", NULL);

	fk_desc(f, 1, 0, BUF, 64, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, 1, 0);
	int resets = t->resets;
	mw(f, SD_MMIO_STATUS, 0);
	check(t->resets == resets + 1 && mr(f, SD_MMIO_STATUS) == 0 && !t->q[0].ready && !t->q[1].active &&
		  f->t->dev->acked == 0,
	      "status 0 resets device, queues and features", NULL);
	check(mw(f, SD_MMIO_QUEUE_NOTIFY, 1) < 0 && t->notifies == 1, "notify after reset ignored", NULL);

	/* Only queue 0 set up: queue 1 stays inactive. */
	fk_negotiate(f, F_OFFER, false);
	fk_setup_queue(f, 0, 8);
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	check(mr(f, SD_MMIO_STATUS) == 0xf && t->q[0].active && !t->q[1].active,
	      "a queue left unready stays off", NULL);
	check(mw(f, SD_MMIO_QUEUE_NOTIFY, 1) < 0 && t->notifies == 1, "notify of an unready queue ignored",
	      NULL);
}

static void test_negotiation(struct fake *f, struct test_dev *t)
{
	mw(f, SD_MMIO_STATUS, 0);
	check(mw(f, SD_MMIO_STATUS, SD_VIRTIO_S_DRIVER) < 0 && mr(f, SD_MMIO_STATUS) == 0,
	      "DRIVER before ACKNOWLEDGE refused", NULL);

	check(!fk_negotiate(f, F_OFFER | (1ULL << 7), true),
	      "features the device did not offer: no FEATURES_OK", NULL);
	printf("# %s\n", f->err.msg);
	check(!fk_negotiate(f, F_DEVBIT, true), "driver without VERSION_1 (legacy): no FEATURES_OK", NULL);
	printf("# %s\n", f->err.msg);

	mw(f, SD_MMIO_STATUS, 0);
	fk_add_status(f, SD_VIRTIO_S_ACKNOWLEDGE);
	fk_add_status(f, SD_VIRTIO_S_DRIVER);
	int acts = t->activations;
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	check(!(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_DRIVER_OK) && t->activations == acts,
	      "DRIVER_OK without FEATURES_OK refused", NULL);
	printf("# %s\n", f->err.msg);

	fk_negotiate(f, F_OFFER, false);
	check(mw(f, SD_MMIO_DRIVER_FEATURES, 0) < 0 && f->t->dev->acked == F_OFFER,
	      "DriverFeatures after FEATURES_OK refused", NULL);
	fk_add_status(f, SD_VIRTIO_S_FAILED);
	check(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_FAILED, "driver may give up (FAILED)", NULL);
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	check(!(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_DRIVER_OK), "no DRIVER_OK after FAILED", NULL);
}

/* A queue set up wrong must end in NEEDS_RESET + a config interrupt. */
static void bad_queue(struct fake *f, struct test_dev *t, const char *name, uint32_t reg, uint32_t val)
{
	mw(f, SD_MMIO_STATUS, 0);
	f->irq_raises = 0;
	fk_negotiate(f, F_OFFER, false);
	fk_setup_queue(f, 0, 8);
	mw(f, SD_MMIO_QUEUE_SEL, 0);
	mw(f, SD_MMIO_QUEUE_READY, 0);
	mw(f, reg, val);
	mw(f, SD_MMIO_QUEUE_READY, 1);
	int acts = t->activations;
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	uint32_t st = mr(f, SD_MMIO_STATUS);
	check((st & SD_VIRTIO_S_NEEDS_RESET) && t->activations == acts && f->irq_raises == 1 &&
		  fk_ack(f) == SD_VIRTIO_INT_CONFIG,
	      name, NULL);
	printf("# %s\n", f->err.msg);
	check(mw(f, SD_MMIO_QUEUE_NOTIFY, 0) < 0, "  ...and notifies are ignored", NULL);
}

static void test_hostile_queues(struct fake *f, struct test_dev *t)
{
	bad_queue(f, t, "QueueNum not a power of two: NEEDS_RESET", SD_MMIO_QUEUE_NUM, 6);
	bad_queue(f, t, "QueueNum above QueueNumMax: NEEDS_RESET", SD_MMIO_QUEUE_NUM, 32);
	bad_queue(f, t, "descriptor table outside guest memory: NEEDS_RESET", SD_MMIO_QUEUE_DESC_HIGH, 1);
	bad_queue(f, t, "used ring outside guest memory: NEEDS_RESET", SD_MMIO_QUEUE_DEVICE_LOW,
		  MEM_SIZE - 8);
	bad_queue(f, t, "misaligned avail ring: NEEDS_RESET", SD_MMIO_QUEUE_DRIVER_LOW, 0x11001);

	/* A hostile chain at notify time. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_OFFER, 8);
	f->irq_raises = 0;
	fk_desc(f, 0, 0, BUF, 16, SD_VIRTQ_DESC_F_NEXT, 0);
	fk_publish(f, 0, 0);
	fk_kick(f, 0);
	check((mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET) && fk_ack(f) == SD_VIRTIO_INT_CONFIG,
	      "descriptor loop at notify: NEEDS_RESET and config interrupt", NULL);
	printf("# %s\n", f->err.msg);
	int n = t->notifies;
	fk_kick(f, 1);
	check(t->notifies == n, "broken device ignores further notifies", NULL);
	fk_add_status(f, SD_VIRTIO_S_DRIVER_OK);
	check(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET, "NEEDS_RESET survives a driver status write",
	      NULL);

	mw(f, SD_MMIO_STATUS, 0);
	uint32_t st = fk_bringup(f, F_OFFER, 8);
	fk_desc(f, 0, 3, BUF, 16, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, 0, 3);
	fk_kick(f, 0);
	uint32_t id, len;
	check(st == 0xf && fk_used(f, 0, &id, &len) && id == 3, "reset brings a broken device back",
	      f->err.msg);

	mw(f, SD_MMIO_STATUS, 0);
	t->fail_activate = true;
	st = fk_bringup(f, F_OFFER, 8);
	t->fail_activate = false;
	check(st & SD_VIRTIO_S_NEEDS_RESET, "device refusing activation: NEEDS_RESET", NULL);
}

int main(void)
{
	struct fake f;
	struct test_dev t;
	struct sd_mmio m;
	fk_mem_init(&f, MEM_SIZE);
	td_init(&t, &f, &m);
	test_identity(&f);
	test_bringup(&f, &t);
	test_negotiation(&f, &t);
	test_hostile_queues(&f, &t);
	fk_mem_free(&f);
	return done();
}
