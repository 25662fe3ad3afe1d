/* virtio-net over a socketpair backend (one frame per datagram), through the
 * mmio transport and a fake driver laying out buffers the way Linux's
 * virtio_net does without mergeable buffers (header and frame in one
 * receive buffer; header then frame on transmit): feature negotiation, the
 * MAC in config space, frames both ways, a guest with no receive buffer
 * posted, frames too big for the buffer, hostile rings refused without a
 * stray access (guest memory is fenced by guard pages). With root, the same
 * over a real tap in a network namespace of our own. Also --net-tap and
 * --net-fd on the monitor's command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stardust/vmm/config.h"
#include "stardust/vmm/tap.h"
#include "stardust/vmm/virtio/net.h"
#include "sd-virtio-fake-driver.h"

#define MEM_SIZE (1u << 20)
#define TXBUF	 0x40000ULL
#define RXBUF	 0x60000ULL
#define BIGBUF	 0x80000ULL /* 0x80000..0x100000: room for an oversize chain */
#define RXQ	 SD_NET_RXQ
#define TXQ	 SD_NET_TXQ
#define RX_LEN	 (SD_NET_HDR_LEN + 1518) /* what Linux posts without MRG_RXBUF */

#define BIT(b)	(1ULL << (b))
#define F_BASIC (BIT(SD_VIRTIO_F_VERSION_1) | BIT(SD_VIRTIO_NET_F_MAC))
/* What Linux asks for (offloads included; the device offers none). */
#define F_LINUX                                                                                              \
	(F_BASIC | BIT(SD_VIRTIO_F_INDIRECT_DESC) | BIT(SD_VIRTIO_F_EVENT_IDX) | 0xffffULL | BIT(16) |       \
	 BIT(17) | BIT(22))

struct rig {
	struct fake f;
	struct sd_net net;
	struct sd_mmio m;
	int sv[2]; /* sv[0]: the device's backend, sv[1]: the host network */
	int kicks;
};

static void on_rx_kick(void *opaque)
{
	((struct rig *)opaque)->kicks++;
}

static void rig_init(struct rig *r, int type, const uint8_t *mac)
{
	memset(r, 0, sizeof(*r));
	fk_mem_init(&r->f, MEM_SIZE);
	if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, r->sv) < 0 ||
	    sd_net_init(&r->net, &r->f.mem, r->sv[0], mac, "tap-test", &r->f.err) < 0) {
		fprintf(stderr, "net rig: %s %s\n", strerror(errno), r->f.err.msg);
		exit(2);
	}
	r->net.rx_kick = on_rx_kick;
	r->net.rx_kick_opaque = r;
	sd_mmio_init(&r->m, &r->net.dev, fk_irq, &r->f);
	r->f.t = &r->m;
}

static void rig_free(struct rig *r)
{
	for (int i = 0; i < 2; i++)
		if (r->sv[i] >= 0)
			close(r->sv[i]);
	fk_mem_free(&r->f);
}

static void frame_fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* The guest transmits a frame of len bytes: header (12 bytes, `hdr0` and
 * `hdr1` as flags and gso_type) in descriptor `head`, the frame in `pieces`
 * descriptors after it; 0 pieces: header and frame in one descriptor. */
