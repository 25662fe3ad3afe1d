/* TAP output for the unit tests: one "ok N - name" / "not ok N - name" line
 * per check, the plan "1..N" last. Each test binary includes this once and
 * gets its own counters; every line is flushed at once so that a fork cannot
 * duplicate buffered lines and a crash loses none. */
#ifndef VOLT_TESTS_UNIT_TAP_H
#define VOLT_TESTS_UNIT_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define TAP_UNUSED __attribute__((unused))

/* Checks printed so far and how many of them failed; a test that runs checks
 * in a child process adds the child's counts here to keep the numbering. */
static int tap_n_checks, tap_n_failed;

/* The result line without its newline; returns ok. */
static TAP_UNUSED bool tap_result_start(bool ok)
{
	tap_n_checks++;
	if (!ok)
		tap_n_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n_checks);
	return ok;
}

static TAP_UNUSED void tap_result_end(void)
{
	putchar('\n');
	fflush(stdout);
}

static TAP_UNUSED bool check(bool ok, const char *name)
{
	tap_result_start(ok);
	fputs(name, stdout);
	tap_result_end();
	return ok;
}

/* check() with the name built printf-style. */
static TAP_UNUSED bool checkf(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static TAP_UNUSED bool checkf(bool ok, const char *fmt, ...)
{
	va_list ap;
	tap_result_start(ok);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	tap_result_end();
	return ok;
}

/* check() that says why on failure: "not ok N - name: detail" (detail may be
 * NULL, and is not printed when the check passes). */
static TAP_UNUSED bool check_detail(bool ok, const char *name, const char *detail)
{
	tap_result_start(ok);
	fputs(name, stdout);
	if (!ok && detail)
		printf(": %s", detail);
	tap_result_end();
	return ok;
}

/* A check that could not run here: counts as passed, "ok N - name # SKIP why". */
static TAP_UNUSED void skip(const char *name, const char *why)
{
	tap_result_start(true);
	printf("%s # SKIP %s", name, why);
	tap_result_end();
}

/* Prints the plan; the test's exit status: 0 when no check failed. */
static TAP_UNUSED int tap_done(void)
{
	printf("1..%d\n", tap_n_checks);
	fflush(stdout);
	return tap_n_failed ? 1 : 0;
}

#endif
