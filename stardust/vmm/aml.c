#include "stardust/vmm/aml.h"

#include <errno.h>
#include <string.h>

#define ZERO_OP		  0x00
#define ONE_OP		  0x01
#define NAME_OP		  0x08
#define BYTE_PREFIX	  0x0a
#define WORD_PREFIX	  0x0b
#define DWORD_PREFIX	  0x0c
#define STRING_PREFIX	  0x0d
#define QWORD_PREFIX	  0x0e
#define SCOPE_OP	  0x10
#define BUFFER_OP	  0x11
#define PACKAGE_OP	  0x12
#define EXT_OP		  0x5b
#define DEVICE_OP	  0x82 /* after EXT_OP */
#define DUAL_NAME_PREFIX  0x2e
#define MULTI_NAME_PREFIX 0x2f
#define ROOT_CHAR	  '\\'
#define ONES_OP		  0xff

void sd_aml_init(struct sd_aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->len = 0;
	a->cap = cap;
	a->bad = NULL;
}

static void fail(struct sd_aml *a, const char *why)
{
	if (!a->bad)
		a->bad = why;
}

int sd_aml_status(const struct sd_aml *a, struct volt_error *err)
{
	if (a->bad)
		return volt_err(err, -EINVAL, "aml: %s", a->bad);
	return 0;
}

void sd_aml_raw(struct sd_aml *a, const void *p, size_t n)
{
	if (a->bad)
		return;
	if (n > a->cap - a->len) {
		fail(a, "buffer full");
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void byte(struct sd_aml *a, uint8_t b)
{
	sd_aml_raw(a, &b, 1);
}

static void le(struct sd_aml *a, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		byte(a, (uint8_t)(v >> (8 * i)));
}

static bool seg_char(char c, bool lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

void sd_aml_namestring(struct sd_aml *a, const char *path)
{
	if (*path == ROOT_CHAR) {
		byte(a, ROOT_CHAR);
		path++;
	}
	char segs[255][4];
	size_t n = 0;
	while (*path) {
		size_t l = strcspn(path, ".");
		if (l == 0 || l > 4 || n == 255) {
			fail(a, "bad name segment");
			return;
		}
		for (size_t i = 0; i < 4; i++) {
			char c = i < l ? path[i] : '_';
			if (!seg_char(c, i == 0)) {
				fail(a, "bad character in a name segment");
				return;
			}
			segs[n][i] = c;
		}
		n++;
		path += l;
		if (*path == '.')
			path++;
	}
	if (n == 0) {
		byte(a, ZERO_OP); /* NullName: only valid after a root prefix */
		return;
	}
	if (n == 2)
		byte(a, DUAL_NAME_PREFIX);
	else if (n > 2) {
		byte(a, MULTI_NAME_PREFIX);
		byte(a, (uint8_t)n);
	}
	for (size_t i = 0; i < n; i++)
		sd_aml_raw(a, segs[i], 4);
}

void sd_aml_integer(struct sd_aml *a, uint64_t v)
{
	if (v == 0)
		byte(a, ZERO_OP);
	else if (v == 1)
		byte(a, ONE_OP);
	else if (v == UINT64_MAX)
		byte(a, ONES_OP);
	else if (v <= 0xff) {
		byte(a, BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		byte(a, WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		byte(a, DWORD_PREFIX);
		le(a, v, 4);
	} else {
		byte(a, QWORD_PREFIX);
		le(a, v, 8);
	}
}

void sd_aml_string(struct sd_aml *a, const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x01 || (unsigned char)*p > 0x7f) {
			fail(a, "string is not ASCII");
			return;
		}
	byte(a, STRING_PREFIX);
	sd_aml_raw(a, s, strlen(s) + 1);
}

void sd_aml_name(struct sd_aml *a, const char *name)
{
	byte(a, NAME_OP);
	sd_aml_namestring(a, name);
}

size_t sd_aml_pkglen(size_t content_len, uint8_t out[4])
{
	/* The length counts its own bytes. One byte holds 6 bits; longer
	 * forms put the byte count in bits 7:6 and 4 bits in the lead byte,
	 * 8 in each following one. */
	if (content_len + 1 <= 0x3f) {
		out[0] = (uint8_t)(content_len + 1);
		return 1;
	}
	for (size_t nb = 2; nb <= 4; nb++) {
		size_t total = content_len + nb;
		if (total < (1ULL << (4 + 8 * (nb - 1)))) {
			out[0] = (uint8_t)((nb - 1) << 6 | (total & 0xf));
			for (size_t i = 1; i < nb; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return nb;
		}
	}
	return 0;
}

void sd_aml_close(struct sd_aml *a, size_t mark)
{
	if (a->bad)
		return;
	if (mark > a->len) {
		fail(a, "close without a matching open");
		return;
	}
	uint8_t pl[4];
	size_t nb = sd_aml_pkglen(a->len - mark, pl);
	if (nb == 0) {
		fail(a, "package longer than 2^28 bytes");
		return;
	}
	if (nb > a->cap - a->len) {
		fail(a, "buffer full");
		return;
	}
	memmove(a->buf + mark + nb, a->buf + mark, a->len - mark);
	memcpy(a->buf + mark, pl, nb);
	a->len += nb;
}

size_t sd_aml_scope_open(struct sd_aml *a, const char *name)
{
	byte(a, SCOPE_OP);
	size_t mark = a->len;
	sd_aml_namestring(a, name);
	return mark;
}

size_t sd_aml_device_open(struct sd_aml *a, const char *name)
{
	byte(a, EXT_OP);
	byte(a, DEVICE_OP);
	size_t mark = a->len;
	sd_aml_namestring(a, name);
	return mark;
}

size_t sd_aml_package_open(struct sd_aml *a, uint8_t n_elements)
{
	byte(a, PACKAGE_OP);
	size_t mark = a->len;
	byte(a, n_elements);
	return mark;
}

void sd_aml_buffer(struct sd_aml *a, const uint8_t *data, size_t n)
{
	byte(a, BUFFER_OP);
	size_t mark = a->len;
	sd_aml_integer(a, n);
	sd_aml_raw(a, data, n);
	sd_aml_close(a, mark);
}

void sd_res_memory32_fixed(struct sd_aml *r, uint32_t base, uint32_t len, bool writable)
{
	byte(r, 0x86); /* large item, Memory32Fixed */
	le(r, 9, 2);
	byte(r, writable ? 1 : 0);
	le(r, base, 4);
	le(r, len, 4);
}

void sd_res_interrupt(struct sd_aml *r, uint8_t flags, uint32_t irq)
{
	byte(r, 0x89); /* large item, Extended Interrupt */
	le(r, 6, 2);
	byte(r, flags);
	byte(r, 1); /* one interrupt number follows */
	le(r, irq, 4);
}

void sd_res_end(struct sd_aml *r)
{
	byte(r, 0x79); /* small item, End Tag, length 1 */
	if (r->bad)
		return;
	uint8_t sum = 0;
	for (size_t i = 0; i < r->len; i++)
		sum = (uint8_t)(sum + r->buf[i]);
	byte(r, (uint8_t)(0x100 - sum));
}