static bool guest_tx(struct rig *r, uint16_t head, const uint8_t *frame, uint32_t len, int pieces,
		     uint8_t hdr0, uint8_t hdr1)
{
	struct fake *f = &r->f;
	memset(gp(f, TXBUF), 0, SD_NET_HDR_LEN);
	*gp(f, TXBUF) = hdr0;
	*gp(f, TXBUF + 1) = hdr1;
	memcpy(gp(f, TXBUF + SD_NET_HDR_LEN), frame, len);
	if (pieces == 0) {
		fk_desc(f, TXQ, head, TXBUF, SD_NET_HDR_LEN + len, 0, 0);
	} else {
		fk_desc(f, TXQ, head, TXBUF, SD_NET_HDR_LEN, SD_VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
		fk_chain(f, TXQ, (uint16_t)(head + 1), TXBUF + SD_NET_HDR_LEN, len, pieces);
	}
	fk_publish(f, TXQ, head);
	fk_kick(f, TXQ);
	uint32_t id, used;
	return fk_used(f, TXQ, &id, &used) && id == head && used == 0;
}

static void guest_post_rx(struct rig *r, uint16_t d, uint64_t gpa, uint32_t len)
{
	fk_desc(&r->f, RXQ, d, gpa, len, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(&r->f, RXQ, d);
	fk_kick(&r->f, RXQ);
}

/* The receive header Linux expects without offloads: zeros, num_buffers 1. */
static bool rx_hdr_ok(struct rig *r, uint64_t gpa)
{
	static const uint8_t want[SD_NET_HDR_LEN] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	return !memcmp(gp(&r->f, gpa), want, SD_NET_HDR_LEN);
}

static ssize_t host_recv(struct rig *r, void *buf, size_t len)
{
	return recv(r->sv[1], buf, len, MSG_DONTWAIT);
}

/* A frame the device should have left unread in its backend. */
static ssize_t backend_unread(struct rig *r, void *buf, size_t len)
{
	return recv(r->sv[0], buf, len, MSG_DONTWAIT);
}

static void test_features_config(void)
{
	struct rig r;
	rig_init(&r, SOCK_SEQPACKET, NULL);
	struct fake *f = &r.f;
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = mr(f, SD_MMIO_DEVICE_FEATURES);
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t hi = mr(f, SD_MMIO_DEVICE_FEATURES);
	check(mr(f, SD_MMIO_DEVICE_ID) == SD_VIRTIO_ID_NET && (lo & 0xffffff) == BIT(SD_VIRTIO_NET_F_MAC) &&
		  (hi & 1),
	      "device id 1; of the net features only MAC offered (no CSUM/GSO/MRG_RXBUF/STATUS/CTRL_VQ/MQ); "
	      "VERSION_1",
	      NULL);

	check(fk_negotiate(f, BIT(SD_VIRTIO_NET_F_MAC) | BIT(SD_VIRTIO_NET_F_MAC + 1), true) == false,
	      "driver accepting GSO (not offered): FEATURES_OK refused", f->err.msg);
	check(fk_negotiate(f, BIT(SD_VIRTIO_NET_F_MAC), true) == false,
	      "driver without VERSION_1 (legacy): FEATURES_OK refused", f->err.msg);
	check(fk_negotiate(f, BIT(0) | F_BASIC, true) == false,
	      "driver accepting CSUM (not offered): refused", NULL);
	uint32_t st = fk_bringup(f, F_LINUX, 256);
	check(st == 0xf &&
		  r.net.dev.acked == (F_BASIC | BIT(SD_VIRTIO_F_INDIRECT_DESC) | BIT(SD_VIRTIO_F_EVENT_IDX)),
	      "Linux's feature set negotiates down to VERSION_1, MAC and the ring features", f->err.msg);

	uint8_t want[6], got[6];
	sd_net_default_mac("tap-test", want);
	for (uint32_t i = 0; i < 6; i++) {
		uint8_t b = 0;
		sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF + i, &b, 1, &f->err);
		got[i] = b;
	}
	check(!memcmp(got, want, 6) && want[0] == 0x02 && want[1] == 0x5d,
	      "config space: the default MAC byte by byte, locally administered unicast", NULL);
	uint32_t w = 0;
	uint16_t status = 0xffff;
	int rc = sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF, &w, 4, &f->err);
	int rc2 = sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF + 6, &status, 2, &f->err);
	check(rc == 0 && rc2 == 0 && !memcmp(&w, want, 4) && status == 0,
	      "config space: a 4-byte read of the MAC, status reads 0", NULL);
	w = 0xffffffff;
	check(sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF + SD_NET_CONFIG_LEN, &w, 4, &f->err) < 0 && w == 0,
	      "config read past the config space refused", NULL);
	uint8_t zero[2] = {0};
	sd_mmio_write(&r.m, SD_MMIO_CONFIG_OFF, zero, 2, &f->err);
	sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF, &w, 4, &f->err);
	check(!memcmp(&w, want, 4), "config writes do not change the MAC", NULL);
	rig_free(&r);

	uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	rig_init(&r, SOCK_DGRAM, mac);
	uint64_t cfg = 0;
	sd_mmio_read(&r.m, SD_MMIO_CONFIG_OFF, &cfg, 8, &r.f.err);
	check(!memcmp(&cfg, mac, 6), "config space: a given MAC", NULL);
	rig_free(&r);

	uint8_t a[6], b[6], c[6];
	sd_net_default_mac("tap0", a);
	sd_net_default_mac("tap0", b);
	sd_net_default_mac("tap1", c);
	check(!memcmp(a, b, 6) && memcmp(a, c, 6) && !(a[0] & 1) && (a[0] & 2),
	      "default MAC: stable per name, different across names", NULL);
}

