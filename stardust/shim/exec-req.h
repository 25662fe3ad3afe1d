/* The payload of an EXEC frame: what `volt-stardust exec` asked for, carried
 * to stardust-init, which runs it with libvolt's volt_container_exec (the
 * same code, so the same restrictions, as volt-run's exec). The options are
 * sent rather than a merged process so the guest merges them with the config
 * it applied, not with one the host might have changed since.
 *
 * Records, one after the other: a tag byte, then a NUL-terminated value.
 *   'a' argument  'e' KEY=VALUE  'c' capability  'w' cwd  'u' UID[:GID]
 *   'p' a runtime-spec process JSON (instead of arguments)
 *   'n' no_new_privs (empty)  't' tty (empty) */
#ifndef STARDUST_SHIM_EXEC_REQ_H
#define STARDUST_SHIM_EXEC_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"
#include "runtime/exec.h"

/* Encode o's process options (not id, pid file or console) into buf; the
 * process JSON, if any, is o->process_json. Returns the length, or <0 when it
 * does not fit (err names what). */
int sd_exec_req_encode(const struct volt_exec_opts *o, uint8_t *buf, size_t cap, struct volt_error *err);

struct sd_exec_req {
	char *text;		    /* a copy of the payload the pointers below point into */
	char **args, **env, **caps; /* NULL-terminated */
	struct volt_exec_opts opts; /* points into the above; id, pid file, console left unset */
};

/* Decode a payload; on success free with sd_exec_req_free. Refuses a record
 * without its NUL, an unknown tag, and a request with neither arguments nor a
 * process JSON. */
int sd_exec_req_decode(const uint8_t *p, size_t n, struct sd_exec_req *r, struct volt_error *err);
void sd_exec_req_free(struct sd_exec_req *r);

#endif
