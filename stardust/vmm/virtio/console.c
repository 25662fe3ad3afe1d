#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stardust/vmm/virtio/console.h"

static struct sd_console *to_console(struct sd_virtio_dev *d)
{
	return (struct sd_console *)d;
}

/* No F_SIZE, MULTIPORT or EMERG_WRITE offered: the driver reads nothing here. */
static void console_config_read(struct sd_virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memset(data, 0, len);
}

static void console_config_write(struct sd_virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
}

/* Blocking on a full out_fd is the back-pressure: the guest's transmit
 * queue fills and its writes wait. */
static int write_full(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		sd_iov_advance(&iov, &n, (size_t)r);
	}
	return 0;
}

static int console_tx(struct sd_console *c, struct volt_error *err)
{
	struct sd_vq *q = &c->queues[SD_CONSOLE_TXQ];
	bool pushed = false;
	int r;
	while ((r = sd_vq_pop(q, c->dev.mem, &c->chain, err)) > 0) {
		struct iovec iov[SD_VQ_SIZE_MAX];
		int n = sd_vq_chain_iov(&c->chain, false, 0, c->chain.readable, iov, SD_VQ_SIZE_MAX);
		if (n > 0 && write_full(c->out_fd, iov, n) < 0)
			c->out_errno = errno;
		if (sd_vq_push(q, c->chain.head, 0, err) < 0)
			return -1;
		pushed = true;
	}
	if (pushed)
		sd_virtio_used(&c->dev, SD_CONSOLE_TXQ);
	return r < 0 ? -1 : 0;
}

static int console_notify(struct sd_virtio_dev *d, uint16_t qi, struct volt_error *err)
{
	struct sd_console *c = to_console(d);
	if (qi == SD_CONSOLE_TXQ)
		return console_tx(c, err);
	c->rx_blocked = false;
	if (c->rx_kick)
		c->rx_kick(c->rx_kick_opaque);
	return 0;
}

int sd_console_rx(struct sd_console *c, struct volt_error *err)
{
	struct sd_vq *q = &c->queues[SD_CONSOLE_RXQ];
	if (!q->active || c->in_eof)
		return 0;
	int r = sd_vq_pop(q, c->dev.mem, &c->chain, err);
	if (r < 0) {
		sd_virtio_fail(&c->dev);
		return -1;
	}
	if (r == 0) {
		c->rx_blocked = true;
		return 0;
	}
	struct iovec iov[SD_VQ_SIZE_MAX];
	int n = sd_vq_chain_iov(&c->chain, true, 0, c->chain.writable, iov, SD_VQ_SIZE_MAX);
	ssize_t got = 0;
	if (n > 0) {
		/* One read only: another could block on a blocking fd. */
		do
			got = readv(c->in_fd, iov, n);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			sd_vq_unpop(q);
			if (got == 0)
				c->in_eof = true;
			if (got < 0 && errno != EAGAIN)
				return volt_err(err, errno, "virtio-console: read from fd %d", c->in_fd);
			return 0;
		}
	}
	/* A receive buffer without writable space is returned empty. */
	if (sd_vq_push(q, c->chain.head, (uint32_t)got, err) < 0)
		return -1;
	sd_virtio_used(&c->dev, SD_CONSOLE_RXQ);
	return (int)got;
}

static int console_activate(struct sd_virtio_dev *d, struct volt_error *err)
{
	return 0;
}

static void console_reset(struct sd_virtio_dev *d)
{
	struct sd_console *c = to_console(d);
	c->rx_blocked = false;
}

static const struct sd_virtio_ops console_ops = {
    .config_read = console_config_read,
    .config_write = console_config_write,
    .activate = console_activate,
    .notify = console_notify,
    .reset = console_reset,
};

int sd_console_init(struct sd_console *c, const struct sd_guest_mem *mem, int in_fd, int out_fd,
		    struct volt_error *err)
{
	if (out_fd < 0)
		return volt_err(err, -EBADF, "virtio-console: no output fd");
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->in_eof = in_fd < 0;
	c->queues[0].max_size = c->queues[1].max_size = SD_CONSOLE_QUEUE_SIZE;
	c->dev = (struct sd_virtio_dev){
	    .device_id = SD_VIRTIO_ID_CONSOLE,
	    .features = (1ULL << SD_VIRTIO_F_VERSION_1) | (1ULL << SD_VIRTIO_F_INDIRECT_DESC) |
			(1ULL << SD_VIRTIO_F_EVENT_IDX),
	    .config_len = SD_CONSOLE_CONFIG_LEN,
	    .nqueues = 2,
	    .queues = c->queues,
	    .mem = mem,
	    .ops = &console_ops,
	};
	return 0;
}