static void test_backend_checks(void)
{
	struct fake f;
	fk_mem_init(&f, MEM_SIZE);
	struct sd_net n;
	int sv[2], p[2];
	bool ok = socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0;
	check(ok && sd_net_init(&n, &f.mem, sv[0], NULL, "x", &f.err) < 0,
	      "a stream socket is refused as a backend (no frame boundaries)", NULL);
	printf("# %s\n", f.err.msg);
	ok = pipe(p) == 0;
	check(ok && sd_net_init(&n, &f.mem, p[0], NULL, "x", &f.err) < 0, "a pipe is refused as a backend",
	      NULL);
	check(sd_net_init(&n, &f.mem, 1000, NULL, "x", &f.err) < 0, "a closed fd is refused", NULL);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	uint8_t mc[6] = {0x01, 0, 0x5e, 0, 0, 1};
	check(sd_net_init(&n, &f.mem, sv[0], mc, "x", &f.err) < 0, "a multicast MAC is refused", NULL);
	close(sv[0]);

	uint8_t mac[6];
	check(sd_vm_net_parse_mac("52:54:00:AB:cd:ef", mac, &f.err) == 0 && mac[0] == 0x52 &&
		  mac[3] == 0xab && mac[5] == 0xef,
	      "MAC parse", NULL);
	const char *bad[] = {"",
			     "52:54:00:ab:cd",
			     "52:54:00:ab:cd:ef:",
			     "52-54-00-ab-cd-ef",
			     "5:54:00:ab:cd:ef",
			     "52:54:00:ab:cd:eg",
			     "03:00:00:00:00:01",
			     "00:00:00:00:00:00"};
	bool all = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		all &= sd_vm_net_parse_mac(bad[i], mac, &f.err) < 0;
	check(all, "MAC parse refuses short, long, wrong separators, bad hex, multicast, zero", NULL);
	fk_mem_free(&f);
}

static void test_tx(int type, const char *what)
{
	struct rig r;
	char name[160];
	rig_init(&r, type, NULL);
	struct fake *f = &r.f;
	fk_bringup(f, F_BASIC, 64);

	uint8_t frame[1514], got[2048];
	frame_fill(frame, sizeof frame, 1);
	snprintf(name, sizeof name, "%s: TX frame (header, then 3 pieces) arrives whole, header stripped",
		 what);
	bool ok = guest_tx(&r, 0, frame, sizeof frame, 3, 0, 0);
	ssize_t n = host_recv(&r, got, sizeof got);
	check(ok && n == (ssize_t)sizeof frame && !memcmp(got, frame, sizeof frame), name, f->err.msg);
	check(f->irq_level == 1 && fk_ack(f) == SD_VIRTIO_INT_USED, "TX completion interrupts", NULL);

	frame_fill(frame, 60, 7);
	ok = guest_tx(&r, 10, frame, 60, 0, 0, 0) && guest_tx(&r, 11, frame + 1, 59, 1, 0, 0);
	ssize_t n1 = host_recv(&r, got, sizeof got);
	bool first = n1 == 60 && !memcmp(got, frame, 60);
	ssize_t n2 = host_recv(&r, got, sizeof got);
	check(ok && first && n2 == 59 && !memcmp(got, frame + 1, 59) && host_recv(&r, got, sizeof got) < 0,
	      "two frames (header and frame in one descriptor, then apart) are two writes", NULL);
	check(r.net.stats.tx_frames == 3 && r.net.stats.tx_refused == 0, "TX counters", NULL);
	rig_free(&r);
}

