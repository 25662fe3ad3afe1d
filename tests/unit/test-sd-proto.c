/* Stardust's control protocol framing (stardust/shim/proto.h): encoding,
 * decoding byte by byte and in odd chunks, several frames in one read,
 * refusal of oversized payloads and lengths, bad magic, u32 payloads, and
 * sd_frame_write_all splitting a long payload over a pipe. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stardust/shim/proto.h"
#include "tap.h"

static void feed(struct sd_decoder *d, const uint8_t *p, size_t n)
{
	size_t room;
	uint8_t *dst = sd_decoder_space(d, &room);
	if (n > room)
		abort();
	memcpy(dst, p, n);
	sd_decoder_commit(d, n);
}

static void test_encode(void)
{
	struct volt_error err;
	uint8_t buf[64];
	int n = sd_frame_encode(buf, sizeof buf, SD_MSG_STDOUT, 0x01020304, "hi", 2, &err);
	check(n == 10 && buf[0] == SD_PROTO_MAGIC && buf[1] == SD_MSG_STDOUT && buf[2] == 2 && buf[3] == 0 &&
		  buf[4] == 4 && buf[5] == 3 && buf[6] == 2 && buf[7] == 1 && memcmp(buf + 8, "hi", 2) == 0,
	      "encode: magic, type, little-endian length and stream, payload");
	n = sd_frame_encode(buf, sizeof buf, SD_MSG_START, 0, NULL, 0, &err);
	check(n == SD_PROTO_HDR && buf[2] == 0 && buf[3] == 0, "encode: empty payload is a bare header");
	n = sd_frame_encode(buf, 9, SD_MSG_STDOUT, 0, "hi", 2, &err);
	check(n < 0, "encode: refuses a buffer too small");
	static uint8_t big[SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD + 1];
	n = sd_frame_encode(big, sizeof big, SD_MSG_STDIN, 0, big, SD_PROTO_MAX_PAYLOAD + 1, &err);
	check(n < 0 && strstr(err.msg, "exceeds"), "encode: refuses a payload over the maximum");
	n = sd_frame_encode(big, sizeof big, SD_MSG_STDIN, 0, big, SD_PROTO_MAX_PAYLOAD, &err);
	check(n == SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD && big[2] == (SD_PROTO_MAX_PAYLOAD & 0xff) &&
		  big[3] == SD_PROTO_MAX_PAYLOAD >> 8,
	      "encode: the maximum payload fits");
}

static void test_partial(void)
{
	struct volt_error err;
	uint8_t buf[64];
	int n = sd_frame_encode(buf, sizeof buf, SD_MSG_STDERR, 0, "abcdef", 6, &err);
	struct sd_decoder *d = malloc(sizeof *d);
	sd_decoder_init(d);
	struct sd_frame f;
	bool none_early = true;
	for (int i = 0; i < n - 1; i++) {
		feed(d, buf + i, 1);
		if (sd_decoder_next(d, &f, &err) != 0)
			none_early = false;
	}
	check(none_early, "decode: no frame until its last byte arrives (byte by byte)");
	feed(d, buf + n - 1, 1);
	check(sd_decoder_next(d, &f, &err) == 1 && f.type == SD_MSG_STDERR && f.len == 6 &&
		  memcmp(f.payload, "abcdef", 6) == 0,
	      "decode: the frame after its last byte");
	check(sd_decoder_next(d, &f, &err) == 0 && sd_decoder_pending(d) == 0,
	      "decode: then nothing pending");
	free(d);
}

static void test_many(void)
{
	struct volt_error err;
	uint8_t stream[256];
	size_t len = 0;
	uint8_t sig[4];
	sd_put_u32(sig, 15);
	len += (size_t)sd_frame_encode(stream + len, sizeof stream - len, SD_MSG_READY, 0, NULL, 0, &err);
	len += (size_t)sd_frame_encode(stream + len, sizeof stream - len, SD_MSG_STDOUT, 0, "one", 3, &err);
	len += (size_t)sd_frame_encode(stream + len, sizeof stream - len, SD_MSG_SIGNAL, 0, sig, 4, &err);
	len += (size_t)sd_frame_encode(stream + len, sizeof stream - len, SD_MSG_STDOUT, 0, "two", 3, &err);
	/* Feed in chunks of 5 that cut headers and payloads anywhere. */
	struct sd_decoder *d = malloc(sizeof *d);
	sd_decoder_init(d);
	uint8_t types[8];
	char text[16] = "";
	uint32_t got_sig = 0;
	int nf = 0;
	for (size_t off = 0; off < len; off += 5) {
		feed(d, stream + off, len - off < 5 ? len - off : 5);
		struct sd_frame f;
		while (sd_decoder_next(d, &f, &err) == 1 && nf < 8) {
			types[nf++] = f.type;
			if (f.type == SD_MSG_STDOUT)
				strncat(text, (const char *)f.payload, f.len);
			if (f.type == SD_MSG_SIGNAL)
				sd_get_u32(&f, &got_sig, &err);
		}
	}
	check(nf == 4 && types[0] == SD_MSG_READY && types[1] == SD_MSG_STDOUT && types[2] == SD_MSG_SIGNAL &&
		  types[3] == SD_MSG_STDOUT,
	      "decode: four frames from chunks of 5 bytes, in order");
	check(strcmp(text, "onetwo") == 0, "decode: payloads intact across chunk boundaries");
	check(got_sig == 15, "decode: SIGNAL carries its u32");
	free(d);
}

