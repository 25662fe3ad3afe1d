/* Runtime logging: text or JSON lines ({"level","msg","time"}) to --log FILE
 * or stderr. The logger is a value passed down, not a global. */
#ifndef VOLT_OCI_LOG_H
#define VOLT_OCI_LOG_H

#include <stdbool.h>

enum volt_log_level { VOLT_LOG_DEBUG, VOLT_LOG_INFO, VOLT_LOG_WARN, VOLT_LOG_ERROR };

struct volt_logger {
	int fd;		    /* -1: stderr */
	bool json;	    /* --log-format json */
	bool debug;	    /* --debug: emit debug lines */
	bool to_stderr_too; /* errors also on stderr when logging to a file */
};

void volt_log(const struct volt_logger *l, enum volt_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define volt_debug(l, ...)     volt_log(l, VOLT_LOG_DEBUG, __VA_ARGS__)
#define volt_info(l, ...)      volt_log(l, VOLT_LOG_INFO, __VA_ARGS__)
#define volt_warn(l, ...)      volt_log(l, VOLT_LOG_WARN, __VA_ARGS__)
#define volt_error_log(l, ...) volt_log(l, VOLT_LOG_ERROR, __VA_ARGS__)

#endif