static void test_tx_refused(void)
{
	struct rig r;
	rig_init(&r, SOCK_SEQPACKET, NULL);
	struct fake *f = &r.f;
	fk_bringup(f, F_BASIC, 64);
	uint8_t frame[64] = {0}, got[128];
	uint32_t id, used;

	/* 8 readable bytes: not even the header. */
	fk_desc(f, TXQ, 0, TXBUF, 8, 0, 0);
	fk_publish(f, TXQ, 0);
	fk_kick(f, TXQ);
	check(fk_used(f, TXQ, &id, &used) && id == 0 && used == 0 && host_recv(&r, got, sizeof got) < 0 &&
		  r.net.stats.tx_refused == 1,
	      "TX chain too short for the header: completed, nothing sent", NULL);
	check(guest_tx(&r, 1, frame, 0, 0, 0, 0) && host_recv(&r, got, sizeof got) < 0 &&
		  guest_tx(&r, 1, frame, 13, 0, 0, 0) && host_recv(&r, got, sizeof got) < 0,
	      "TX of a header with no frame, or less than an Ethernet header: nothing sent", NULL);
	check(guest_tx(&r, 2, frame, 60, 0, 0, 1) && guest_tx(&r, 3, frame, 60, 1, 1, 0) &&
		  host_recv(&r, got, sizeof got) < 0,
	      "TX asking for GSO or a partial checksum (not negotiated): nothing sent", NULL);

	/* One byte over the largest frame, in 4 descriptors. */
	uint32_t total = SD_NET_HDR_LEN + SD_NET_FRAME_MAX + 1, per = total / 4;
	memset(gp(f, BIGBUF), 0, total);
	for (uint16_t i = 0; i < 4; i++)
		fk_desc(f, TXQ, (uint16_t)(4 + i), BIGBUF + (uint64_t)per * i, i == 3 ? total - 3 * per : per,
			i < 3 ? SD_VIRTQ_DESC_F_NEXT : 0, (uint16_t)(5 + i));
	fk_publish(f, TXQ, 4);
	fk_kick(f, TXQ);
	check(fk_used(f, TXQ, &id, &used) && id == 4 && host_recv(&r, got, sizeof got) < 0 &&
		  r.net.stats.tx_refused == 6,
	      "TX chain one byte over the largest frame: refused, not cut", NULL);
	fk_desc(f, TXQ, 7, BIGBUF + 3 * per, total - 3 * per - 1, 0, 0);
	fk_publish(f, TXQ, 4);
	fk_kick(f, TXQ);
	uint8_t *big = malloc(SD_NET_FRAME_MAX + 16);
	ssize_t n = big ? recv(r.sv[1], big, SD_NET_FRAME_MAX + 16, MSG_DONTWAIT) : -1;
	check(fk_used(f, TXQ, &id, &used) && (n == SD_NET_FRAME_MAX || (n < 0 && r.net.stats.tx_errors == 1)),
	      "TX of exactly the largest frame is sent (or the backend's own refusal counted)",
	      strerror(errno));
	free(big);
	check(!(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET), "refused frames do not break the device",
	      NULL);

	/* The peer is gone: frames are dropped and counted, the guest goes on. */
	close(r.sv[1]);
	r.sv[1] = -1;
	check(guest_tx(&r, 20, frame, 60, 0, 0, 0) && r.net.stats.tx_errors >= 1 && r.net.tx_errno != 0,
	      "TX with the backend's peer closed: completed, error counted", NULL);
	rig_free(&r);
}

