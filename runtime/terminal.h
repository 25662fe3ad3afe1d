/* Terminals: the pty made inside the container, the --console-socket
 * protocol (one SCM_RIGHTS message carrying exactly the pty master and a short
 * payload), and `run`'s stdio proxy on a terminal. */
#ifndef VOLT_RUNTIME_TERMINAL_H
#define VOLT_RUNTIME_TERMINAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/error.h"

/* Open a new pty from /dev/ptmx of the current root. *slave_path gets the
 * slave's path (malloc'd), e.g. "/dev/pts/0". Both fds are O_CLOEXEC. */
int volt_pty_open(int *master, int *slave, char **slave_path, struct volt_error *err);

/* Set the window size (TIOCSWINSZ). */
int volt_pty_set_size(int fd, uint32_t height, uint32_t width, struct volt_error *err);

/* In the container init: new session, slave as controlling tty and as fds 0-2. */
int volt_pty_make_controlling(int slave, struct volt_error *err);

/* Connect to the AF_UNIX stream socket at path (O_CLOEXEC fd). */
int volt_console_connect(const char *path, struct volt_error *err);

/* Send master over sock: one message, one fd in one SCM_RIGHTS cmsg, short non-empty payload. */
int volt_console_send(int sock, int master, struct volt_error *err);

/* Receive one fd sent as above. */
int volt_console_recv(int sock, int *fd, struct volt_error *err);

/* `run` on a terminal: put our stdin in raw mode when it is a tty, copy
 * stdin -> master and master -> stdout, forward SIGWINCH sizes, until
 * the process behind pidfd exits and master has drained. Restores the tty. */
int volt_tty_proxy(int master, int pidfd, struct volt_error *err);

#endif
