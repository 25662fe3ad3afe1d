/* TAP helpers shared by the cgroup unit tests (included once per test). */
#ifndef VOLT_TESTS_CGROUP_TEST_UTIL_H
#define VOLT_TESTS_CGROUP_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int n_test, n_fail;

/* snprintf without gcc's truncation guesses: test paths are short */
static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4), unused));
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

static void __attribute__((unused)) check(bool ok, const char *name, const char *detail)
{
	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", n_test, name, detail && !ok ? ": " : "",
	       detail && !ok ? detail : "");
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
