/* The process's terminal, shared by the init and exec: a pty from the
 * container's devpts, its master sent over the console socket, its slave the
 * process's controlling terminal and stdio. */
#ifndef VOLT_RUNTIME_CONSOLE_H
#define VOLT_RUNTIME_CONSOLE_H

#include <stdbool.h>

#include "oci/config.h"
#include "oci/error.h"

/* bind_dev_console: also bind the slave on /dev/console (the init does; exec does not). */
int volt_console_setup(int console_fd, const struct oci_process *p, bool bind_dev_console,
		       struct volt_error *err);

#endif
