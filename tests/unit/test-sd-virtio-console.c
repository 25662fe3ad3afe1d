/* virtio-console port 0 bridged to host pipes, through the mmio transport:
 * guest -> host on the transmit queue, host -> guest on the receive queue,
 * an echo both ways, back-pressure when the guest posts no buffers, EOF, and
 * hostile rings ending in NEEDS_RESET. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stardust/vmm/virtio/console.h"
#include "sd-virtio-fake-driver.h"

#define MEM_SIZE (1u << 20)
#define TXBUF	 0x40000ULL
#define RXBUF	 0x60000ULL
#define RXQ	 SD_CONSOLE_RXQ
#define TXQ	 SD_CONSOLE_TXQ

struct rig {
	struct fake f;
	struct sd_console con;
	struct sd_mmio m;
	int in[2], out[2]; /* in: host -> guest, out: guest -> host */
	int kicks;
};

static void on_rx_kick(void *opaque)
{
	((struct rig *)opaque)->kicks++;
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	fk_mem_init(&r->f, MEM_SIZE);
	if (pipe2(r->in, O_NONBLOCK) < 0 || pipe2(r->out, O_NONBLOCK) < 0 ||
	    sd_console_init(&r->con, &r->f.mem, r->in[0], r->out[1], &r->f.err) < 0) {
		perror("console rig");
		exit(2);
	}
	r->con.rx_kick = on_rx_kick;
	r->con.rx_kick_opaque = r;
	sd_mmio_init(&r->m, &r->con.dev, fk_irq, &r->f);
	r->f.t = &r->m;
}

static void rig_free(struct rig *r)
{
	for (int i = 0; i < 2; i++) {
		if (r->in[i] >= 0)
			close(r->in[i]);
		close(r->out[i]);
	}
	fk_mem_free(&r->f);
}

/* Guest sends len bytes of src in `pieces` descriptors. */
static bool guest_send(struct rig *r, const void *src, size_t len, int pieces, uint16_t head)
{
	struct fake *f = &r->f;
	memcpy(gp(f, TXBUF), src, len);
	fk_chain(f, TXQ, head, TXBUF, (uint32_t)len, pieces);
	fk_publish(f, TXQ, head);
	fk_kick(f, TXQ);
	uint32_t id, used;
	return fk_used(f, TXQ, &id, &used) && id == head && used == 0;
}

