/* Helpers shared by the cgroup unit tests (included once per test): fake
 * cgroupfs files, and the TAP output of tap.h. */
#ifndef VOLT_TESTS_CGROUP_TEST_UTIL_H
#define VOLT_TESTS_CGROUP_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "tap.h"

/* snprintf without gcc's truncation guesses: test paths are short */
static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4), unused));
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

/* Write s to dir/file (a fake cgroupfs file). */
static void __attribute__((unused)) put(const char *dir, const char *file, const char *s)
{
	char p[1024];
	fmt(p, sizeof p, "%s/%s", dir, file);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

#endif