static void test_rx(int type, const char *what, uint64_t features)
{
	struct rig r;
	char name[160];
	rig_init(&r, type, NULL);
	struct fake *f = &r.f;
	fk_bringup(f, features, 64);
	uint8_t frame[1514];
	uint32_t id, len;

	/* No buffer posted: the frame waits in the backend. */
	frame_fill(frame, 1000, 3);
	bool sent = send(r.sv[1], frame, 1000, 0) == 1000;
	int n = sd_net_rx(&r.net, &f->err);
	check(sent && n == 0 && r.net.rx_blocked && !fk_used(f, RXQ, &id, &len),
	      "RX with no buffer posted: nothing read, rx_blocked", NULL);
	guest_post_rx(&r, 0, RXBUF, RX_LEN);
	check(r.kicks == 1 && !r.net.rx_blocked, "posting a buffer kicks the monitor, rx_blocked clears",
	      NULL);
	n = sd_net_rx(&r.net, &f->err);
	snprintf(name, sizeof name, "%s: the waiting frame lands in the buffer, used length header + frame",
		 what);
	check(n == 1 && fk_used(f, RXQ, &id, &len) && id == 0 && len == SD_NET_HDR_LEN + 1000 &&
		  rx_hdr_ok(&r, RXBUF) && !memcmp(gp(f, RXBUF + SD_NET_HDR_LEN), frame, 1000),
	      name, f->err.msg);
	check(fk_ack(f) == SD_VIRTIO_INT_USED, "RX completion interrupts", NULL);
	check(sd_net_rx(&r.net, &f->err) == 0 && r.net.rx_blocked, "  ...then no buffer: blocked again",
	      NULL);
	if (features & BIT(SD_VIRTIO_F_EVENT_IDX))
		check(get16(f, f->q[RXQ].used + 4 + 8 * 64) == 1,
		      "  ...and avail_event asks the driver to kick on its next buffer (EVENT_IDX)", NULL);

	/* Frame posted first this time, full size, header dirty beforehand. */
	memset(gp(f, RXBUF), 0xee, RX_LEN);
	guest_post_rx(&r, 1, RXBUF, RX_LEN);
	frame_fill(frame, sizeof frame, 9);
	n = sd_net_rx(&r.net, &f->err);
	check(n == 0 && !r.net.rx_blocked && !fk_used(f, RXQ, &id, &len),
	      "RX with nothing to read: buffer kept", NULL);
	sent = send(r.sv[1], frame, sizeof frame, 0) == (ssize_t)sizeof frame;
	n = sd_net_rx(&r.net, &f->err);
	check(sent && n == 1 && fk_used(f, RXQ, &id, &len) && id == 1 && len == SD_NET_HDR_LEN + 1514 &&
		  rx_hdr_ok(&r, RXBUF) && !memcmp(gp(f, RXBUF + SD_NET_HDR_LEN), frame, 1514),
	      "RX of a full 1514-byte frame: header zeroed but num_buffers 1", NULL);

	/* Header and frame in separate writable descriptors. */
	fk_desc(f, RXQ, 2, RXBUF, SD_NET_HDR_LEN, SD_VIRTQ_DESC_F_WRITE | SD_VIRTQ_DESC_F_NEXT, 3);
	fk_desc(f, RXQ, 3, RXBUF + 0x1000, 200, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, RXQ, 2);
	fk_kick(f, RXQ);
	sent = send(r.sv[1], frame, 150, 0) == 150;
	n = sd_net_rx(&r.net, &f->err);
	check(sent && n == 1 && fk_used(f, RXQ, &id, &len) && id == 2 && len == SD_NET_HDR_LEN + 150 &&
		  rx_hdr_ok(&r, RXBUF) && !memcmp(gp(f, RXBUF + 0x1000), frame, 150),
	      "RX into a chain with the header apart from the frame", NULL);

	/* A frame too big for the buffer is dropped; the buffer takes the
	 * next one. */
	guest_post_rx(&r, 4, RXBUF, SD_NET_HDR_LEN + 100);
	sent = send(r.sv[1], frame, 101, 0) == 101 && send(r.sv[1], frame + 5, 100, 0) == 100;
	n = sd_net_rx(&r.net, &f->err);
	check(sent && n == 1 && r.net.stats.rx_too_big == 1 && fk_used(f, RXQ, &id, &len) && id == 4 &&
		  len == SD_NET_HDR_LEN + 100 && !memcmp(gp(f, RXBUF + SD_NET_HDR_LEN), frame + 5, 100),
	      "RX frame one byte over the buffer: dropped and counted, the next frame fills it exactly",
	      NULL);

	/* A buffer with no room for a header is handed back empty, unread. */
	fk_desc(f, RXQ, 5, RXBUF, SD_NET_HDR_LEN + 13, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, RXQ, 5);
	fk_desc(f, RXQ, 6, RXBUF + 0x2000, RX_LEN, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, RXQ, 6);
	fk_kick(f, RXQ);
	sent = send(r.sv[1], frame, 64, 0) == 64;
	n = sd_net_rx(&r.net, &f->err);
	uint32_t id2, len2;
	check(sent && n == 1 && fk_used(f, RXQ, &id, &len) && id == 5 && len == 0 &&
		  fk_used(f, RXQ, &id2, &len2) && id2 == 6 && len2 == SD_NET_HDR_LEN + 64 &&
		  r.net.stats.rx_short_bufs == 1,
	      "RX chain too short for header + Ethernet header: returned empty, frame goes to the next",
	      NULL);

	/* Several frames, one call (non-blocking backend). */
	for (uint16_t i = 0; i < 3; i++)
		guest_post_rx(&r, (uint16_t)(10 + i), RXBUF + 0x800 * (i + 4), RX_LEN);
	sent = true;
	for (int i = 0; i < 3; i++)
		sent &= send(r.sv[1], frame + i, (size_t)(100 + i), 0) == 100 + i;
	n = sd_net_rx(&r.net, &f->err);
	bool order = true;
	for (uint16_t i = 0; i < 3; i++)
		order &= fk_used(f, RXQ, &id, &len) && id == 10u + i && len == SD_NET_HDR_LEN + 100u + i &&
			 !memcmp(gp(f, RXBUF + 0x800 * (i + 4) + SD_NET_HDR_LEN), frame + i, 100 + i);
	check(sent && n == 3 && order, "three frames in one call, in order", NULL);
	check(r.net.stats.rx_frames == 8, "RX counters", NULL);

	/* The backend's peer closes. A seqpacket socket then reads as EOF
	 * and stays readable: stop reading rather than spin. A datagram
	 * socket just has nothing more to read. Buffers are kept. */
	guest_post_rx(&r, 20, RXBUF, RX_LEN);
	close(r.sv[1]);
	r.sv[1] = -1;
	n = sd_net_rx(&r.net, &f->err);
	bool eof_ok = type == SOCK_SEQPACKET ? r.net.rx_eof : !r.net.rx_eof;
	snprintf(name, sizeof name, "%s: backend's peer closed: %s, buffer kept", what,
		 type == SOCK_SEQPACKET ? "rx_eof, no more reads" : "nothing to read");
	check(n == 0 && eof_ok && !fk_used(f, RXQ, &id, &len) && sd_net_rx(&r.net, &f->err) == 0, name, NULL);
	rig_free(&r);
}

static bool needs_reset(struct fake *f)
{
	return mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET;
}

