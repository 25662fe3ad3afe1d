/* The control protocol between the host shim (volt-stardust's relay) and
 * stardust-init, carried over the single virtio-console port (/dev/hvc0 in
 * the guest). A console port is one byte stream each way with no EOF of its
 * own, so everything, end of input included, is a frame:
 *
 *   magic 0x5d | type u8 | payload length u16 LE | stream u32 LE | payload
 *
 * The stream says which process a frame is about: 0 is the container's
 * process (and the VM itself for READY), every `exec` gets its own. Output
 * and input are flow-controlled per stream with credits (SD_PROTO_WINDOW):
 * the guest sends at most a window of STDOUT/STDERR bytes the host has not
 * acknowledged with OUT_ACK, and the host at most a window of STDIN bytes the
 * guest has not acknowledged with IN_ACK. Neither side ever blocks on a
 * process that does not read, so a SIGNAL or another stream's data is never
 * stuck behind it, and each side's buffers stay bounded.
 *
 * The magic byte catches a desynchronised stream (stray kernel output on the
 * port, a truncated write) at the first bad header instead of misreading
 * payload bytes as lengths. Payloads are at most SD_PROTO_MAX_PAYLOAD bytes:
 * a longer length in a header is refused, so a hostile peer cannot make the
 * reader buffer without bound. */
#ifndef STARDUST_SHIM_PROTO_H
#define STARDUST_SHIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_PROTO_MAGIC	     0x5d
#define SD_PROTO_HDR	     8
#define SD_PROTO_MAX_PAYLOAD 32768
#define SD_PROTO_WINDOW	     (256 * 1024) /* unacknowledged bytes per stream and direction */

enum sd_msg_type {
	/* host -> guest */
	SD_MSG_START = 0x01,	 /* stream 0: run the container's process (empty) */
	SD_MSG_SIGNAL = 0x02,	 /* u32 signal number for the stream's process */
	SD_MSG_STDIN = 0x03,	 /* bytes for the process's stdin */
	SD_MSG_STDIN_EOF = 0x04, /* close the process's stdin (empty) */
	SD_MSG_EXEC = 0x05,	 /* a new stream: run a process in the container (exec-req.h) */
	SD_MSG_OUT_ACK = 0x06,	 /* u32: this many STDOUT/STDERR bytes of the stream were delivered */
	SD_MSG_RESIZE = 0x07,	 /* u32 rows << 16 | columns: the stream's terminal size */
	SD_MSG_OUT_CLOSE = 0x08, /* u32 1 (stdout) or 2 (stderr): its reader on the host is gone */
	/* guest -> host */
	SD_MSG_READY = 0x81,   /* devices up, bundle mounted, container created (empty) */
	SD_MSG_STARTED = 0x82, /* u32 guest pid: the stream's process runs */
	SD_MSG_STDOUT = 0x83,  /* bytes the process wrote to stdout */
	SD_MSG_STDERR = 0x84,  /* bytes the process wrote to stderr */
	SD_MSG_EXIT = 0x85,    /* u32 exit status as volt-run reports it: code, or 128+signal */
	SD_MSG_ERROR = 0x86,   /* text: why create, start or exec failed in the guest */
	SD_MSG_IN_ACK = 0x87,  /* u32: this many STDIN bytes of the stream reached the process */
};

/* Name for diagnostics ("START", ...), "?" if unknown. */
const char *sd_msg_name(uint8_t type);

/* Encode one frame into buf. Returns its length, or <0 (err) when the
 * payload is longer than SD_PROTO_MAX_PAYLOAD or buf is too small. */
int sd_frame_encode(uint8_t *buf, size_t cap, uint8_t type, uint32_t stream, const void *payload, size_t len,
		    struct volt_error *err);

/* Incremental decoder: append what was read, take whole frames out. */
struct sd_decoder {
	size_t start, end; /* unread bytes are buf[start, end) */
	uint8_t buf[SD_PROTO_HDR + SD_PROTO_MAX_PAYLOAD];
};

struct sd_frame {
	uint8_t type;
	uint16_t len;
	uint32_t stream;
	const uint8_t *payload; /* into the decoder: valid until its next call */
};

void sd_decoder_init(struct sd_decoder *d);
/* Where the next read may write, and how much (never 0 after sd_decoder_next
 * returned 0: a partial frame always leaves room for its rest). */
uint8_t *sd_decoder_space(struct sd_decoder *d, size_t *room);
/* n bytes were written at sd_decoder_space(). */
void sd_decoder_commit(struct sd_decoder *d, size_t n);
/* One read(2) from fd into the decoder: 1 after data, 0 when nothing is
 * there now (EINTR, EAGAIN), -1 at EOF or on an error (errno set). */
int sd_decoder_fill(struct sd_decoder *d, int fd);
/* 1: *f is the next frame; 0: need more bytes; <0: bad magic or an
 * oversized length (err filled; the stream cannot be resynchronised). */
int sd_decoder_next(struct sd_decoder *d, struct sd_frame *f, struct volt_error *err);
/* Bytes held that do not yet make a whole frame. */
size_t sd_decoder_pending(const struct sd_decoder *d);

/* The u32 payload of SIGNAL, EXIT, STARTED and the ACKs. */
void sd_put_u32(uint8_t out[4], uint32_t v);
int sd_get_u32(const struct sd_frame *f, uint32_t *v, struct volt_error *err);

/* Write a whole frame to fd, waiting for POLLOUT when it is non-blocking. */
int sd_frame_write(int fd, uint8_t type, uint32_t stream, const void *payload, size_t len,
		   struct volt_error *err);
/* A payload longer than one frame as consecutive frames of the same type. */
int sd_frame_write_all(int fd, uint8_t type, uint32_t stream, const void *data, size_t len,
		       struct volt_error *err);
/* A frame whose payload is one u32. */
int sd_frame_write_u32(int fd, uint8_t type, uint32_t stream, uint32_t v, struct volt_error *err);

#endif
