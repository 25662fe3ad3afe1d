#include "error.h"

#include <stdio.h>
#include <string.h>

int volt_err(struct volt_error *err, int errnum, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (errnum > 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
	err->errnum = errnum < 0 ? -errnum : errnum;
	return -1;
}

int volt_err_ctx(struct volt_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	size_t plen = strlen(prefix);
	size_t olen = strnlen(err->msg, sizeof err->msg - 1);
	if (plen + 2 >= sizeof err->msg)
		plen = sizeof err->msg - 3;
	if (plen + 2 + olen >= sizeof err->msg)
		olen = sizeof err->msg - 3 - plen;
	memmove(err->msg + plen + 2, err->msg, olen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	err->msg[plen + 2 + olen] = '\0';
	return -1;
}

void volt_err_clear(struct volt_error *err)
{
	if (err) {
		err->errnum = 0;
		err->msg[0] = '\0';
	}
}