static void test_refusals(void)
{
	struct volt_error err;
	struct sd_decoder *d = malloc(sizeof *d);
	struct sd_frame f;
	sd_decoder_init(d);
	uint8_t bad_len[] = {SD_PROTO_MAGIC,
			     SD_MSG_STDIN,
			     (SD_PROTO_MAX_PAYLOAD + 1) & 0xff,
			     (SD_PROTO_MAX_PAYLOAD + 1) >> 8,
			     0,
			     0,
			     0,
			     0};
	feed(d, bad_len, sizeof bad_len);
	check(sd_decoder_next(d, &f, &err) < 0 && strstr(err.msg, "exceeds"),
	      "decode: refuses a header announcing an oversized payload");
	sd_decoder_init(d);
	uint8_t bad_magic[] = {'h', 'e', 'l', 'l', 'o'};
	feed(d, bad_magic, sizeof bad_magic);
	check(sd_decoder_next(d, &f, &err) < 0 && strstr(err.msg, "magic"),
	      "decode: refuses a bad magic byte");
	sd_decoder_init(d);
	feed(d, bad_magic, 1);
	check(sd_decoder_next(d, &f, &err) < 0, "decode: a bad magic is seen at the first byte");
	sd_decoder_init(d);
	uint8_t short_exit[] = {SD_PROTO_MAGIC, SD_MSG_EXIT, 2, 0, 7, 0, 0, 0, 1, 2};
	feed(d, short_exit, sizeof short_exit);
	uint32_t v;
	check(sd_decoder_next(d, &f, &err) == 1 && f.stream == 7 && sd_get_u32(&f, &v, &err) < 0,
	      "u32: an EXIT payload of 2 bytes is refused");
	/* A maximal frame fits the decoder even when fed after a partial one. */
	sd_decoder_init(d);
	static uint8_t big[SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD];
	int n = sd_frame_encode(big, sizeof big, SD_MSG_STDOUT, 0, big, SD_PROTO_MAX_PAYLOAD, &err);
	uint8_t small[8];
	int m = sd_frame_encode(small, sizeof small, SD_MSG_START, 0, NULL, 0, &err);
	feed(d, small, (size_t)m);
	feed(d, big, 100);
	bool ok = sd_decoder_next(d, &f, &err) == 1 && f.type == SD_MSG_START;
	ok = ok && sd_decoder_next(d, &f, &err) == 0;
	size_t room;
	sd_decoder_space(d, &room);
	ok = ok && room >= (size_t)n - 100;
	feed(d, big + 100, (size_t)n - 100);
	ok = ok && sd_decoder_next(d, &f, &err) == 1 && f.len == SD_PROTO_MAX_PAYLOAD;
	check(ok, "decode: a maximal frame after another still fits (compaction)");
	free(d);
}

static void test_pipe(void)
{
	int p[2];
	if (pipe(p) < 0) {
		check(false, "pipe");
		return;
	}
	fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	struct volt_error err;
	size_t len = SD_PROTO_MAX_PAYLOAD * 2 + 10;
	uint8_t *data = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	int r = sd_frame_write_all(p[1], SD_MSG_STDOUT, 0, data, len, &err);
	close(p[1]);
	struct sd_decoder *d = malloc(sizeof *d);
	sd_decoder_init(d);
	uint8_t *got = malloc(len);
	size_t have = 0;
	int frames = 0;
	for (;;) {
		size_t room;
		uint8_t *dst = sd_decoder_space(d, &room);
		ssize_t n = read(p[0], dst, room);
		if (n <= 0)
			break;
		sd_decoder_commit(d, (size_t)n);
		struct sd_frame f;
		while (sd_decoder_next(d, &f, &err) == 1) {
			frames++;
			if (have + f.len <= len)
				memcpy(got + have, f.payload, f.len);
			have += f.len;
		}
	}
	close(p[0]);
	check(r == 0 && frames == 3 && have == len && memcmp(got, data, len) == 0,
	      "write_all: a payload of two maxima and 10 bytes as three frames, intact");
	free(data);
	free(got);
	free(d);
}

int main(void)
{
	test_encode();
	test_partial();
	test_many();
	test_refusals();
	test_pipe();
	check(strcmp(sd_msg_name(SD_MSG_EXIT), "EXIT") == 0 && strcmp(sd_msg_name(0x7f), "?") == 0,
	      "names for diagnostics");
	return tap_done();
}
