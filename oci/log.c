/* volt_log: one line per call, built in memory and handed to a single
 * write(2) so concurrent writers (runtime, shim, init) never interleave. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* Growable byte buffer; a failed allocation marks it bad and later appends
 * become no-ops, so the formatting code needs no error paths. */
struct line {
	char *p;
	size_t len, cap;
	char stack[1024];
	int bad;
};

static void line_reserve(struct line *b, size_t more)
{
	if (b->bad || b->len + more <= b->cap)
		return;
	size_t cap = b->cap * 2;
	while (cap < b->len + more)
		cap *= 2;
	char *n = b->p == b->stack ? malloc(cap) : realloc(b->p, cap);
	if (!n) {
		b->bad = 1;
		return;
	}
	if (b->p == b->stack)
		memcpy(n, b->stack, b->len);
	b->p = n;
	b->cap = cap;
}

static void line_put(struct line *b, const char *s, size_t n)
{
	line_reserve(b, n);
	if (b->bad)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void line_puts(struct line *b, const char *s)
{
	line_put(b, s, strlen(s));
}

static void line_putc(struct line *b, char c)
{
	line_put(b, &c, 1);
}

/* JSON string body (RFC 8259): quote, backslash and every control byte escaped. */
static void put_json_escaped(struct line *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			line_puts(b, "\\\"");
			break;
		case '\\':
			line_puts(b, "\\\\");
			break;
		case '\n':
			line_puts(b, "\\n");
			break;
		case '\r':
			line_puts(b, "\\r");
			break;
		case '\t':
			line_puts(b, "\\t");
			break;
		case '\b':
			line_puts(b, "\\b");
			break;
		case '\f':
			line_puts(b, "\\f");
			break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				char u[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 0xf]};
				line_put(b, u, sizeof u);
			} else {
				line_putc(b, (char)*c);
			}
		}
	}
}

/* Go-%q-like quoting as logrus' text formatter does, so a message never
 * spans two lines. */
static void put_text_escaped(struct line *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			line_puts(b, "\\\"");
			break;
		case '\\':
			line_puts(b, "\\\\");
			break;
		case '\n':
			line_puts(b, "\\n");
			break;
		case '\r':
			line_puts(b, "\\r");
			break;
		case '\t':
			line_puts(b, "\\t");
			break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				char x[4] = {'\\', 'x', hex[*c >> 4], hex[*c & 0xf]};
				line_put(b, x, sizeof x);
			} else {
				line_putc(b, (char)*c);
			}
		}
	}
}

static const char *level_name(enum volt_log_level lvl)
{
	switch (lvl) {
	case VOLT_LOG_DEBUG:
		return "debug";
	case VOLT_LOG_INFO:
		return "info";
	case VOLT_LOG_WARN:
		return "warning";
	case VOLT_LOG_ERROR:
		break;
	}
	return "error";
}

/* RFC 3339 UTC with nanoseconds: 2026-11-30T01:02:03.123456789Z */
static void format_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%09ldZ", (long)ts.tv_nsec);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report a logging failure */
		p += w;
		n -= (size_t)w;
	}
}

void volt_log(const struct volt_logger *l, enum volt_log_level lvl, const char *fmt, ...)
{
	if (lvl == VOLT_LOG_DEBUG && !(l && l->debug))
		return;
	int saved_errno = errno; /* callers may log between a failure and reading errno */

	char small[512];
	_cleanup_free_ char *big = NULL;
	const char *msg = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		small[0] = '\0';
	} else if ((size_t)n >= sizeof small) {
		big = malloc((size_t)n + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			msg = big;
		}
	}

	char ts[64];
	format_time(ts, sizeof ts);

	struct line b = {.len = 0, .cap = sizeof b.stack, .bad = 0};
	b.p = b.stack;
	if (l && l->json) {
		line_puts(&b, "{\"level\":\"");
		line_puts(&b, level_name(lvl));
		line_puts(&b, "\",\"msg\":\"");
		put_json_escaped(&b, msg);
		line_puts(&b, "\",\"time\":\"");
		line_puts(&b, ts);
		line_puts(&b, "\"}\n");
	} else {
		line_puts(&b, "time=\"");
		line_puts(&b, ts);
		line_puts(&b, "\" level=");
		line_puts(&b, level_name(lvl));
		line_puts(&b, " msg=\"");
		put_text_escaped(&b, msg);
		line_puts(&b, "\"\n");
	}

	if (!b.bad)
		write_all(l && l->fd >= 0 ? l->fd : STDERR_FILENO, b.p, b.len);
	if (b.p != b.stack)
		free(b.p);
	errno = saved_errno;
}