/* Guest posts one receive buffer of len bytes at gpa, descriptor d. */
static void guest_post_rx(struct rig *r, uint16_t d, uint64_t gpa, uint32_t len)
{
	fk_desc(&r->f, RXQ, d, gpa, len, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(&r->f, RXQ, d);
	fk_kick(&r->f, RXQ);
}

static void test_basic(void)
{
	struct rig r;
	rig_init(&r);
	struct fake *f = &r.f;
	mw(f, SD_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = mr(f, SD_MMIO_DEVICE_FEATURES);
	uint32_t st = fk_bringup(f, ~0ULL, 64);
	check(st == 0xf && mr(f, SD_MMIO_DEVICE_ID) == SD_VIRTIO_ID_CONSOLE && !(lo & 0x7),
	      "virtio-console up; SIZE, MULTIPORT, EMERG_WRITE not offered", f->err.msg);

	check(guest_send(&r, "hello world", 11, 2, 0), "guest transmit completes", f->err.msg);
	char buf[64] = {0};
	check(read(r.out[0], buf, sizeof buf) == 11 && !memcmp(buf, "hello world", 11),
	      "guest output reaches the host fd in order", NULL);
	check(f->irq_level == 1 && fk_ack(f) == SD_VIRTIO_INT_USED, "transmit completion interrupts", NULL);

	check(write(r.in[1], "ping", 4) == 4 && sd_console_rx(&r.con, &f->err) == 0 && r.con.rx_blocked,
	      "host input without a posted buffer waits (rx_blocked)", NULL);
	guest_post_rx(&r, 0, RXBUF, 64);
	check(r.kicks == 1 && !r.con.rx_blocked, "posting receive buffers kicks the monitor", NULL);
	guest_post_rx(&r, 1, RXBUF + 0x100, 64);
	uint32_t id, len;
	int n = sd_console_rx(&r.con, &f->err);
	check(n == 4 && fk_used(f, RXQ, &id, &len) && id == 0 && len == 4 && !memcmp(gp(f, RXBUF), "ping", 4),
	      "host input lands in the guest's receive buffer", f->err.msg);
	check(fk_ack(f) == SD_VIRTIO_INT_USED, "receive completion interrupts", NULL);
	check(sd_console_rx(&r.con, &f->err) == 0 && !fk_used(f, RXQ, &id, &len),
	      "nothing to read: the buffer stays posted", NULL);
	check(write(r.in[1], "pong", 4) == 4 && sd_console_rx(&r.con, &f->err) == 4 &&
		  fk_used(f, RXQ, &id, &len) && id == 1 && !memcmp(gp(f, RXBUF + 0x100), "pong", 4),
	      "  ...and takes the next input", NULL);

	/* Echo: a larger payload out in 4 pieces, back in 1000-byte buffers. */
	char payload[9000];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (char)('a' + i % 26);
	bool ok = guest_send(&r, payload, sizeof payload, 4, 10);
	char echo[9000];
	ssize_t got = read(r.out[0], echo, sizeof echo);
	ok = ok && got == (ssize_t)sizeof payload && write(r.in[1], echo, (size_t)got) == got;
	size_t back = 0;
	for (uint16_t i = 0; ok && back < sizeof payload && i < 20; i++) {
		guest_post_rx(&r, (uint16_t)(2 + i), RXBUF + 0x1000 + back, 1000);
		int m = sd_console_rx(&r.con, &f->err);
		ok = m > 0 && fk_used(f, RXQ, &id, &len) && len == (uint32_t)m;
		back += (size_t)m;
	}
	check(ok && back == sizeof payload && !memcmp(gp(f, RXBUF + 0x1000), payload, sizeof payload),
	      "9000-byte echo guest -> host -> guest", f->err.msg);

	close(r.in[1]);
	r.in[1] = -1;
	guest_post_rx(&r, 40, RXBUF, 64);
	check(sd_console_rx(&r.con, &f->err) == 0 && r.con.in_eof && !fk_used(f, RXQ, &id, &len),
	      "host EOF: no more reads, buffer kept", NULL);

	fk_desc(f, TXQ, 50, TXBUF, 8, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, TXQ, 50);
	fk_kick(f, TXQ);
	check(fk_used(f, TXQ, &id, &len) && id == 50 && len == 0 && read(r.out[0], buf, sizeof buf) < 0,
	      "transmit chain without readable bytes completes empty", NULL);
	rig_free(&r);
}

static void test_hostile(void)
{
	struct rig r;
	rig_init(&r);
	struct fake *f = &r.f;
	fk_bringup(f, ~0ULL, 64);
	fk_desc(f, RXQ, 0, MEM_SIZE - 8, 64, SD_VIRTQ_DESC_F_WRITE, 0);
	fk_publish(f, RXQ, 0);
	fk_kick(f, RXQ);
	check(write(r.in[1], "x", 1) == 1 && sd_console_rx(&r.con, &f->err) < 0 &&
		  (mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET) && (fk_ack(f) & SD_VIRTIO_INT_CONFIG),
	      "receive buffer running out of guest memory: NEEDS_RESET", NULL);
	printf("# %s\n", f->err.msg);
	check(sd_console_rx(&r.con, &f->err) == 0, "  ...and host input is no longer delivered", NULL);

	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, ~0ULL, 64);
	fk_desc(f, TXQ, 0, TXBUF, 8, SD_VIRTQ_DESC_F_WRITE | SD_VIRTQ_DESC_F_NEXT, 1);
	fk_desc(f, TXQ, 1, TXBUF, 8, 0, 0);
	fk_publish(f, TXQ, 0);
	fk_kick(f, TXQ);
	char buf[16];
	check((mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET) && read(r.out[0], buf, sizeof buf) < 0,
	      "transmit chain with readable after writable: NEEDS_RESET, nothing written", NULL);
	printf("# %s\n", f->err.msg);

	mw(f, SD_MMIO_STATUS, 0);
	fk_bringup(f, ~0ULL, 64);
	put16(f, f->q[TXQ].avail + 2, 65);
	fk_kick(f, TXQ);
	check(mr(f, SD_MMIO_STATUS) & SD_VIRTIO_S_NEEDS_RESET, "transmit avail idx jump: NEEDS_RESET", NULL);
	rig_free(&r);
}

int main(void)
{
	test_basic();
	test_hostile();
	return done();
}
