#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stardust/vmm/virtio/net.h"

/* virtio_net_hdr: flags u8, gso_type u8, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers (u16 LE each). */
#define HDR_F_NEEDS_CSUM   1
#define HDR_NUM_BUFFERS_AT 10

/* What sd_net_rx's loop does after one step. */
enum rx_step {
	RX_STOP,      /* no buffer posted, nothing to read, or the backend is gone */
	RX_DELIVERED, /* one frame in the guest's buffer */
	RX_SKIPPED,   /* a frame dropped or a useless buffer returned: go on */
};

static struct sd_net *to_net(struct sd_virtio_dev *d)
{
	return (struct sd_net *)d;
}

static void net_config_read(struct sd_virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct sd_net *n = to_net(d);
	uint8_t cfg[SD_NET_CONFIG_LEN] = {0};
	memcpy(cfg, n->mac, SD_NET_MAC_LEN);
	memcpy(data, cfg + off, len);
}

/* The MAC is read-only without CTRL_MAC_ADDR (legacy drivers wrote it). */
static void net_config_write(struct sd_virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
}

/* One transmit chain is one frame. With no offloads negotiated the header
 * must ask for nothing: a GSO or partial-checksum frame would go out as
 * garbage, so it is refused like a chain that is too short or too long. */
static void tx_frame(struct sd_net *n, const struct sd_vq_chain *c)
{
	uint8_t hdr[2];
	if (c->readable < SD_NET_HDR_LEN + SD_NET_ETH_HLEN ||
	    c->readable - SD_NET_HDR_LEN > SD_NET_FRAME_MAX ||
	    sd_vq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr) || (hdr[0] & HDR_F_NEEDS_CSUM) ||
	    hdr[1]) {
		n->stats.tx_refused++;
		return;
	}
	uint32_t len = c->readable - SD_NET_HDR_LEN;
	struct iovec iov[SD_VQ_SIZE_MAX];
	int cnt = sd_vq_chain_iov(c, false, SD_NET_HDR_LEN, len, iov, SD_VQ_SIZE_MAX);
	if (cnt < 0) {
		n->stats.tx_refused++;
		return;
	}
	/* One writev: a tap or datagram socket takes it as one frame. A full
	 * backend drops the frame, as a NIC does; the vCPU never waits. */
	ssize_t w;
	do
		w = writev(n->fd, iov, cnt);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len) {
		n->tx_errno = w < 0 ? errno : EIO;
		n->stats.tx_errors++;
		return;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += len;
}

static int net_tx(struct sd_net *n, struct volt_error *err)
{
	struct sd_vq *q = &n->queues[SD_NET_TXQ];
	bool pushed = false;
	int r;
	while ((r = sd_vq_pop(q, n->dev.mem, &n->chain, err)) > 0) {
		tx_frame(n, &n->chain);
		if (sd_vq_push(q, n->chain.head, 0, err) < 0)
			return -1;
		pushed = true;
	}
	/* Frames sent before a broken chain are still reported. */
	if (pushed)
		sd_virtio_used(&n->dev, SD_NET_TXQ);
	return r < 0 ? -1 : 0;
}

static int net_notify(struct sd_virtio_dev *d, uint16_t qi, struct volt_error *err)
{
	struct sd_net *n = to_net(d);
	if (qi == SD_NET_TXQ)
		return net_tx(n, err);
	n->rx_blocked = false;
	if (n->rx_kick)
		n->rx_kick(n->rx_kick_opaque);
	return 0;
}

/* One frame into the next posted chain, read straight into the guest's
 * buffer after the header. One spare byte behind the buffer tells a frame
 * that did not fit from one that filled it exactly (a datagram socket
 * truncates, a tap reports the whole length): such a frame is dropped and
 * the buffer kept for the next one. Waiting instead would stall receive
 * for good, since a driver without MRG_RXBUF posts same-sized buffers. */
static int rx_one(struct sd_net *n, bool *pushed, struct volt_error *err)
{
	struct sd_vq *q = &n->queues[SD_NET_RXQ];
	struct sd_vq_chain *c = &n->chain;
	int r = sd_vq_pop(q, n->dev.mem, c, err);
	if (r < 0) {
		sd_virtio_fail(&n->dev);
		return -1;
	}
	if (r == 0) {
		n->rx_blocked = true;
		return RX_STOP;
	}
	/* No room for a header and an Ethernet header: given back empty,
	 * which the driver counts as a length error, without reading. */
	if (c->writable < SD_NET_HDR_LEN + SD_NET_ETH_HLEN) {
		if (sd_vq_push(q, c->head, 0, err) < 0)
			return -1;
		*pushed = true;
		n->stats.rx_short_bufs++;
		return RX_SKIPPED;
	}
	uint32_t room = c->writable - SD_NET_HDR_LEN;
	struct iovec iov[SD_VQ_SIZE_MAX + 1];
	int cnt = sd_vq_chain_iov(c, true, SD_NET_HDR_LEN, room, iov, SD_VQ_SIZE_MAX);
	if (cnt < 0) { /* cannot happen: the chain holds room bytes */
		sd_vq_unpop(q);
		return volt_err(err, -EINVAL, "virtio-net: receive chain of %u bytes", c->writable);
	}
	uint8_t spare;
	iov[cnt++] = (struct iovec){.iov_base = &spare, .iov_len = 1};
	ssize_t got;
	do
		got = readv(n->fd, iov, cnt);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		sd_vq_unpop(q);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return RX_STOP;
		/* 0 is a closed seqpacket peer (or an empty datagram, which
		 * is no frame either): the backend is gone. Stop reading
		 * rather than spin on a descriptor that stays readable. */
		n->rx_eof = true;
		if (got == 0)
			return RX_STOP;
		n->rx_errno = errno;
		return volt_err(err, errno, "virtio-net: read from fd %d", n->fd);
	}
	if ((uint64_t)got > room) {
		sd_vq_unpop(q);
		n->stats.rx_too_big++;
		return RX_SKIPPED;
	}
	uint8_t hdr[SD_NET_HDR_LEN] = {0};
	uint16_t one = htole16(1); /* without MRG_RXBUF, num_buffers is 1 (virtio 1.x 5.1.6.4.1) */
	memcpy(hdr + HDR_NUM_BUFFERS_AT, &one, 2);
	sd_vq_chain_write(c, 0, hdr, sizeof(hdr));
	if (sd_vq_push(q, c->head, SD_NET_HDR_LEN + (uint32_t)got, err) < 0)
		return -1;
	*pushed = true;
	n->stats.rx_frames++;
	n->stats.rx_bytes += (uint64_t)got;
	return RX_DELIVERED;
}

