/* The start handshake every backend uses: the container's init (or the
 * microVM's relay) listens on <state dir>/exec.sock; `start` connects, sends
 * one byte and reads until EOF. EOF alone means started; bytes say why not. */
#ifndef VOLT_RUNTIME_EXEC_SOCK_H
#define VOLT_RUNTIME_EXEC_SOCK_H

#include <stddef.h>

#include "oci/error.h"

/* Listening socket in the state dir (close-on-exec). */
int volt_exec_sock_listen(int dirfd, struct volt_error *err);

/* A connection to <state dir>/exec.sock (close-on-exec), for a backend's
 * own requests beyond start (the microVM relay's exec). */
int volt_exec_sock_connect(int dirfd, const char *id, struct volt_error *err);

/* Release the waiting side. 0: started; 1: it refused, msg holds its reason;
 * <0: no handshake (nobody waiting, I/O error). */
int volt_exec_sock_start(int dirfd, const char *id, char *msg, size_t msg_size, struct volt_error *err);

#endif