static void test_hostile(void)
{
	struct rig r;
	rig_init(&r, SOCK_SEQPACKET, NULL);
	struct fake *f = &r.f;
	uint8_t frame[256] = {0}, got[512];
	frame_fill(frame, sizeof frame, 5);

	/* Receive buffer running off the end of guest memory into the guard
	 * page: refused before any read, the frame stays in the backend. */
	fk_bringup(f, F_BASIC, 64);
	guest_post_rx(&r, 0, MEM_SIZE - 8, RX_LEN);
	bool sent = send(r.sv[1], frame, 100, 0) == 100;
	check(sent && sd_net_rx(&r.net, &f->err) < 0 && needs_reset(f) && (fk_ack(f) & SD_VIRTIO_INT_CONFIG),
	      "RX buffer past the end of guest memory: NEEDS_RESET", NULL);
	printf("# %s\n", f->err.msg);
	check(sd_net_rx(&r.net, &f->err) == 0 && backend_unread(&r, got, sizeof got) == 100,
	      "  ...nothing read from the backend, and no more reads", NULL);

	/* Buffer whose address wraps around 2^64. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	guest_post_rx(&r, 0, 0xfffffffffffff000ULL, 0x2000);
	sent = send(r.sv[1], frame, 100, 0) == 100;
	check(sent && sd_net_rx(&r.net, &f->err) < 0 && needs_reset(f) &&
		  backend_unread(&r, got, sizeof got) == 100,
	      "RX buffer address wrapping around: NEEDS_RESET, nothing read", NULL);

	/* RX avail idx jumping past the queue size. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	put16(f, f->q[RXQ].avail + 2, 65);
	sent = send(r.sv[1], frame, 100, 0) == 100;
	check(sent && sd_net_rx(&r.net, &f->err) < 0 && needs_reset(f) &&
		  backend_unread(&r, got, sizeof got) == 100,
	      "RX avail idx out of range: NEEDS_RESET, nothing read", NULL);

	/* RX ring entry naming a descriptor beyond the table. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	fk_publish(f, RXQ, 64);
	sent = send(r.sv[1], frame, 100, 0) == 100;
	check(sent && sd_net_rx(&r.net, &f->err) < 0 && needs_reset(f) &&
		  backend_unread(&r, got, sizeof got) == 100,
	      "RX avail ring head index out of range: NEEDS_RESET", NULL);

	/* RX chain with a readable descriptor after a writable one. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	fk_desc(f, RXQ, 0, RXBUF, 100, SD_VIRTQ_DESC_F_WRITE | SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, RXQ, 1, RXBUF + 100, 2000, 0, 0);
	fk_publish(f, RXQ, 0);
	fk_kick(f, RXQ);
	sent = send(r.sv[1], frame, 100, 0) == 100;
	check(sent && sd_net_rx(&r.net, &f->err) < 0 && needs_reset(f) &&
		  backend_unread(&r, got, sizeof got) == 100,
	      "RX chain readable after writable: NEEDS_RESET", NULL);

	/* TX frame buffer running into the guard page. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	fk_desc(f, TXQ, 0, TXBUF, SD_NET_HDR_LEN, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, TXQ, 1, MEM_SIZE - 64, 128, 0, 0);
	fk_publish(f, TXQ, 0);
	fk_kick(f, TXQ);
	check(needs_reset(f) && host_recv(&r, got, sizeof got) < 0,
	      "TX buffer past the end of guest memory: NEEDS_RESET, nothing sent", NULL);
	printf("# %s\n", f->err.msg);

	/* TX avail idx jump, and a looping chain. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	put16(f, f->q[TXQ].avail + 2, 200);
	fk_kick(f, TXQ);
	check(needs_reset(f) && host_recv(&r, got, sizeof got) < 0, "TX avail idx out of range: NEEDS_RESET",
	      NULL);
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	fk_desc(f, TXQ, 0, TXBUF, 100, SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, TXQ, 1, TXBUF, 100, SD_VIRTQ_DESC_F_NEXT, 0);
	fk_publish(f, TXQ, 0);
	fk_kick(f, TXQ);
	check(needs_reset(f) && host_recv(&r, got, sizeof got) < 0, "TX descriptor loop: NEEDS_RESET", NULL);

	/* A TX frame sent before a broken chain is still sent and reported. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	memset(gp(f, TXBUF), 0, SD_NET_HDR_LEN);
	memcpy(gp(f, TXBUF + SD_NET_HDR_LEN), frame, 60);
	fk_desc(f, TXQ, 0, TXBUF, SD_NET_HDR_LEN + 60, 0, 0);
	fk_desc(f, TXQ, 1, MEM_SIZE, 1, 0, 0);
	fk_publish(f, TXQ, 0);
	fk_publish(f, TXQ, 1);
	fk_kick(f, TXQ);
	uint32_t id, len;
	check(needs_reset(f) && fk_used(f, TXQ, &id, &len) && id == 0 &&
		  host_recv(&r, got, sizeof got) == 60 && !fk_used(f, TXQ, &id, &len),
	      "TX frame before a broken chain: sent and used; the broken one is not", NULL);

	/* After a reset the device works again. */
	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, F_BASIC, 64);
	check(guest_tx(&r, 0, frame, 60, 0, 0, 0) && host_recv(&r, got, sizeof got) == 60 && !needs_reset(f),
	      "after a reset the device transmits again", NULL);
	rig_free(&r);
}

