#include "stardust/shim/proto.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

const char *sd_msg_name(uint8_t type)
{
	switch (type) {
	case SD_MSG_START:
		return "START";
	case SD_MSG_SIGNAL:
		return "SIGNAL";
	case SD_MSG_STDIN:
		return "STDIN";
	case SD_MSG_STDIN_EOF:
		return "STDIN_EOF";
	case SD_MSG_EXEC:
		return "EXEC";
	case SD_MSG_OUT_ACK:
		return "OUT_ACK";
	case SD_MSG_RESIZE:
		return "RESIZE";
	case SD_MSG_OUT_CLOSE:
		return "OUT_CLOSE";
	case SD_MSG_IN_ACK:
		return "IN_ACK";
	case SD_MSG_READY:
		return "READY";
	case SD_MSG_STARTED:
		return "STARTED";
	case SD_MSG_STDOUT:
		return "STDOUT";
	case SD_MSG_STDERR:
		return "STDERR";
	case SD_MSG_EXIT:
		return "EXIT";
	case SD_MSG_ERROR:
		return "ERROR";
	}
	return "?";
}

int sd_frame_encode(uint8_t *buf, size_t cap, uint8_t type, uint32_t stream, const void *payload, size_t len,
		    struct volt_error *err)
{
	if (len > SD_PROTO_MAX_PAYLOAD)
		return volt_err(err, -EMSGSIZE, "%s frame: payload of %zu bytes exceeds %d",
				sd_msg_name(type), len, SD_PROTO_MAX_PAYLOAD);
	if (cap < SD_PROTO_HDR + len)
		return volt_err(err, -ENOBUFS, "%s frame: %zu bytes do not fit in %zu", sd_msg_name(type),
				SD_PROTO_HDR + len, cap);
	buf[0] = SD_PROTO_MAGIC;
	buf[1] = type;
	buf[2] = (uint8_t)(len & 0xff);
	buf[3] = (uint8_t)(len >> 8);
	sd_put_u32(buf + 4, stream);
	if (len)
		memmove(buf + SD_PROTO_HDR, payload, len); /* payload may live in buf */
	return (int)(SD_PROTO_HDR + len);
}

void sd_decoder_init(struct sd_decoder *d)
{
	d->start = d->end = 0;
}

uint8_t *sd_decoder_space(struct sd_decoder *d, size_t *room)
{
	/* Compact lazily: the payload handed out by the last next() lives until now. */
	if (d->start) {
		memmove(d->buf, d->buf + d->start, d->end - d->start);
		d->end -= d->start;
		d->start = 0;
	}
	*room = sizeof d->buf - d->end;
	return d->buf + d->end;
}

int sd_decoder_fill(struct sd_decoder *d, int fd)
{
	size_t room;
	uint8_t *p = sd_decoder_space(d, &room);
	ssize_t n = read(fd, p, room);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	sd_decoder_commit(d, (size_t)n);
	return 1;
}

void sd_decoder_commit(struct sd_decoder *d, size_t n)
{
	d->end += n;
}

size_t sd_decoder_pending(const struct sd_decoder *d)
{
	return d->end - d->start;
}

int sd_decoder_next(struct sd_decoder *d, struct sd_frame *f, struct volt_error *err)
{
	const uint8_t *p = d->buf + d->start;
	size_t have = d->end - d->start;
	if (have == 0)
		return 0;
	if (p[0] != SD_PROTO_MAGIC)
		return volt_err(err, -EPROTO, "control channel: bad frame magic 0x%02x", p[0]);
	if (have < SD_PROTO_HDR)
		return 0;
	size_t len = (size_t)p[2] | (size_t)p[3] << 8;
	if (len > SD_PROTO_MAX_PAYLOAD)
		return volt_err(err, -EMSGSIZE, "control channel: %s frame of %zu bytes exceeds %d",
				sd_msg_name(p[1]), len, SD_PROTO_MAX_PAYLOAD);
	if (have < SD_PROTO_HDR + len)
		return 0;
	f->type = p[1];
	f->len = (uint16_t)len;
	f->stream = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
	f->payload = p + SD_PROTO_HDR;
	d->start += SD_PROTO_HDR + len;
	if (d->start == d->end)
		d->start = d->end = 0; /* nothing left: the payload stays where it is */
	return 1;
}

void sd_put_u32(uint8_t out[4], uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

int sd_get_u32(const struct sd_frame *f, uint32_t *v, struct volt_error *err)
{
	if (f->len != 4)
		return volt_err(err, -EPROTO, "control channel: %s frame of %u bytes, want 4",
				sd_msg_name(f->type), f->len);
	*v = 0;
	for (int i = 0; i < 4; i++)
		*v |= (uint32_t)f->payload[i] << (8 * i);
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n, struct volt_error *err)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return volt_err(err, errno, "control channel: poll");
			continue;
		}
		if (w < 0)
			return volt_err(err, errno, "control channel: write");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sd_frame_write(int fd, uint8_t type, uint32_t stream, const void *payload, size_t len,
		   struct volt_error *err)
{
	uint8_t buf[SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD];
	int n = sd_frame_encode(buf, sizeof buf, type, stream, payload, len, err);
	if (n < 0)
		return -1;
	return write_full(fd, buf, (size_t)n, err);
}

int sd_frame_write_all(int fd, uint8_t type, uint32_t stream, const void *data, size_t len,
		       struct volt_error *err)
{
	const uint8_t *p = data;
	do {
		size_t n = len < SD_PROTO_MAX_PAYLOAD ? len : SD_PROTO_MAX_PAYLOAD;
		if (sd_frame_write(fd, type, stream, p, n, err) < 0)
			return -1;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

int sd_frame_write_u32(int fd, uint8_t type, uint32_t stream, uint32_t v, struct volt_error *err)
{
	uint8_t b[4];
	sd_put_u32(b, v);
	return sd_frame_write(fd, type, stream, b, sizeof b, err);
}
