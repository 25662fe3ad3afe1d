/* The runtime <-> container-init protocol over a SOCK_SEQPACKET pair: fixed
 * size messages, so one recv is one message. */
#ifndef VOLT_RUNTIME_SYNC_H
#define VOLT_RUNTIME_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "oci/error.h"

enum volt_sync_type {
	VOLT_SYNC_GO = 1,     /* runtime -> init: maps written, cgroup joined; pid = host pid */
	VOLT_SYNC_HOOKS,      /* init -> runtime: run prestart + createRuntime now */
	VOLT_SYNC_HOOKS_DONE, /* runtime -> init */
	VOLT_SYNC_READY,      /* init -> runtime: blocked before the user process */
	VOLT_SYNC_ERROR,      /* either way: msg says why */
};

struct volt_sync_msg {
	uint32_t type;
	int32_t errnum;
	int32_t pid;
	char msg[VOLT_ERROR_MSG_MAX];
};

int volt_sync_send(int fd, enum volt_sync_type type, pid_t pid, const struct volt_error *e);
/* Receive one message; EOF is an error ("container init exited ..."). A
 * VOLT_SYNC_ERROR message is turned into err and -1. */
int volt_sync_recv(int fd, struct volt_sync_msg *m, struct volt_error *err);
/* Receive and require a given type. */
int volt_sync_expect(int fd, enum volt_sync_type type, struct volt_sync_msg *m, struct volt_error *err);

#endif