/* ---- a real tap, in a network namespace of our own (root) ---- */

enum {
	TAP_OPEN = 1,
	TAP_ACCEPTED = 2,
	TAP_TX = 4,
	TAP_RX = 8,
	TAP_VNET_REFUSED = 16,
	TAP_ALL = 31,
};

static int link_up(const char *name, int *ifindex)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int r = s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? -1 : 0;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0)
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	if (r == 0)
		r = ioctl(s, SIOCGIFINDEX, &ifr);
	*ifindex = ifr.ifr_ifindex;
	if (s >= 0)
		close(s);
	return r;
}

static int wait_readable(int fd)
{
	for (int i = 0; i < 200; i++) {
		uint8_t b;
		if (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
			return 0;
		usleep(5000);
	}
	return -1;
}

/* The child's work: returns the TAP_* bits that passed. */
static int tap_child(void)
{
	int ok = 0;
	if (unshare(CLONE_NEWNET) < 0)
		return 0;
	struct volt_error err = {0};
	int fd = sd_tap_open("sdnet0", &err);
	if (fd < 0)
		return 0;
	ok |= TAP_OPEN;
	/* No IPv6 chatter (router solicitations, MLD) on the tap. */
	int v6 = open("/proc/sys/net/ipv6/conf/sdnet0/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (v6 >= 0) {
		if (write(v6, "1", 1) < 0) { /* best effort */
		}
		close(v6);
	}
	struct rig r;
	memset(&r, 0, sizeof(r));
	fk_mem_init(&r.f, MEM_SIZE);
	if (sd_net_init(&r.net, &r.f.mem, fd, NULL, "sdnet0", &r.f.err) < 0)
		return ok;
	ok |= TAP_ACCEPTED;
	sd_mmio_init(&r.m, &r.net.dev, fk_irq, &r.f);
	r.f.t = &r.m;
	r.sv[0] = r.sv[1] = -1;
	fk_bringup(&r.f, F_BASIC, 64);

	int ifindex = 0;
	int pk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (link_up("sdnet0", &ifindex) < 0 || pk < 0)
		return ok;
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	if (bind(pk, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return ok;

	/* Guest -> tap: a frame with an experimental EtherType (0x88b5). */
	uint8_t frame[80], got[256];
	memset(frame, 0xff, 6);
	sd_net_default_mac("sdnet0", frame + 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	frame_fill(frame + 14, sizeof(frame) - 14, 0x41);
	bool seen = false;
	if (guest_tx(&r, 0, frame, sizeof(frame), 2, 0, 0) && wait_readable(pk) == 0) {
		/* The kernel may have queued its own frames (IPv6 router
		 * solicitations) first: look for ours. */
		ssize_t n;
		while (!seen && (n = recv(pk, got, sizeof(got), MSG_DONTWAIT)) > 0)
			seen = n == (ssize_t)sizeof(frame) && !memcmp(got, frame, sizeof(frame));
	}
	if (seen)
		ok |= TAP_TX;

	/* Tap -> guest. */
	frame_fill(frame + 14, sizeof(frame) - 14, 0x61);
	memcpy(frame, r.net.mac, 6);
	for (uint16_t i = 0; i < 8; i++)
		guest_post_rx(&r, i, RXBUF + 0x800ULL * i, RX_LEN);
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	memcpy(to.sll_addr, frame, 6);
	if (sendto(pk, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) ==
	    (ssize_t)sizeof(frame)) {
		for (int i = 0; i < 200 && !(ok & TAP_RX); i++) {
			uint32_t id, len;
			if (sd_net_rx(&r.net, &r.f.err) < 0)
				break;
			while (fk_used(&r.f, RXQ, &id, &len))
				if (len == SD_NET_HDR_LEN + sizeof(frame) &&
				    rx_hdr_ok(&r, RXBUF + 0x800ULL * id) &&
				    !memcmp(gp(&r.f, RXBUF + 0x800ULL * id + SD_NET_HDR_LEN), frame,
					    sizeof(frame)))
					ok |= TAP_RX;
			usleep(5000);
		}
	}
	close(pk);
	close(fd);

	/* A tap with a vnet header would shift every frame: refused. */
	int vfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "sdnet1");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct sd_net n2;
	if (vfd >= 0 && ioctl(vfd, TUNSETIFF, &ifr) == 0 &&
	    sd_net_init(&n2, &r.f.mem, vfd, NULL, "x", &err) < 0)
		ok |= TAP_VNET_REFUSED;
	fk_mem_free(&r.f);
	return ok;
}

static void test_tap(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		check(true, "tap: # SKIP needs root and /dev/net/tun", NULL);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(tap_child());
	int st = 0, bits = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		bits = WEXITSTATUS(st);
	check(bits & TAP_OPEN, "tap: sd_tap_open creates a tap in a new network namespace", NULL);
	check(bits & TAP_ACCEPTED, "tap: its fd is accepted as a backend", NULL);
	check(bits & TAP_TX, "tap: a guest frame comes out of the tap (AF_PACKET)", NULL);
	check(bits & TAP_RX, "tap: a frame sent on the tap lands in the guest's buffer", NULL);
	check(bits & TAP_VNET_REFUSED, "tap: a tap with IFF_VNET_HDR is refused", NULL);
}

static int parse(struct sd_vm_config *c, struct volt_error *err, ...)
{
	char *argv[16] = {"stardust-vmm", "--kernel", "k"};
	int argc = 3;
	va_list ap;
	va_start(ap, err);
	char *a;
	while ((a = va_arg(ap, char *)) && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	return sd_vm_config_parse(c, argc, argv, err);
}

static void test_config(void)
{
	static struct sd_vm_config c;
	struct volt_error err = {0};
	check(parse(&c, &err, NULL) == 0 && !c.net && c.net_fd == -1 && !c.net_tap,
	      "config: no network by default", NULL);
	check(parse(&c, &err, "--net-tap", "vtap0", NULL) == 0 && c.net && !strcmp(c.net_tap, "vtap0") &&
		  c.net_fd == -1 && !c.net_mac_set,
	      "config: --net-tap NAME", err.msg);
	check(parse(&c, &err, "--net-tap=vtap0,mac=52:54:00:12:34:56", NULL) == 0 &&
		  !strcmp(c.net_tap, "vtap0") && c.net_mac_set && c.net_mac[0] == 0x52 &&
		  c.net_mac[5] == 0x56,
	      "config: --net-tap=NAME,mac=M", err.msg);
	check(parse(&c, &err, "--net-fd", "7", NULL) == 0 && c.net && c.net_fd == 7 && !c.net_tap,
	      "config: --net-fd FD", err.msg);
	check(parse(&c, &err, "--net-fd", "7,mac=02:00:00:00:00:01", NULL) == 0 && c.net_fd == 7 &&
		  c.net_mac_set && c.net_mac[5] == 1,
	      "config: --net-fd FD,mac=M", err.msg);
	const char *bad[][2] = {
	    {"--net-tap", ""},
	    {"--net-tap", "a/b"},
	    {"--net-tap", "has space"},
	    {"--net-tap", ".."},
	    {"--net-tap", "sixteen-chars-xx"},
	    {"--net-tap", "t0,mac=01:00:00:00:00:01"},
	    {"--net-tap", "t0,mac=zz"},
	    {"--net-tap", "t0,speed=10"},
	    {"--net-fd", "x1"},
	    {"--net-fd", "-1"},
	};
	bool all = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool refused = parse(&c, &err, bad[i][0], bad[i][1], NULL) < 0;
		if (!refused)
			printf("# accepted: %s %s\n", bad[i][0], bad[i][1]);
		all &= refused;
	}
	check(all, "config: bad names, bad or multicast MACs, unknown suboptions, bad fds refused", NULL);
	check(parse(&c, &err, "--net-tap", "t0", "--net-fd", "3", NULL) < 0 &&
		  parse(&c, &err, "--net-tap", "t0", "--net-tap", "t1", NULL) < 0,
	      "config: one network device only", NULL);
	check(strstr(sd_vm_usage, "--net-tap") && strstr(sd_vm_usage, "--net-fd"),
	      "usage mentions --net-tap and --net-fd", NULL);
}

int main(void)
{
	/* As in the monitor: a closed peer is a write error, not a death. */
	signal(SIGPIPE, SIG_IGN);
	test_features_config();
	test_backend_checks();
	test_tx(SOCK_SEQPACKET, "seqpacket");
	test_tx(SOCK_DGRAM, "dgram");
	test_tx_refused();
	test_rx(SOCK_SEQPACKET, "seqpacket", F_BASIC);
	test_rx(SOCK_DGRAM, "dgram, EVENT_IDX", F_BASIC | BIT(SD_VIRTIO_F_EVENT_IDX));
	test_hostile();
	test_tap();
	test_config();
	return done();
}
