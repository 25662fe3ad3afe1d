/* The one error idiom of Volt: functions return int (<0 on error) and fill a
 * struct volt_error with the message, the errno and the context. */
#ifndef VOLT_OCI_ERROR_H
#define VOLT_OCI_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define VOLT_ERROR_MSG_MAX 1024

struct volt_error {
	int errnum;		      /* errno of the failing call, 0 if none */
	char msg[VOLT_ERROR_MSG_MAX]; /* "context: what: strerror" */
};

/* Fill err with the formatted message; when errnum > 0 append ": strerror(errnum)";
 * a negative errnum (-EEXIST) records the errno without the suffix, for
 * messages that already say what is wrong.
 * Always returns -1 so callers can write `return volt_err(err, errno, "...")`. */
int volt_err(struct volt_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepend context to an already filled error ("mounts[3].destination: " + msg).
 * Returns -1. */
int volt_err_ctx(struct volt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset err to "no error". */
void volt_err_clear(struct volt_error *err);

#endif