int sd_net_rx(struct sd_net *n, struct volt_error *err)
{
	if (!n->queues[SD_NET_RXQ].active || n->rx_eof)
		return 0;
	/* A blocking fd is read once per call: poll said one frame is there. */
	int budget = n->nonblock ? SD_NET_RX_BATCH : 1, delivered = 0, r = RX_SKIPPED;
	bool pushed = false;
	for (int i = 0; i < budget && r != RX_STOP; i++) {
		r = rx_one(n, &pushed, err);
		if (r < 0)
			break;
		if (r == RX_DELIVERED)
			delivered++;
	}
	if (pushed)
		sd_virtio_used(&n->dev, SD_NET_RXQ);
	return r < 0 ? -1 : delivered;
}

static int net_activate(struct sd_virtio_dev *d, struct volt_error *err)
{
	return 0;
}

static void net_reset(struct sd_virtio_dev *d)
{
	to_net(d)->rx_blocked = false;
}

static const struct sd_virtio_ops net_ops = {
    .config_read = net_config_read,
    .config_write = net_config_write,
    .activate = net_activate,
    .notify = net_notify,
    .reset = net_reset,
};

/* Frames must keep their boundaries and cross without a prefix: a tap
 * without packet info or vnet header, or a datagram/seqpacket socket. */
static int check_backend(int fd, struct volt_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return volt_err(err, errno, "virtio-net: fstat backend fd %d", fd);
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
			return volt_err(err, errno, "virtio-net: socket type of fd %d", fd);
		if (type != SOCK_DGRAM && type != SOCK_SEQPACKET)
			return volt_err(err, -EINVAL,
					"virtio-net: fd %d is a stream socket (frames need datagrams)", fd);
		return 0;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (!S_ISCHR(st.st_mode) || ioctl(fd, TUNGETIFF, &ifr) < 0)
		return volt_err(err, -EINVAL, "virtio-net: fd %d is neither a tap nor a datagram socket", fd);
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP || !(ifr.ifr_flags & IFF_NO_PI) ||
	    (ifr.ifr_flags & IFF_VNET_HDR))
		return volt_err(err, -EINVAL,
				"virtio-net: %s (fd %d) is not a tap with IFF_NO_PI and no vnet header",
				ifr.ifr_name, fd);
	return 0;
}

int sd_net_init(struct sd_net *n, const struct sd_guest_mem *mem, int fd, const uint8_t *mac,
		const char *mac_seed, struct volt_error *err)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return volt_err(err, errno, "virtio-net: backend fd %d", fd);
	if (check_backend(fd, err) < 0)
		return -1;
	if (mac && (mac[0] & 1))
		return volt_err(err, -EINVAL, "virtio-net: MAC %02x:... is a multicast address", mac[0]);

	memset(n, 0, sizeof(*n));
	n->fd = fd;
	n->nonblock = fl & O_NONBLOCK;
	if (mac)
		memcpy(n->mac, mac, SD_NET_MAC_LEN);
	else
		sd_net_default_mac(mac_seed ? mac_seed : "", n->mac);
	n->queues[0].max_size = n->queues[1].max_size = SD_NET_QUEUE_SIZE;
	n->dev = (struct sd_virtio_dev){
	    .device_id = SD_VIRTIO_ID_NET,
	    .features = (1ULL << SD_VIRTIO_F_VERSION_1) | (1ULL << SD_VIRTIO_F_INDIRECT_DESC) |
			(1ULL << SD_VIRTIO_F_EVENT_IDX) | (1ULL << SD_VIRTIO_NET_F_MAC),
	    .config_len = SD_NET_CONFIG_LEN,
	    .nqueues = 2,
	    .queues = n->queues,
	    .mem = mem,
	    .ops = &net_ops,
	};
	return 0;
}

void sd_net_default_mac(const char *seed, uint8_t mac[SD_NET_MAC_LEN])
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)seed; *p; p++)
		h = (h ^ *p) * 16777619u;
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = 0x5d;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}
