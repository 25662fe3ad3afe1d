#include "stardust/vmm/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

void sd_bus_init(struct sd_bus *b, const char *name, uint8_t fill)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->fill = fill;
}

int sd_bus_add(struct sd_bus *b, const char *name, uint64_t base, uint64_t len, sd_bus_read_fn rd,
	       sd_bus_write_fn wr, void *opaque, struct volt_error *err)
{
	if (len == 0 || base + len < base)
		return volt_err(err, -EINVAL, "%s bus: %s window %#" PRIx64 "+%#" PRIx64 " is empty or wraps",
				b->name, name, base, len);
	if (b->n >= SD_BUS_MAX)
		return volt_err(err, -ENOSPC, "%s bus: no room for %s (%d devices)", b->name, name,
				SD_BUS_MAX);
	for (size_t i = 0; i < b->n; i++) {
		const struct sd_bus_dev *o = &b->dev[i];
		if (base < o->base + o->len && o->base < base + len)
			return volt_err(err, -EEXIST,
					"%s bus: %s at %#" PRIx64 "+%#" PRIx64 " overlaps %s at %#" PRIx64
					"+%#" PRIx64,
					b->name, name, base, len, o->name, o->base, o->len);
	}
	struct sd_bus_dev *d = &b->dev[b->n];
	*d = (struct sd_bus_dev){
	    .name = name, .base = base, .len = len, .read = rd, .write = wr, .opaque = opaque};
	int r = pthread_mutex_init(&d->lock, NULL);
	if (r != 0)
		return volt_err(err, r, "%s bus: lock for %s", b->name, name);
	b->n++;
	return 0;
}

struct sd_bus_dev *sd_bus_find(struct sd_bus *b, uint64_t addr, uint64_t len)
{
	if (len == 0 || addr + len < addr)
		return NULL;
	/* A handful of windows: a linear scan beats anything clever. */
	for (size_t i = 0; i < b->n; i++) {
		struct sd_bus_dev *d = &b->dev[i];
		if (addr >= d->base && addr - d->base <= d->len && len <= d->len - (addr - d->base))
			return d;
	}
	return NULL;
}

void sd_bus_dev_lock(struct sd_bus_dev *d)
{
	pthread_mutex_lock(&d->lock);
}

void sd_bus_dev_unlock(struct sd_bus_dev *d)
{
	pthread_mutex_unlock(&d->lock);
}

int sd_bus_read(struct sd_bus *b, uint64_t addr, void *data, uint32_t len, struct volt_error *err)
{
	struct sd_bus_dev *d = sd_bus_find(b, addr, len);
	memset(data, b->fill, len);
	if (!d)
		return SD_BUS_UNCLAIMED;
	if (!d->read)
		return SD_BUS_OK;
	sd_bus_dev_lock(d);
	int r = d->read(d->opaque, addr - d->base, data, len, err);
	sd_bus_dev_unlock(d);
	return r < 0 ? -1 : SD_BUS_OK;
}

int sd_bus_write(struct sd_bus *b, uint64_t addr, const void *data, uint32_t len, struct volt_error *err)
{
	struct sd_bus_dev *d = sd_bus_find(b, addr, len);
	if (!d)
		return SD_BUS_UNCLAIMED;
	if (!d->write)
		return SD_BUS_OK;
	sd_bus_dev_lock(d);
	int r = d->write(d->opaque, addr - d->base, data, len, err);
	sd_bus_dev_unlock(d);
	return r < 0 ? -1 : SD_BUS_OK;
}

void sd_bus_destroy(struct sd_bus *b)
{
	for (size_t i = 0; i < b->n; i++)
		pthread_mutex_destroy(&b->dev[i].lock);
	b->n = 0;
}
